"""The engine's side of ``step``: ``do``, ``sleep``, ``sleep_until`` and ``wait_for_event`` for one run.

Every call is identified by its kind, its name and how many calls of that name came before it in this
run (Cloudflare's cache key), so when a run replays after a restart, a pause or a crash, each completed
call returns its stored result instead of running again. A step's attempts, retry waits, sleeps and event
deadlines are stored as they start, so they carry on from where they were, by pyflare's clock.
"""

from __future__ import annotations

import asyncio
import builtins
import datetime as _dt
import inspect
import json
import logging
import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pyflare.bindings.workflows import serialization
from pyflare.bindings.workflows.constants import (
    DEFAULT_BACKOFF,
    DEFAULT_EVENT_TIMEOUT,
    DEFAULT_RETRY_DELAY_MS,
    DEFAULT_RETRY_LIMIT,
    DEFAULT_STEP_TIMEOUT,
    MAX_VALUE_BYTES,
)
from pyflare.bindings.workflows.errors import (
    InstanceAborted,
    WorkflowFatalError,
    WorkflowTimeoutError,
)
from pyflare.bindings.workflows.store import StepRow
from pyflare.bindings.workflows.validation import (
    check_step_config,
    check_step_name,
    duration_ms,
    sleep_ms,
    timestamp_ms,
)
from pyflare.kernel.context import current_worker
from pyflare.kernel.jsdict import JsDict, to_jsdict
from pyflare.kernel.tracing import invocation
from pyflare.workers.workflows import NonRetryableError

if TYPE_CHECKING:
    from pyflare.bindings.workflows.engine import Runner

log = logging.getLogger("pyflare")

NON_RETRYABLE_UNHANDLED = ("The execution of the Workflow instance was terminated, as a step threw an "
                           "NonRetryableError and it was not handled")


def is_non_retryable(exc: BaseException) -> bool:
    return isinstance(exc, NonRetryableError) or type(exc).__name__ == "NonRetryableError"


def error_dict(exc: BaseException) -> dict[str, str]:
    return {"name": type(exc).__name__, "message": str(exc)}


def rebuild_error(stored: str | None) -> Exception:
    """The exception a replayed failed step raises again (its class name and message are what was stored)."""
    data = json.loads(stored) if stored else {"name": "Error", "message": ""}
    name, message = data.get("name") or "Error", data.get("message") or ""
    if name == "NonRetryableError":
        return NonRetryableError(message)
    known = {"WorkflowTimeoutError": WorkflowTimeoutError, "WorkflowFatalError": WorkflowFatalError}
    cls = known.get(name) or getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = type(name, (Exception,), {"__module__": "workflows"})
    try:
        return cls(message)
    except Exception:  # a builtin with another constructor (UnicodeDecodeError...)
        return type(name, (Exception,), {"__module__": "workflows"})(message)


def resolve_config(config: dict[str, Any]) -> dict[str, Any]:
    """The user's step config over the engine's defaults (retries 5 x 1 s exponential, timeout 10 minutes)."""
    retries = {"limit": DEFAULT_RETRY_LIMIT, "delay": DEFAULT_RETRY_DELAY_MS, "backoff": DEFAULT_BACKOFF}
    retries.update(config.get("retries") or {})
    resolved = {"retries": retries, "timeout": config.get("timeout", DEFAULT_STEP_TIMEOUT)}
    if "sensitive" in config:
        resolved["sensitive"] = config["sensitive"]
    return resolved


def retry_delay_ms(base_ms: float, backoff: str, failed_attempts: int) -> float:
    if backoff == "exponential":
        return base_ms * 2 ** (failed_attempts - 1)
    if backoff == "linear":
        return base_ms * failed_attempts
    return base_ms


class StepContext:
    """``step`` as the engine implements it (the SDK's WorkflowStep calls these)."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    # -- step.do -----------------------------------------------------------------------------------
    async def do(self, name: str, config: Any, callback: Any) -> Any:
        runner = self.runner
        runner.lifetime_steps += 1
        limit = runner.engine.step_limit
        if runner.lifetime_steps > limit:
            raise WorkflowFatalError(
                f"The limit of {limit} steps has been reached. This limit can be changed in your worker configuration."
            )
        check_step_name(name)
        resolved = resolve_config(check_step_config(name, config))
        count = runner.next_count("run-" + name)
        key = f"do\n{name}\n{count}"
        step = runner.steps.get(key)
        if step is not None and step.state == "success":
            return serialization.loads(step.output)
        if step is not None and step.state == "failure":
            raise rebuild_error(step.error)
        clock = runner.engine.clock
        mods = runner.modifiers
        if step is None:
            step = StepRow(key, runner.next_seq(), "do", name, count, "running",
                           config=json.dumps(serialization.plain(_storable_config(resolved))),
                           start_ms=clock.time_ms())
        if mods is not None and (name, count) in mods.step_results:
            return self._succeed(step, mods.step_results[(name, count)], name, count, resolved)
        # An attempt that was running when pyflare stopped did not fail: note it, do not count it.
        for attempt in step.attempts:
            if attempt["end"] is None:
                attempt.update(end=clock.time_ms(), success=False, interrupted=True,
                               error={"name": "WorkflowInternalError",
                                      "message": "Attempt interrupted: pyflare stopped while it ran"})
        retries = resolved["retries"]
        timeout = duration_ms(resolved["timeout"])
        while True:
            if step.state == "waiting" and step.wake_ms is not None:  # a retry delay in progress
                await runner.wait_until(step.wake_ms)
            await runner.checkpoint()
            failed = [a for a in step.attempts if not a.get("interrupted")]
            number = len(failed) + 1
            attempt: dict[str, Any] = {"start": clock.time_ms(), "end": None, "success": None, "error": None}
            step.attempts.append(attempt)
            step.state, step.wake_ms = "running", None
            runner.store_step(step)
            ctx = JsDict(step=JsDict(name=name, count=count), attempt=number, config=to_jsdict(resolved))
            runner.running_attempts += 1
            try:
                result = await self._attempt(callback, ctx, timeout, name, count, number)
            except asyncio.CancelledError:
                runner.running_attempts -= 1
                raise
            except Exception as exc:
                runner.running_attempts -= 1
                attempt.update(end=clock.time_ms(), success=False)
                if is_non_retryable(exc):
                    preserve = runner.engine.preserve_non_retryable_message
                    attempt["error"] = error_dict(exc) if preserve else {
                        "name": "WorkflowFatalError",
                        "message": f'Step threw a NonRetryableError with message "{exc}"'}
                    log.error('Workflow "%s" instance %s: step "%s" attempt %d threw NonRetryableError: %s (no retries)',
                              runner.engine.name, runner.id, name, number, exc)
                    self._fail(step, exc)
                    raise
                attempt["error"] = error_dict(exc)
                if number <= retries["limit"]:
                    delay = await self._retry_delay(retries, number, ctx, exc)
                    skip = mods is not None and mods.retry_delays_disabled(name, count)
                    step.state, step.wake_ms = "waiting", clock.time_ms() + (0 if skip else int(delay))
                    runner.store_step(step)
                    runner.attempt_finished()
                    log.warning('Workflow "%s" instance %s: step "%s" attempt %d of %d failed: %s: %s; retrying in %s',
                                runner.engine.name, runner.id, name, number, retries["limit"] + 1,
                                type(exc).__name__, exc, _seconds(0 if skip else delay))
                    continue
                log.error('Workflow "%s" instance %s: step "%s" failed after %d attempt%s: %s: %s', runner.engine.name,
                          runner.id, name, number, "" if number == 1 else "s", type(exc).__name__, exc)
                self._fail(step, exc)
                raise
            runner.running_attempts -= 1
            attempt.update(end=clock.time_ms(), success=True)
            return self._succeed(step, result, name, count, resolved)

    async def _attempt(self, callback: Any, ctx: Any, timeout: float, name: str, count: int, number: int) -> Any:
        runner = self.runner
        # Each attempt is an event of its own in the traces, on the same timeline as the instance's steps.
        with invocation(current_worker.get(), "workflow", f'{runner.engine.name} step "{name}" attempt {number}',
                        "workflow", detached=True, entrypoint=runner.engine.class_name,
                        event={"workflow": runner.engine.name, "instanceId": runner.id, "step": name,
                               "attempt": number}):
            return await self._run_attempt(callback, ctx, timeout, name, count, number)

    async def _run_attempt(self, callback: Any, ctx: Any, timeout: float, name: str, count: int, number: int) -> Any:
        runner = self.runner
        mods = runner.modifiers
        if mods is not None:
            mocked = mods.take_step_error(name, count, number)
            if mocked is not None:
                raise mocked
            if mods.take_step_timeout(name, count):
                raise WorkflowTimeoutError(f"Execution timed out after {int(timeout)}ms")
        task = asyncio.ensure_future(callback(ctx))
        loop = asyncio.get_running_loop()
        expired = loop.create_future()
        timer = runner.engine.clock.call_at(runner.engine.clock.time() + timeout / 1000,
                                            lambda: expired.done() or expired.set_result(None))
        try:
            await asyncio.wait((task, expired), return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            if not task.done():
                task.cancel()
                if expired.done():
                    await asyncio.gather(task, return_exceptions=True)
        if not task.done() or task.cancelled():
            raise WorkflowTimeoutError(f"Execution timed out after {int(timeout)}ms")
        return task.result()

    async def _retry_delay(self, retries: dict[str, Any], failed: int, ctx: Any, exc: Exception) -> float:
        delay = retries["delay"]
        if callable(delay):
            try:
                delay = delay(JsDict(ctx=ctx, error=JsDict(error_dict(exc))))
                if inspect.isawaitable(delay):
                    delay = await delay
            except Exception as err:
                raise WorkflowFatalError(f'The delay function for step "{ctx.step.name}-{ctx.step.count}" '
                                         f"threw an error: {err}") from err
        base = duration_ms(delay)
        if math.isnan(base) or base < 0:
            raise WorkflowFatalError(f'The delay function for step "{ctx.step.name}-{ctx.step.count}" returned an '
                                     'invalid delay value (expected a number of ms or a duration string like "30 seconds")')
        return retry_delay_ms(base, retries.get("backoff") or DEFAULT_BACKOFF, failed)

    def _succeed(self, step: StepRow, value: Any, name: str, count: int, resolved: dict[str, Any]) -> Any:
        runner = self.runner
        try:
            text = serialization.dumps(value)
        except serialization.NotSerialisable:
            if step.attempts:
                step.attempts[-1].update(success=False, error={
                    "name": "WorkflowFatalError", "message": f'Value returned from step "{name}" is not serialisable'})
            self._fail(step, None)
            raise InstanceAborted("WorkflowFatalError", f'The execution of the Workflow instance was terminated, as '
                                                        f'the step "{name}" returned a value which is not serialisable') from None
        if len(text.encode("utf-8")) > MAX_VALUE_BYTES:
            message = f"Step {name}-{count} output is too large. Maximum allowed size is 1MiB."
            if step.attempts:
                step.attempts[-1].update(success=False, error={"name": "WorkflowInternalError", "message": message})
            self._fail(step, None)
            raise InstanceAborted("WorkflowInternalError", message)
        step.state, step.output, step.end_ms, step.wake_ms = "success", text, runner.engine.clock.time_ms(), None
        step.error = None
        runner.store_step(step)
        runner.attempt_finished()
        return serialization.loads(text)

    def _fail(self, step: StepRow, exc: BaseException | None) -> None:
        runner = self.runner
        step.state, step.end_ms, step.wake_ms = "failure", runner.engine.clock.time_ms(), None
        if exc is not None:
            step.error = json.dumps(error_dict(exc))
        runner.store_step(step)
        runner.attempt_finished()

    # -- sleeping ----------------------------------------------------------------------------------
    async def sleep(self, name: str, duration: Any) -> None:
        runner = self.runner
        length = sleep_ms(name, duration)
        count = runner.next_count(f"sleep-{name}{length:g}")
        nth = runner.next_count(f"sleep-name-{name}")
        key = f"sleep\n{name}\n{length:g}\n{count}"
        step = runner.steps.get(key)
        if step is not None and step.state == "success":
            return
        clock = runner.engine.clock
        mods = runner.modifiers
        skip = mods is not None and mods.sleep_disabled(name, nth)
        now = clock.time_ms()
        if step is None:
            await runner.checkpoint()
            step = StepRow(key, runner.next_seq(), "sleep", name, count, "waiting", start_ms=now,
                           wake_ms=now + (0 if skip else int(length)),
                           config=json.dumps({"duration": length}))
            runner.store_step(step)
        elif skip:
            step.wake_ms = now
        await runner.wait_until(step.wake_ms or now)
        step.state, step.end_ms, step.wake_ms = "success", clock.time_ms(), None
        runner.store_step(step)

    async def sleep_until(self, name: str, timestamp: Any) -> None:
        target = timestamp_ms(timestamp)
        now = self.runner.engine.clock.time_ms()
        key_prefix = f"sleep\n{name}\n"
        # A replayed sleep_until must find its stored sleep even though "now" has moved on.
        for step in self.runner.steps.values():
            if step.key.startswith(key_prefix) and step.kind == "sleep" and step.config and \
                    json.loads(step.config).get("until") == target:
                return await self._replay_until(step)
        if target < now:
            raise ValueError("You can't sleep until a time in the past, time-traveler")
        await self._sleep_until_new(name, target)

    async def _replay_until(self, step: StepRow) -> None:
        runner = self.runner
        runner.next_count(f"sleep-name-{step.name}")
        if step.state == "success":
            return
        await runner.wait_until(step.wake_ms or runner.engine.clock.time_ms())
        step.state, step.end_ms, step.wake_ms = "success", runner.engine.clock.time_ms(), None
        runner.store_step(step)

    async def _sleep_until_new(self, name: str, target: float) -> None:
        runner = self.runner
        clock = runner.engine.clock
        now = clock.time_ms()
        count = runner.next_count(f"sleep-until-{name}")
        nth = runner.next_count(f"sleep-name-{name}")
        mods = runner.modifiers
        skip = mods is not None and mods.sleep_disabled(name, nth)
        await runner.checkpoint()
        step = StepRow(f"sleep\n{name}\nuntil\n{count}", runner.next_seq(), "sleep", name, count, "waiting",
                       start_ms=now, wake_ms=now if skip else int(target),
                       config=json.dumps({"duration": target - now, "until": target}))
        runner.store_step(step)
        await runner.wait_until(step.wake_ms or now)
        step.state, step.end_ms, step.wake_ms = "success", clock.time_ms(), None
        runner.store_step(step)

    # -- events ------------------------------------------------------------------------------------
    async def wait_for_event(self, name: str, event_type: Any, timeout: Any = DEFAULT_EVENT_TIMEOUT) -> Any:
        runner = self.runner
        check_step_name(name)
        if not isinstance(event_type, str):
            raise TypeError(f"wait_for_event: the event type must be a string, not {type(event_type).__name__}")
        limit = duration_ms(timeout or DEFAULT_EVENT_TIMEOUT)
        if math.isnan(limit) or limit < 0:
            raise TypeError(f'wait_for_event("{name}"): timeout must be milliseconds or a string like "1 hour"')
        count = runner.next_count("waitForEvent-" + name)
        key = f"wait\n{name}\n{count}"
        step = runner.steps.get(key)
        if step is not None and step.state == "success":
            return _event_from(step.output)
        if step is not None and step.state == "failure":
            raise rebuild_error(step.error)
        clock = runner.engine.clock
        if step is None:
            await runner.checkpoint()
            step = StepRow(key, runner.next_seq(), "waitForEvent", name, count, "waiting", start_ms=clock.time_ms(),
                           wake_ms=clock.time_ms() + int(limit),
                           config=json.dumps({"type": event_type, "timeout": limit}))
            runner.store_step(step)
        mods = runner.modifiers
        if mods is not None:
            mods.deliver_mock_events(runner, event_type)
        while True:
            done = replace(step, state="success", end_ms=clock.time_ms(), wake_ms=None)
            if mods is not None and mods.event_timeout_forced(name, count):
                done = None
            elif runner.storage.take_event(event_type, key, done) is not None:
                runner.steps[key] = done
                runner.engine.changed(runner.id)
                return _event_from(done.output)
            if done is None or (step.wake_ms is not None and clock.time_ms() >= step.wake_ms):
                error = WorkflowTimeoutError(f"Execution timed out after {int(limit)}ms")
                step.state, step.end_ms, step.wake_ms = "failure", clock.time_ms(), None
                step.error = json.dumps(error_dict(error))
                runner.store_step(step)
                raise error
            await runner.wait_for_event_or(event_type, step.wake_ms)


def _storable_config(config: dict[str, Any]) -> dict[str, Any]:
    retries = dict(config["retries"])
    if callable(retries.get("delay")):
        retries["delay"] = "<function>"
    return {**config, "retries": retries}


def _event_from(output: str | None) -> JsDict:
    data = json.loads(output or "{}")
    return JsDict(
        payload=serialization.loads(data.get("payload")),
        type=data.get("type"),
        timestamp=_dt.datetime.fromtimestamp((data.get("timestamp") or 0) / 1000, _dt.timezone.utc),
    )


def _seconds(ms: float) -> str:
    """A retry delay as the dev server says it (``2s``, ``0.5s``)."""
    return f"{ms / 1000:g}s"
