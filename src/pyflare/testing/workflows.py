"""Workflow helpers for tests, after Cloudflare's vitest pool (``introspectWorkflowInstance``) in snake_case.

```python
from pyflare.testing import introspect_workflow_instance

async def no_waiting(m):
    await m.disable_sleeps()
    await m.mock_step_result({"name": "charge"}, {"ok": True})

async with await introspect_workflow_instance(mf.env.MY_WORKFLOW, "order-1") as instance:
    await instance.modify(no_waiting)
    await mf.env.MY_WORKFLOW.create({"id": "order-1", "params": {...}})
    assert await instance.wait_for_step_result({"name": "ship"}) == {...}
    await instance.wait_for_status("complete")
    assert await instance.get_output() == {...}
```

Modifications may be made before the instance is created (as in vitest) or while it runs. A step selector
is ``{"name": ..., "index": n}`` (``index`` counts calls of that name, from 1) or just the name. The waits
never move the clock; they give up after ``timeout`` real seconds (default 10) with the instance's status in
the message, which points at a sleep nobody advanced the clock past.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable
from typing import Any

from pyflare.bindings.workflows import Workflow, serialization
from pyflare.bindings.workflows.binding import engine_of
from pyflare.bindings.workflows.constants import FINISHED
from pyflare.bindings.workflows.context import rebuild_error
from pyflare.bindings.workflows.engine import Engine, Modifiers

__all__ = [
    "WorkflowInstanceIntrospector",
    "WorkflowInstanceModifier",
    "WorkflowIntrospector",
    "introspect_workflow",
    "introspect_workflow_instance",
]

DEFAULT_TIMEOUT = 10.0


def _engine(binding: Any) -> Engine:
    if not isinstance(binding, Workflow):
        raise TypeError(f"[WorkflowIntrospector] expected a Workflow binding (env.MY_WORKFLOW), not {binding!r}")
    return engine_of(binding)


def _selector(step: Any) -> tuple[str, int]:
    if isinstance(step, str):
        return step, 1
    if isinstance(step, dict) and isinstance(step.get("name"), str):
        return step["name"], int(step.get("index") or 1)
    raise TypeError(f'a step selector is {{"name": ..., "index": n}} or a name, not {step!r}')


class WorkflowInstanceModifier:
    """What ``modify(fn)`` hands to ``fn``: each call changes how the instance's steps behave."""

    def __init__(self, modifiers: Modifiers) -> None:
        self._m = modifiers

    async def disable_sleeps(self, steps: list[Any] | None = None) -> None:
        """Sleeps (all, or the selected ones) end at once."""
        if steps is None:
            self._m.all_sleeps_disabled = True
        else:
            self._m.disabled_sleeps.update(_selector(s) for s in steps)

    async def disable_retry_delays(self, steps: list[Any] | None = None) -> None:
        """Failed attempts are retried at once instead of after their backoff."""
        if steps is None:
            self._m.all_retry_delays_disabled = True
        else:
            self._m.disabled_retry_delays.update(_selector(s) for s in steps)

    async def mock_step_result(self, step: Any, result: Any) -> None:
        """The step does not run; it returns ``result`` (stored like a real result)."""
        key = _selector(step)
        if key in self._m.step_results:
            raise RuntimeError(f"[WorkflowIntrospector] Trying to mock step '{key[0]}' multiple times!")
        serialization.dumps(result)  # refuse now what the step could not store
        self._m.step_results[key] = result

    async def mock_step_error(self, step: Any, error: BaseException, times: int | None = None) -> None:
        """Attempts of the step raise ``error`` instead of running: every attempt, or the next ``times``."""
        key = _selector(step)
        if key in self._m.step_results:
            raise RuntimeError(f"[WorkflowIntrospector] Trying to mock error on step '{key[0]}' after mocking its result!")
        errors = self._m.step_errors.setdefault(key, {})
        if times:
            start = self._m.error_counters.get(key, 1)
            for attempt in range(start, start + times):
                errors[attempt] = error
            self._m.error_counters[key] = start + times
        else:
            errors[None] = error

    async def force_step_timeout(self, step: Any, times: int | None = None) -> None:
        """Attempts of the step time out at once: every attempt, or the next ``times``."""
        key = _selector(step)
        if key in self._m.step_results:
            raise RuntimeError(f"[WorkflowIntrospector] Trying to force timeout on step '{key[0]}' after mocking its result!")
        self._m.step_timeouts[key] = times

    async def mock_event(self, event: dict[str, Any]) -> None:
        """Deliver ``{"type", "payload"}`` to the first ``wait_for_event`` of that type."""
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise TypeError('mock_event takes {"type": ..., "payload": ...}')
        self._m.events.append((event["type"], event.get("payload")))

    async def force_event_timeout(self, step: Any) -> None:
        """The selected ``wait_for_event`` times out at once."""
        self._m.event_timeouts.add(_selector(step))


async def _apply(fn: Callable[[WorkflowInstanceModifier], Any], modifier: WorkflowInstanceModifier) -> None:
    result = fn(modifier)
    if inspect.isawaitable(result):
        await result


class WorkflowInstanceIntrospector:
    """One instance under test (it need not exist yet)."""

    def __init__(self, engine: Engine, instance_id: str) -> None:
        self._engine = engine
        self.id = instance_id

    async def modify(self, fn: Callable[[WorkflowInstanceModifier], Any]) -> WorkflowInstanceIntrospector:
        modifiers = self._engine.modifiers.setdefault(self.id, Modifiers())
        await _apply(fn, WorkflowInstanceModifier(modifiers))
        return self

    async def _wait(self, check: Callable[[], tuple[bool, Any]], what: str, timeout: float) -> Any:
        async def loop() -> Any:
            while True:
                done, value = check()
                if done:
                    return value
                await self._engine.wait_change(self.id)

        try:
            return await asyncio.wait_for(loop(), timeout)
        except asyncio.TimeoutError:
            status = self._engine.current_status(self.id) or "not created"
            raise TimeoutError(f"workflow instance {self.id!r} did not reach {what} within {timeout:g}s (status: "
                               f"{status}); advance the clock past its sleeps or use disable_sleeps()") from None

    async def wait_for_status(self, status: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Until the instance has ``status`` (an AssertionError if it finishes with another one)."""
        def check() -> tuple[bool, Any]:
            row = self._engine.index.instance(self.id)
            if row is None:
                return False, None
            if row.status == status:
                return True, None
            if row.status in FINISHED and status not in FINISHED and status != "queued":
                raise AssertionError(f"workflow instance {self.id!r} is {row.status}, so it will never be {status}"
                                     + (f": {row.error}" if row.error else ""))
            if row.status in FINISHED and status in FINISHED:
                raise AssertionError(f"workflow instance {self.id!r} ended {row.status}, not {status}"
                                     + (f": {row.error}" if row.error else ""))
            return False, None

        await self._wait(check, f"status {status!r}", timeout)

    async def wait_for_step_result(self, step: Any, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """The stored result of a ``step.do`` once it has one; raises the step's error if it failed for good."""
        name, index = _selector(step)

        def check() -> tuple[bool, Any]:
            for row in self._engine.objects.storage(self.id).steps().values():
                if row.kind == "do" and row.name == name and row.count == index:
                    if row.state == "success":
                        return True, serialization.loads(row.output)
                    if row.state == "failure":
                        raise rebuild_error(row.error)
            return False, None

        return await self._wait(check, f"a result for step {name!r} #{index}", timeout)

    async def get_output(self) -> Any:
        row = self._engine.instance(self.id)
        if row.status != "complete":
            raise RuntimeError(f"workflow instance {self.id!r} has no output: it is {row.status}")
        return serialization.loads(row.output)

    async def get_error(self) -> dict[str, str]:
        row = self._engine.instance(self.id)
        if row.status != "errored" or not row.error:
            raise RuntimeError(f"workflow instance {self.id!r} has no error: it is {row.status}")
        return json.loads(row.error)

    async def dispose(self) -> None:
        """Stop the instance if it still runs and forget the modifications."""
        self._engine.stop_runner(self.id)
        self._engine.modifiers.pop(self.id, None)

    async def __aenter__(self) -> WorkflowInstanceIntrospector:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.dispose()


class WorkflowIntrospector:
    """Every instance the binding creates while this is open (``introspect_workflow(binding)``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        if engine.session is not None:
            raise RuntimeError(f'Workflow "{engine.name}" already has an active introspection session.')
        engine.session = Modifiers()
        engine.session_ids = []

    async def modify_all(self, fn: Callable[[WorkflowInstanceModifier], Any]) -> None:
        """Modifications for every instance created from now on."""
        assert self._engine.session is not None
        await _apply(fn, WorkflowInstanceModifier(self._engine.session))

    async def get(self) -> list[WorkflowInstanceIntrospector]:
        return [WorkflowInstanceIntrospector(self._engine, i) for i in self._engine.session_ids]

    async def dispose(self) -> None:
        for instance_id in self._engine.session_ids:
            self._engine.stop_runner(instance_id)
            self._engine.modifiers.pop(instance_id, None)
        self._engine.session = None
        self._engine.session_ids = []

    async def __aenter__(self) -> WorkflowIntrospector:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.dispose()


async def introspect_workflow_instance(binding: Any, instance_id: str) -> WorkflowInstanceIntrospector:
    """Inspect and steer one instance of ``binding`` by id (before or after it is created)."""
    if not instance_id:
        raise ValueError("[WorkflowIntrospector] Workflow binding and instance id are required.")
    return WorkflowInstanceIntrospector(_engine(binding), instance_id)


async def introspect_workflow(binding: Any) -> WorkflowIntrospector:
    """Inspect and steer every instance ``binding`` creates from now on."""
    return WorkflowIntrospector(_engine(binding))
