"""The engine of one workflow: creating instances, running them with replay, and changing their status.

Each instance that has work to do gets a :class:`Runner` (an asyncio task running the worker's
``run(event, step)``). Everything a runner does is stored first (:mod:`pyflare.bindings.workflows.store`), so
stopping pyflare at any moment (Ctrl-C, ``kill -9``) loses nothing: when it starts again, every queued,
running or waiting instance replays from its stored steps and carries on. Instances run only in the
process that owns the state (``active``); another process (the CLI) changes the stored state directly or,
when ``pyflare dev`` owns it, leaves a command for it (see :mod:`pyflare.bindings.workflows.plugin`).
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyflare.bindings.workflows import serialization
from pyflare.bindings.workflows.constants import (
    COMPLETE,
    ERRORED,
    FINISHED,
    MAX_BATCH,
    MAX_VALUE_BYTES,
    PAUSED,
    QUEUED,
    RESUMABLE,
    RUNNING,
    TERMINATED,
    WAITING,
    WAITING_FOR_PAUSE,
)
from pyflare.bindings.workflows.context import NON_RETRYABLE_UNHANDLED, StepContext, is_non_retryable
from pyflare.bindings.workflows.errors import InstanceAborted, WorkflowError, not_found
from pyflare.bindings.workflows.store import InstanceObjects, InstanceRow, StepRow, WorkflowIndex
from pyflare.bindings.workflows.validation import check_event_type, check_instance_id
from pyflare.kernel.background import Background
from pyflare.kernel.clock import Clock
from pyflare.kernel.context import running_as
from pyflare.kernel.jsdict import JsDict
from pyflare.storage.errors import storage_error
from pyflare.workers.host import WorkflowStep

log = logging.getLogger("pyflare")

STORAGE_RETRY_SECONDS = 30  # a run stopped by a failing disk (full, I/O error) tries again after this


@dataclass
class Modifiers:
    """What a test asked to change about one instance (``introspect_workflow_instance(...).modify``)."""

    all_sleeps_disabled: bool = False
    disabled_sleeps: set[tuple[str, int]] = field(default_factory=set)
    all_retry_delays_disabled: bool = False
    disabled_retry_delays: set[tuple[str, int]] = field(default_factory=set)
    step_results: dict[tuple[str, int], Any] = field(default_factory=dict)
    step_errors: dict[tuple[str, int], dict[int | None, BaseException]] = field(default_factory=dict)
    error_counters: dict[tuple[str, int], int] = field(default_factory=dict)
    step_timeouts: dict[tuple[str, int], int | None] = field(default_factory=dict)
    events: list[tuple[str, Any]] = field(default_factory=list)
    event_timeouts: set[tuple[str, int]] = field(default_factory=set)

    def sleep_disabled(self, name: str, nth: int) -> bool:
        return self.all_sleeps_disabled or (name, nth) in self.disabled_sleeps

    def retry_delays_disabled(self, name: str, count: int) -> bool:
        return self.all_retry_delays_disabled or (name, count) in self.disabled_retry_delays

    def take_step_error(self, name: str, count: int, attempt: int) -> BaseException | None:
        errors = self.step_errors.get((name, count))
        if not errors:
            return None
        return errors.get(attempt) or errors.get(None)

    def take_step_timeout(self, name: str, count: int) -> bool:
        key = (name, count)
        if key not in self.step_timeouts:
            return False
        left = self.step_timeouts[key]
        if left is not None:
            if left <= 1:
                del self.step_timeouts[key]
            else:
                self.step_timeouts[key] = left - 1
        return True

    def event_timeout_forced(self, name: str, count: int) -> bool:
        return (name, count) in self.event_timeouts

    def deliver_mock_events(self, runner: Runner, event_type: str) -> None:
        for index, (type_, payload) in enumerate(self.events):
            if type_ == event_type:
                del self.events[index]
                runner.storage.add_event(type_, serialization.dumps(payload), runner.engine.clock.time_ms())
                return


class Runner:
    """One instance's run in progress: its task, its step cache, and what pausing needs to know."""

    def __init__(self, engine: Engine, row: InstanceRow) -> None:
        self.engine = engine
        self.id = row.id
        self.row = row
        self.storage = engine.objects.storage(row.id)
        self.steps: dict[str, StepRow] = self.storage.steps()
        self.wakes: list[int] = []  # pending wake-ups of this run's sleeps and waits
        self.counts: dict[str, int] = {}
        self.lifetime_steps = 0
        self.running_attempts = 0
        self.pausing = False
        self.unpaused = asyncio.Event()
        self.unpaused.set()
        self.waiting = 0
        self._seq = max((s.seq for s in self.steps.values()), default=0)
        self._event_waiters: dict[str, list[asyncio.Future[None]]] = {}
        self.task: asyncio.Task[None] | None = None

    @property
    def modifiers(self) -> Modifiers | None:
        return self.engine.modifiers.get(self.id)

    # -- bookkeeping the step context uses -------------------------------------------------------
    def next_count(self, key: str) -> int:
        count = self.counts.get(key, 0) + 1
        self.counts[key] = count
        return count

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def store_step(self, step: StepRow) -> None:
        self.steps[step.key] = step
        self.storage.put_step(step)
        self.engine.changed(self.id)

    async def checkpoint(self) -> None:
        """No new step starts while a pause is pending (the pause completes once running steps end)."""
        if self.pausing:
            await self.unpaused.wait()

    def attempt_finished(self) -> None:
        if self.pausing and self.running_attempts == 0:
            self.engine.finish_pause(self)

    def _add_wake(self, wake_ms: int) -> None:
        # The object's one alarm is this run's earliest wake-up: after a restart it resumes the instance.
        self.wakes.append(wake_ms)
        if wake_ms == min(self.wakes):
            self.engine.objects.set_alarm(self.id, wake_ms)

    async def wait_until(self, wake_ms: int) -> None:
        await self.checkpoint()
        clock = self.engine.clock
        if clock.time_ms() >= wake_ms:
            return
        self._add_wake(wake_ms)
        self._set_waiting(+1)
        try:
            await clock.sleep_until(wake_ms / 1000)
        finally:
            self.wakes.remove(wake_ms)
            self._set_waiting(-1)

    async def wait_for_event_or(self, event_type: str, wake_ms: int | None) -> None:
        """Until an event of ``event_type`` is sent, or the clock reaches ``wake_ms``."""
        await self.checkpoint()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._event_waiters.setdefault(event_type, []).append(future)
        timer = None
        if wake_ms is not None:
            timer = self.engine.clock.call_at(wake_ms / 1000, lambda: future.done() or future.set_result(None))
            self._add_wake(wake_ms)
        self._set_waiting(+1)
        try:
            await future
        finally:
            if wake_ms is not None:
                self.wakes.remove(wake_ms)
            self._set_waiting(-1)
            if timer is not None:
                timer.cancel()
            waiters = self._event_waiters.get(event_type, [])
            if future in waiters:
                waiters.remove(future)

    def event_arrived(self, event_type: str) -> None:
        for future in self._event_waiters.pop(event_type, []):
            if not future.done():
                future.set_result(None)

    def parked(self) -> bool:
        """Every branch of the run sleeps or waits and no step runs: only the clock or an event moves it on
        (``mf.idle()`` does not wait for it then)."""
        return self.waiting > 0 and self.running_attempts == 0

    def _set_waiting(self, delta: int) -> None:
        """The instance is ``waiting`` while every branch of it sleeps or waits and no step runs."""
        self.waiting += delta
        self.engine.background.changed()
        if self.engine.runners.get(self.id) is not self:  # stopped (paused, terminated): status is set
            return
        status = self.engine.current_status(self.id)
        if status in (PAUSED, WAITING_FOR_PAUSE) or status in FINISHED:
            return
        want = WAITING if self.waiting > 0 and self.running_attempts == 0 else RUNNING
        if status != want:
            self.engine.set_status(self.id, want)
        if delta > 0 and self.pausing and self.running_attempts == 0:
            self.engine.finish_pause(self)

    # -- the run ---------------------------------------------------------------------------------
    async def main(self) -> None:
        try:
            async with self.engine.objects.enter(self.id):
                await self._run()
        except Exception as exc:
            if storage_error(exc) is None:
                raise
            self.engine.storage_failed(self.id, exc)

    async def _run(self) -> None:
        engine = self.engine
        try:
            worker = engine.runtime.current()
        except Exception as exc:  # the worker failed to load: leave the instance for the next start
            log.error("workflow %s instance %s cannot run: %s", engine.name, self.id, exc)
            return
        with running_as(worker):
            cls = worker.exports.get(engine.class_name)
            if cls is None:
                exported = ", ".join(sorted(worker.exports)) or "none"
                engine.finish(self.id, ERRORED, error={
                    "name": "Error",
                    "message": f"{worker.main.name} exports no class {engine.class_name!r} for workflow "
                               f"{engine.name!r} (exported: {exported})"})
                return
            fields: dict[str, Any] = {} if self.row.started_ms is not None else {"started_ms": engine.clock.time_ms()}
            engine.set_status(self.id, RUNNING, **fields)
            event = JsDict(
                payload=serialization.loads(self.row.params) if self.row.params else JsDict(),
                timestamp=_dt.datetime.fromtimestamp(self.row.created_ms / 1000, _dt.timezone.utc),
                instanceId=self.id,
                workflowName=engine.name,
            )
            entrypoint = cls(worker.context(), engine.env())
            step = WorkflowStep(StepContext(self), implicit_dependencies=engine.implicit_dependencies)
            try:
                result = await entrypoint.run(event, step)
            except InstanceAborted as exc:
                engine.finish(self.id, ERRORED, error=exc.error)
                return
            except Exception as exc:
                if storage_error(exc) is not None:
                    raise  # pyflare's storage failed, not the run: it carries on later (Engine.storage_failed)
                if is_non_retryable(exc):
                    error = ({"name": "NonRetryableError", "message": str(exc)}
                             if engine.preserve_non_retryable_message
                             else {"name": "WorkflowFatalError", "message": NON_RETRYABLE_UNHANDLED})
                else:
                    error = {"name": type(exc).__name__, "message": str(exc)}
                engine.finish(self.id, ERRORED, error=error)
                return
            try:
                output = serialization.dumps(result)
            except serialization.NotSerialisable as exc:
                engine.finish(self.id, ERRORED, error={
                    "name": "WorkflowFatalError",
                    "message": f"The value returned by run() is not serialisable: {exc}"})
                return
            engine.finish(self.id, COMPLETE, output=output)


class Engine:
    """Instances of one workflow (``[[workflows]] name``), run by the worker's ``class_name``."""

    def __init__(
        self,
        *,
        name: str,
        class_name: str,
        index: WorkflowIndex,
        objects: InstanceObjects,
        clock: Clock,
        runtime: Any,
        env: Callable[[], Any],
        background: Background,
        step_limit: int,
        implicit_dependencies: bool,
        preserve_non_retryable_message: bool,
    ) -> None:
        self.name = name
        self.class_name = class_name
        self.index = index
        self.objects = objects
        self.clock = clock
        self.runtime = runtime
        self.env = env
        self.background = background  # runs are tracked: mf.idle() waits for them until they sleep or wait
        self.step_limit = step_limit
        self.implicit_dependencies = implicit_dependencies
        self.preserve_non_retryable_message = preserve_non_retryable_message
        self.active = False
        self.runners: dict[str, Runner] = {}
        self.modifiers: dict[str, Modifiers] = {}
        self.session: Modifiers | None = None  # introspect_workflow(): applied to every new instance
        self.session_ids: list[str] = []
        self._watchers: dict[str, list[asyncio.Future[None]]] = {}
        self._status_cache: dict[str, str] = {}

    # -- state changes ---------------------------------------------------------------------------
    def changed(self, instance_id: str) -> None:
        for future in self._watchers.pop(instance_id, []):
            if not future.done():
                future.set_result(None)

    async def wait_change(self, instance_id: str) -> None:
        future = asyncio.get_running_loop().create_future()
        self._watchers.setdefault(instance_id, []).append(future)
        await future

    def current_status(self, instance_id: str) -> str | None:
        status = self._status_cache.get(instance_id)
        if status is None:
            row = self.index.instance(instance_id)
            status = row.status if row else None
        return status

    def set_status(self, instance_id: str, status: str, **fields: Any) -> None:
        self.index.update_instance(instance_id, self.clock.time_ms(), status=status, **fields)
        self._status_cache[instance_id] = status
        self.changed(instance_id)

    def finish(self, instance_id: str, status: str, *, output: str | None = None,
               error: dict[str, str] | None = None) -> None:
        self.set_status(instance_id, status, ended_ms=self.clock.time_ms(), output=output,
                        error=json.dumps(error) if error else None)
        self.objects.clear_alarm(instance_id)
        if status == ERRORED and error:  # pyflare dev's terminal shows it, not only `workflows instances describe`
            log.error('Workflow "%s" instance %s errored: %s: %s', self.name, instance_id, error.get("name"),
                      error.get("message"))

    # -- creating --------------------------------------------------------------------------------
    def create(self, options: list[dict[str, Any]], trigger: str = "binding") -> list[str]:
        """Store new queued instances (all or none) and start them; returns their ids. Ids of ``trigger="cron"``
        instances are the engine's own (``"<cron>-<scheduled ms>"``, as Cloudflare names them), not checked."""
        if len(options) > MAX_BATCH:
            raise WorkflowError("", f"WorkflowError: createBatch only supports {MAX_BATCH} instances at a time")
        rows: list[tuple[str, str, str, int, str]] = []
        seen: set[str] = set()
        now = self.clock.time_ms()
        for option in options:
            instance_id = option.get("id")
            if instance_id is None:
                instance_id = str(uuid.uuid4())
            elif trigger != "cron":
                instance_id = check_instance_id(instance_id)
            if instance_id in seen:
                raise WorkflowError("instance.already_exists", "Instance already exists")
            seen.add(instance_id)
            params = option.get("params")
            try:
                params_json = serialization.dumps(JsDict() if params is None else params)
            except serialization.NotSerialisable as exc:
                raise TypeError(f"Workflow instance params cannot be serialised: {exc}") from None
            if len(params_json.encode("utf-8")) > MAX_VALUE_BYTES:
                raise WorkflowError("instance.params_too_large",
                                    "Instance params are too large. Maximum allowed size is 1MiB.")
            rows.append((instance_id, self.objects.object_id(instance_id), params_json, now, trigger))
        if self.index.create_instances(rows):
            raise WorkflowError("instance.already_exists", "Instance already exists")
        ids = [row[0] for row in rows]
        for instance_id in ids:
            self._status_cache[instance_id] = QUEUED
            if self.session is not None:
                self.modifiers.setdefault(instance_id, _copy_modifiers(self.session))
                self.session_ids.append(instance_id)
        if self.active:
            # create() returns before the run starts, as on Cloudflare.
            loop = asyncio.get_running_loop()
            for instance_id in ids:
                loop.call_soon(self.start_runner, instance_id)
        return ids

    def start_runner(self, instance_id: str) -> None:
        if not self.active or instance_id in self.runners:
            return
        row = self.index.instance(instance_id)
        if row is None or row.status not in RESUMABLE:
            return
        runner = Runner(self, row)
        self.runners[instance_id] = runner
        runner.task = self.background.spawn(runner.main(), f"workflow {self.name} instance {instance_id}",
                                            parked=runner.parked)
        runner.task.add_done_callback(lambda task: self._runner_done(runner, task))

    def _runner_done(self, runner: Runner, task: asyncio.Task[None]) -> None:
        if self.runners.get(runner.id) is runner:
            del self.runners[runner.id]
        self._status_cache.pop(runner.id, None)
        if runner.id not in self.runners:
            self.objects.release(runner.id)
        self.changed(runner.id)

    def storage_failed(self, instance_id: str, exc: BaseException) -> None:
        """The disk failed the run (full, I/O error): what it stored stays, its status is left as it was, and
        it carries on from its last stored step after :data:`STORAGE_RETRY_SECONDS` (or at the next start)."""
        log.error("workflow %s instance %s stopped: storage failed (%s); it carries on in %d s", self.name,
                  instance_id, storage_error(exc), STORAGE_RETRY_SECONDS)
        self.clock.call_later(STORAGE_RETRY_SECONDS, lambda: self.start_runner(instance_id))

    def resume_all(self) -> int:
        """At start-up (also after a crash): queued and running instances carry on now; waiting ones when
        their alarm (earliest sleep, retry delay or event timeout) is due, or now if an event came meanwhile."""
        self.objects.register(self.on_alarm)
        for instance_id in self.index.ids_with_status((WAITING_FOR_PAUSE,)):
            # Its running steps were cut short by the stop: the pause is complete.
            self.set_status(instance_id, PAUSED, paused_ms=self.clock.time_ms())
        ids = self.index.ids_with_status(RESUMABLE)
        now = self.clock.time_ms()
        for instance_id in ids:
            if self.current_status(instance_id) == WAITING:
                storage = self.objects.storage(instance_id)
                wake = storage.earliest_wake()
                if wake is not None and wake > now and not storage.has_unconsumed_events():
                    self.objects.set_alarm(instance_id, wake)  # the stored wake-up is the truth
                    continue
            self.start_runner(instance_id)
        return len(ids)

    async def on_alarm(self, address: Any, info: Any) -> None:
        """The instance's alarm: a sleep, retry delay or event timeout is due; replay it (if it waits)."""
        instance_id = self.index.instance_of_object(address.id)
        if instance_id is not None:
            self.start_runner(instance_id)

    async def close(self) -> None:
        self.active = False
        tasks = [r.task for r in self.runners.values() if r.task is not None]
        self.runners.clear()  # first: runners cut short by the stop leave their stored status as it is
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- control ---------------------------------------------------------------------------------
    def instance(self, instance_id: str) -> InstanceRow:
        row = self.index.instance(instance_id) if isinstance(instance_id, str) else None
        if row is None:
            raise not_found()
        return row

    def status(self, instance_id: str) -> JsDict:
        row = self.instance(instance_id)
        result = JsDict(status=row.status, output=serialization.loads(row.output))
        if row.error:
            result["error"] = JsDict(json.loads(row.error))
        return result

    def pause(self, instance_id: str) -> None:
        row = self.instance(instance_id)
        if row.status not in (RUNNING, WAITING):
            return
        runner = self.runners.get(instance_id)
        if runner is None:
            self.set_status(instance_id, PAUSED, paused_ms=self.clock.time_ms())
            return
        runner.pausing = True
        runner.unpaused.clear()
        self.set_status(instance_id, WAITING_FOR_PAUSE)
        if runner.running_attempts == 0:
            self.finish_pause(runner)

    def finish_pause(self, runner: Runner) -> None:
        if not runner.pausing:
            return
        runner.pausing = False
        self.set_status(runner.id, PAUSED, paused_ms=self.clock.time_ms())
        if runner.task is not None and not runner.task.done():
            runner.task.cancel()
        if self.runners.get(runner.id) is runner:
            del self.runners[runner.id]

    def resume(self, instance_id: str) -> None:
        row = self.instance(instance_id)
        runner = self.runners.get(instance_id)
        if row.status == WAITING_FOR_PAUSE and runner is not None:
            runner.pausing = False
            runner.unpaused.set()
            self.set_status(instance_id, WAITING if runner.waiting and not runner.running_attempts else RUNNING)
            return
        if row.status not in (PAUSED, WAITING_FOR_PAUSE):
            return
        now = self.clock.time_ms()
        if row.paused_ms is not None:
            # Time spent paused does not count towards sleeps, retry delays or event timeouts.
            self.objects.storage(instance_id).shift_wakes(now - row.paused_ms)
        self.set_status(instance_id, RUNNING, paused_ms=None)
        self.start_runner(instance_id)

    def terminate(self, instance_id: str) -> None:
        row = self.instance(instance_id)
        if row.status in FINISHED:
            raise WorkflowError("instance.cannot_terminate", "Cannot terminate instance since its on a finite state")
        self.stop_runner(instance_id)
        storage = self.objects.storage(instance_id)
        steps = storage.steps()
        seq = max((s.seq for s in steps.values()), default=0) + 1
        storage.put_step(StepRow(f"termination\n{seq}", seq, "termination", "termination", 1,
                                                 "success", start_ms=self.clock.time_ms(),
                                                 end_ms=self.clock.time_ms(), config=json.dumps({"source": "api"})))
        self.finish(instance_id, TERMINATED)

    def restart(self, instance_id: str) -> None:
        self.instance(instance_id)
        self.stop_runner(instance_id)
        self.objects.storage(instance_id).wipe()
        self.objects.set_alarm(instance_id, None)
        self.index.requeue(instance_id, self.clock.time_ms())
        self._status_cache[instance_id] = QUEUED
        self.changed(instance_id)
        if self.active:
            asyncio.get_running_loop().call_soon(self.start_runner, instance_id)

    def send_event(self, instance_id: str, event_type: Any, payload: Any) -> None:
        self.instance(instance_id)
        check_event_type(event_type)
        try:
            text = serialization.dumps(payload)
        except serialization.NotSerialisable as exc:
            raise TypeError(f"Event payload cannot be serialised: {exc}") from None
        if len(text.encode("utf-8")) > MAX_VALUE_BYTES:
            raise WorkflowError("event.payload_too_large", "Event payload is too large. Maximum allowed size is 1MiB.")
        self.objects.storage(instance_id).add_event(event_type, text, self.clock.time_ms())
        runner = self.runners.get(instance_id)
        if runner is not None:
            runner.event_arrived(event_type)
        elif self.active:
            self.start_runner(instance_id)  # a waiting instance without a live run replays and takes it
        self.changed(instance_id)

    def reload(self) -> None:
        """The worker's code changed: every live run starts over on the new code (finished steps replay
        from storage, the step in progress runs again)."""
        if not self.active:
            return
        ids = list(self.runners)
        for instance_id in ids:
            self.stop_runner(instance_id)
            if self.current_status(instance_id) == WAITING_FOR_PAUSE:
                self.set_status(instance_id, PAUSED, paused_ms=self.clock.time_ms())
        loop = asyncio.get_running_loop()
        for instance_id in ids:
            loop.call_soon(self.start_runner, instance_id)

    def stop_runner(self, instance_id: str) -> None:
        runner = self.runners.pop(instance_id, None)
        if runner is not None and runner.task is not None and not runner.task.done():
            runner.pausing = False
            runner.task.cancel()

    # -- reading, for the CLI and tests ----------------------------------------------------------
    def describe(self, instance_id: str) -> dict[str, Any]:
        row = self.instance(instance_id)
        steps = []
        for step in self.objects.storage(instance_id).steps().values():
            entry: dict[str, Any] = {"name": step.name, "type": "step" if step.kind == "do" else step.kind,
                                     "start": step.start_ms, "end": step.end_ms}
            config = json.loads(step.config) if step.config else {}
            if step.kind == "do":
                entry.update(count=step.count, config=config, attempts=step.attempts,
                             success=None if step.state in ("running", "waiting") else step.state == "success",
                             output=serialization.plain(serialization.loads(step.output)) if step.output else None,
                             error=json.loads(step.error) if step.error else None)
                if step.state == "waiting":
                    entry["retryAt"] = step.wake_ms
            elif step.kind == "sleep":
                entry.update(finished=step.state == "success", wakeAt=step.wake_ms, durationMs=config.get("duration"))
            elif step.kind == "waitForEvent":
                entry.update(eventType=config.get("type"), finished=step.state != "waiting",
                             timeoutAt=step.wake_ms,
                             output=serialization.plain(_event_output(step.output)) if step.output else None,
                             error=json.loads(step.error) if step.error else None)
            else:
                entry["trigger"] = config
            steps.append(entry)
        return {
            "id": row.id, "status": row.status, "trigger": row.trigger,
            "params": serialization.plain(serialization.loads(row.params)),
            "queued": row.created_ms, "start": row.started_ms, "end": row.ended_ms,
            "output": serialization.plain(serialization.loads(row.output)),
            "error": json.loads(row.error) if row.error else None,
            "steps": steps,
        }


def _event_output(output: str) -> dict[str, Any]:
    data = json.loads(output)
    return {"type": data.get("type"), "payload": serialization.loads(data.get("payload")),
            "timestamp": data.get("timestamp")}


def _copy_modifiers(source: Modifiers) -> Modifiers:
    return Modifiers(
        all_sleeps_disabled=source.all_sleeps_disabled, disabled_sleeps=set(source.disabled_sleeps),
        all_retry_delays_disabled=source.all_retry_delays_disabled,
        disabled_retry_delays=set(source.disabled_retry_delays), step_results=dict(source.step_results),
        step_errors={k: dict(v) for k, v in source.step_errors.items()},
        step_timeouts=dict(source.step_timeouts), events=list(source.events),
        event_timeouts=set(source.event_timeouts),
    )
