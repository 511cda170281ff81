"""``env.MY_WORKFLOW``: the Workflow binding a worker calls, and the instance handles it returns."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pyflare.bindings.workflows.engine import Engine
from pyflare.bindings.workflows.errors import INTERNAL_SERVER_ERROR, WorkflowError
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.tracing import traced
from pyflare.storage.errors import StorageError, storage_error


@contextmanager
def _failing_disk() -> Iterator[None]:
    """A failing disk (full, I/O error) is the Workflows service's internal error, with the storage's text:
    ``(workflows.api.error.internal_server) database or disk is full: SQLITE_FULL``. Nothing is half-stored."""
    try:
        yield
    except (sqlite3.Error, OSError, StorageError) as exc:
        failure = storage_error(exc)
        if failure is None:
            raise
        raise WorkflowError(INTERNAL_SERVER_ERROR, str(failure)) from exc


def _options(value: Any, kwargs: dict[str, Any], what: str) -> dict[str, Any]:
    if value is None:
        return dict(kwargs)
    if not isinstance(value, dict):
        raise TypeError(f"{what} takes a dict such as {{'id': ..., 'params': {{...}}}}, not {type(value).__name__}")
    return {**value, **kwargs}


def _span_attributes(binding: Workflow, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    attributes: dict[str, Any] = {"cloudflare.binding.type": "WORKFLOW"}
    if isinstance(binding._target, Engine):
        attributes["cloudflare.workflow.name"] = binding._target.name
    if method == "get" and args:
        attributes["cloudflare.workflow.instance_id"] = str(args[0])
    return attributes


@traced("workflow", {"create": "workflow_create", "create_batch": "workflow_createBatch", "get": "workflow_get"},
        _span_attributes)
class Workflow:
    """A workflow binding: ``create``, ``create_batch`` and ``get``."""

    def __init__(self, engine: Engine | Callable[[], Engine]) -> None:
        # A callable: the workflow runs in another worker of this pyflare (script_name), found on first use.
        self._target = engine

    @property
    def _engine(self) -> Engine:
        if isinstance(self._target, Engine):
            return self._target
        self._target = self._target()
        return self._target

    @property
    def name(self) -> str:
        return self._engine.name

    async def create(self, options: dict[str, Any] | None = None, **kwargs: Any) -> WorkflowInstance:
        """Queue a new instance (``{"id": optional, "params": {...}}``); returns before its run starts."""
        request = _options(options, kwargs, "create()")
        with _failing_disk():
            [instance_id] = self._engine.create([request])
        return WorkflowInstance(self._engine, instance_id)

    async def create_batch(self, batch: list[dict[str, Any]]) -> list[WorkflowInstance]:
        """Queue up to 100 instances at once (all or none)."""
        if not isinstance(batch, (list, tuple)):
            raise TypeError(f"create_batch() takes a list of options, not {type(batch).__name__}")
        if not batch:
            raise WorkflowError("", "WorkflowError: batchCreate should have at least 1 instance")
        requests = [_options(item, {}, "create_batch()") for item in batch]
        with _failing_disk():
            ids = self._engine.create(requests)
        return [WorkflowInstance(self._engine, instance_id) for instance_id in ids]

    createBatch = create_batch  # noqa: N815 - the JavaScript name

    async def get(self, instance_id: str) -> WorkflowInstance:
        """The instance with this id; ``(instance.not_found) Instance not found`` if there is none."""
        with _failing_disk():
            self._engine.instance(instance_id)
        return WorkflowInstance(self._engine, instance_id)

    def __repr__(self) -> str:
        if isinstance(self._target, Engine):
            return f"<Workflow {self._target.name}>"
        return "<Workflow (in another worker)>"


class WorkflowInstance:
    """A handle on one instance."""

    def __init__(self, engine: Engine, instance_id: str) -> None:
        self._engine = engine
        self.id = instance_id

    async def status(self) -> JsDict:
        """``{"status": ..., "output": ..., "error": {"name", "message"}}`` (``error`` only when errored)."""
        with _failing_disk():
            return self._engine.status(self.id)

    async def pause(self) -> None:
        with _failing_disk():
            self._engine.pause(self.id)

    async def resume(self) -> None:
        with _failing_disk():
            self._engine.resume(self.id)

    async def terminate(self) -> None:
        with _failing_disk():
            self._engine.terminate(self.id)

    async def restart(self) -> None:
        with _failing_disk():
            self._engine.restart(self.id)

    async def send_event(self, event: dict[str, Any] | None = None, **kwargs: Any) -> None:
        """Deliver ``{"type": ..., "payload": ...}`` to a ``step.wait_for_event`` of that type (now or later)."""
        options = _options(event, kwargs, "send_event()")
        with _failing_disk():
            self._engine.send_event(self.id, options.get("type"), options.get("payload"))

    sendEvent = send_event  # noqa: N815 - the JavaScript name

    def __repr__(self) -> str:
        return f"<WorkflowInstance {self._engine.name}/{self.id}>"


def engine_of(binding: Workflow) -> Engine:
    """The engine behind a workflow binding (for pyflare's own tools: the testing helpers, the CLI)."""
    return binding._engine
