"""Durable Objects of a worker that runs in another ``pyflare dev`` process (``script_name``, via the dev
registry): the same namespace and stubs, with every event sent to the process that hosts the class.

While that worker is not running, a stub's ``fetch`` answers 503 and an RPC call raises, both with wrangler's
text (``Worker "users" not found. Make sure it is running locally.``), as Miniflare's proxy class does.
"""

from __future__ import annotations

from typing import Any

from pyflare.objects import ObjectAddress
from pyflare.peers import Peers, WorkerNotFound
from pyflare.workers import Request, Response
from pyflare.workers.rpc import to_rpc


class RemoteClassHost:
    """Stands in for :class:`~pyflare.bindings.durable_objects.host.ClassHost` of another process's class."""

    def __init__(self, peers: Peers, worker: str, class_name: str) -> None:
        self.peers = peers
        self.worker = worker
        self.class_name = class_name
        self.namespace_key = f"{worker}-{class_name}"
        self._names: dict[str, str] = {}

    def address(self, object_id: str, name: str | None = None) -> ObjectAddress:
        if name is not None:
            self._names.setdefault(object_id, name)
        return ObjectAddress(self.worker, self.class_name, object_id)

    def target(self, address: ObjectAddress) -> dict[str, Any]:
        return {"kind": "object", "worker": self.worker, "class": self.class_name, "id": address.id,
                "name": self._names.get(address.id)}

    @property
    def banner_mode(self) -> str:
        return "local [connected]" if self.peers.connected(self.worker) else "local [not connected]"

    async def fetch(self, address: ObjectAddress, input: Any, init: Any, kwargs: dict[str, Any]) -> Response:  # noqa: A002
        options = {**(dict(init) if init else {}), **kwargs}
        request = input if isinstance(input, Request) and not options else Request(input, **options)
        if "://" not in request.url:
            raise TypeError(f"Fetch API cannot load: {request.url}")
        try:
            return await self.peers.fetch(self.worker, self.target(address), request)
        except WorkerNotFound as exc:
            return Response(str(exc), status=503, headers={"content-type": "text/plain;charset=UTF-8"})

    async def call(self, address: ObjectAddress, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        sent = [to_rpc(arg) for arg in args]
        sent_kwargs = {key: to_rpc(value) for key, value in kwargs.items()}
        return await self.peers.call(self.worker, "call", {"target": self.target(address), "method": name,
                                                           "args": sent, "kwargs": sent_kwargs})
