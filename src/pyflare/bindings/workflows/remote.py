"""A workflow whose class runs in another ``pyflare dev`` process (``script_name`` of a worker the dev
registry has): the same binding and instance handles, each call carried to the process that runs it.

That process keeps the instances, in its own state: creating one here while it is not running raises
wrangler's text (``Worker "users" not found. Make sure it is running locally.``), as does any call until it is
back; instances created before it stopped carry on when it starts again (workflows survive restarts).
"""

from __future__ import annotations

from typing import Any

from pyflare.bindings.workflows.binding import _options
from pyflare.bindings.workflows.errors import WorkflowError
from pyflare.kernel.jsdict import JsDict
from pyflare.peers import Peers


class RemoteWorkflow:
    """``env.WF`` for a workflow another process runs: ``create``, ``create_batch`` and ``get``."""

    def __init__(self, peers: Peers, worker: str, name: str) -> None:
        self._peers = peers
        self._worker = worker
        self.name = name

    async def _op(self, op: str, instance_id: str | None = None, **args: Any) -> Any:
        return await self._peers.call(self._worker, "workflow", {"worker": self._worker, "workflow": self.name,
                                                                 "op": op, "id": instance_id, "args": args})

    @property
    def banner_mode(self) -> str:
        return "local [connected]" if self._peers.connected(self._worker) else "local [not connected]"

    async def create(self, options: dict[str, Any] | None = None, **kwargs: Any) -> RemoteWorkflowInstance:
        [instance_id] = await self._op("create", options=[_options(options, kwargs, "create()")])
        return RemoteWorkflowInstance(self, instance_id)

    async def create_batch(self, batch: list[dict[str, Any]]) -> list[RemoteWorkflowInstance]:
        if not isinstance(batch, (list, tuple)):
            raise TypeError(f"create_batch() takes a list of options, not {type(batch).__name__}")
        if not batch:
            raise WorkflowError("", "WorkflowError: batchCreate should have at least 1 instance")
        ids = await self._op("create", options=[_options(item, {}, "create_batch()") for item in batch])
        return [RemoteWorkflowInstance(self, instance_id) for instance_id in ids]

    createBatch = create_batch  # noqa: N815 - the JavaScript name

    async def get(self, instance_id: str) -> RemoteWorkflowInstance:
        await self._op("get", instance_id)
        return RemoteWorkflowInstance(self, instance_id)

    def __repr__(self) -> str:
        return f"<Workflow {self.name} (in worker {self._worker!r} of another process)>"


class RemoteWorkflowInstance:
    """A handle on one instance of a workflow another process runs."""

    def __init__(self, workflow: RemoteWorkflow, instance_id: str) -> None:
        self._workflow = workflow
        self.id = instance_id

    async def status(self) -> JsDict:
        return JsDict(await self._workflow._op("status", self.id))

    async def pause(self) -> None:
        await self._workflow._op("pause", self.id)

    async def resume(self) -> None:
        await self._workflow._op("resume", self.id)

    async def terminate(self) -> None:
        await self._workflow._op("terminate", self.id)

    async def restart(self) -> None:
        await self._workflow._op("restart", self.id)

    async def send_event(self, event: dict[str, Any] | None = None, **kwargs: Any) -> None:
        options = _options(event, kwargs, "send_event()")
        await self._workflow._op("send_event", self.id, type=options.get("type"), payload=options.get("payload"))

    sendEvent = send_event  # noqa: N815 - the JavaScript name

    def __repr__(self) -> str:
        return f"<WorkflowInstance {self._workflow.name}/{self.id}>"
