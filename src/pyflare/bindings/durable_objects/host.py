"""A Durable Object class hosted by a worker: builds instances, delivers fetch / RPC / alarm events to them.

One :class:`ClassHost` per (worker, class), kept on that worker's object layer, so every binding to the
class (from this worker or another) reaches the same live instances and storage.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from pyflare.bindings.durable_objects import constants as C
from pyflare.bindings.durable_objects.errors import DurableObjectAbort, DurableObjectError
from pyflare.bindings.durable_objects.namespace import DurableObjectId
from pyflare.bindings.durable_objects.shared import SharedClass
from pyflare.bindings.durable_objects.state import STATE, DurableObjectState
from pyflare.config.migrations import class_backends
from pyflare.kernel.context import call_as, fit_args
from pyflare.kernel.stash import StashKey
from pyflare.kernel.tracing import invocation, traced
from pyflare.objects import LiveObject, ObjectAddress, ObjectClass
from pyflare.objects.ownership import NamespaceOwnership
from pyflare.peers import PEERS, ObjectHandler
from pyflare.runtime.events import fetch_event, url_path
from pyflare.websockets.socket import holds_object
from pyflare.workers import Request, Response
from pyflare.workers.rpc import from_rpc, rpc_method, to_rpc

if TYPE_CHECKING:
    from pyflare.runtime.plugin import Platform


# The hosted classes of every worker, by "<worker>-<Class>" (in ObjectLayer.stash).
HOSTS = StashKey[dict[str, "ClassHost"]]("Durable Object classes")


def _subrequest(host: ClassHost, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    address = args[0]
    attributes = {"cloudflare.binding.type": "DURABLE_OBJECT_NAMESPACE", "cloudflare.durable_object.class":
                  host.class_name, "cloudflare.durable_object.id": address.id}
    if method == "call":
        attributes["cloudflare.jsrpc.method"] = args[1]
    return attributes


def _object_attributes(host: ClassHost, address: ObjectAddress) -> dict[str, Any]:
    return {"cloudflare.execution_model": "stateful", "cloudflare.durable_object.id": address.id,
            "cloudflare.durable_object.class": host.class_name}


# The caller's side of a request to an object (a stub's fetch or RPC method): Cloudflare's span name.
@traced("do", {"call": "durable_object_subrequest", "fetch": "durable_object_subrequest"}, _subrequest)
class ClassHost:
    """Objects of one exported class of one worker."""

    def __init__(self, platform: Platform, class_name: str) -> None:
        self.platform = platform
        self.class_name = class_name
        self.worker = platform.config.name
        self.namespace_key = f"{self.worker}-{class_name}"
        assert platform.objects is not None
        self.layer = platform.objects
        self.runtime = platform.runtime
        self.clock = platform.clock
        worker_config = platform.config.worker
        # Classes not named in any migration are treated as KV-backed, as wrangler does (no SQL).
        uses_sqlite = class_backends(worker_config.migrations).get(class_name, False)
        self.backend = C.SQLITE if uses_sqlite else C.KV
        date = worker_config.compatibility_date or "2000-01-01"
        flags = set(worker_config.compatibility_flags)
        self.delete_all_deletes_alarm = (
            "delete_all_deletes_alarm" in flags
            or (date >= C.DELETE_ALL_DELETES_ALARM_DATE and "delete_all_preserves_alarm" not in flags)
        )
        self._names: dict[str, str] = {}
        self.object_class = ObjectClass(factory=self._construct, on_alarm=self._on_alarm, can_evict=_keeps_alive)
        # A state folder other processes may use too: one of them hosts the objects (pyflare.objects.ownership).
        peers = platform.shared.get(PEERS, None)
        self.shared: SharedClass | None = None
        if platform.storage.persistent and peers is not None:
            ownership = NamespaceOwnership(platform.storage, self.namespace_key)
            self.shared = SharedClass(ownership, peers, lambda: self.runtime.worker is not None,
                                      lambda: self.layer.rearm(self.worker, class_name))
            self.object_class.owned = lambda: ownership.owned
        self.layer.register(self.worker, class_name, self.object_class)

    @classmethod
    def of(cls, platform: Platform, class_name: str) -> ClassHost:
        """The host of ``class_name`` in the worker ``platform`` belongs to (created once per layer)."""
        assert platform.objects is not None
        hosts = platform.objects.stash.setdefault(HOSTS, {})
        key = f"{platform.config.name}-{class_name}"
        host = hosts.get(key)
        if host is None:
            host = hosts[key] = cls(platform, class_name)
        return host

    def spawn(self, awaitable: Any, what: str) -> Any:
        return self.platform.spawn(awaitable, what)

    def address(self, object_id: str, name: str | None = None) -> ObjectAddress:
        address = ObjectAddress(self.worker, self.class_name, object_id)
        if name is not None:
            self._names.setdefault(object_id, name)
            self.layer.name_object(address, name)
        return address

    def exported_class(self) -> type | None:
        worker = self.runtime.worker
        return None if worker is None else worker.exports.get(self.class_name)

    def has_alarm_handler(self) -> bool:
        cls = self.exported_class()
        return cls is not None and (callable(getattr(cls, "alarm", None)) or callable(getattr(cls, "on_alarm", None)))

    def release(self) -> None:
        """Stop hosting the class (at shutdown): another process sharing the state folder may take it."""
        if self.shared is not None:
            self.shared.ownership.release()

    def peer_handler(self) -> ObjectHandler:
        """How another pyflare process delivers fetch and RPC events to this class's objects."""
        return ObjectHandler(
            fetch=lambda object_id, name, request: self.fetch(self.address(object_id, name), request, None, {}),
            call=lambda object_id, name, method, args, kwargs: self.call(self.address(object_id, name), method,
                                                                         tuple(args), kwargs))

    def reset(self, live: LiveObject, why: str) -> None:
        self.layer.evict(live.address, f"reset: {why}")

    # -- instances --------------------------------------------------------------------------------
    def _construct(self, live: LiveObject) -> Any:
        object_id = DurableObjectId(live.address.id, self._names.get(live.address.id), self.namespace_key)
        state = DurableObjectState(self, live, object_id)
        live.stash[STATE] = state
        return self.runtime.construct(self.class_name, state)

    # -- events -----------------------------------------------------------------------------------
    async def call(self, address: ObjectAddress, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """An RPC call ``stub.name(*args, **kwargs)``: arguments and result cross under the RPC type rules."""
        if self.shared is not None and not self.shared.here():  # another process hosts the class
            here, result = await self.shared.call(address, self._names.get(address.id), name,
                                                  [to_rpc(a) for a in args], {k: to_rpc(v) for k, v in kwargs.items()})
            if not here:
                return result
        if args:
            args = tuple(from_rpc(to_rpc(a)) for a in args)
        if kwargs:
            kwargs = {k: from_rpc(to_rpc(v)) for k, v in kwargs.items()}
        async with self.layer.enter(address) as live:
            method = rpc_method(live.instance, name)
            try:
                with invocation(self.runtime.worker, "jsrpc", f"{self.class_name}.{name}", "do",
                                event={"rpcMethod": name}, entrypoint=self.class_name,
                                attributes=_object_attributes(self, address)):
                    result = await call_as(self.runtime.worker, method, *args, **kwargs)
            except DurableObjectAbort as exc:
                raise DurableObjectError(str(exc) or C.ABORT_DEFAULT) from None
        kind = type(result)
        if kind is int or kind is str or result is None:
            return result
        return from_rpc(to_rpc(result))

    async def fetch(self, address: ObjectAddress, input: Any, init: Any, kwargs: dict[str, Any]) -> Response:  # noqa: A002
        options = {**(dict(init) if init else {}), **kwargs}
        request = input if isinstance(input, Request) and not options else Request(input, **options)
        if "://" not in request.url:  # a stub has no base URL to resolve a relative one against
            raise TypeError(f"Fetch API cannot load: {request.url}")
        if self.shared is not None and not self.shared.here():  # another process hosts the class
            here, response = await self.shared.fetch(address, self._names.get(address.id), request)
            if not here:
                assert response is not None
                return response
        async with self.layer.enter(address) as live:
            handler = getattr(live.instance, "fetch", None) or getattr(live.instance, "on_fetch", None)
            if not callable(handler):
                raise TypeError("Handler does not export a fetch() function.")
            try:
                with invocation(self.runtime.worker, "fetch", f"{self.class_name}.fetch {request.method} "
                                f"{url_path(request.url)}", "do", event=fetch_event(request),
                                entrypoint=self.class_name, attributes=_object_attributes(self, address)) as inv:
                    response = await call_as(self.runtime.worker, handler, *fit_args(handler, (request,)))
                    if inv is not None and isinstance(response, Response):
                        inv.status = response.status
            except DurableObjectAbort as exc:
                raise DurableObjectError(str(exc) or C.ABORT_DEFAULT) from None
        if not isinstance(response, Response):
            raise TypeError(
                f"The Durable Object's fetch handler returned {type(response).__name__}, not a workers.Response"
            )
        return response

    async def _on_alarm(self, address: ObjectAddress, info: Any) -> None:
        async with self.layer.enter(address) as live:
            handler = getattr(live.instance, "alarm", None) or getattr(live.instance, "on_alarm", None)
            if not callable(handler):
                return
            scheduled = self.layer.storage(address).read_alarm()
            try:
                with invocation(self.runtime.worker, "alarm", f"{self.class_name}.alarm", "alarm", detached=True,
                                event={"scheduledTime": _iso(scheduled)}, entrypoint=self.class_name,
                                attributes={**_object_attributes(self, address),
                                            "cloudflare.alarm.retry_count": info.retryCount}):
                    await call_as(self.runtime.worker, handler, *fit_args(handler, (info,)))
            except DurableObjectAbort as exc:
                raise DurableObjectError(str(exc) or C.ABORT_DEFAULT) from None


def _iso(ms: int | None) -> str | None:
    """An alarm's time as the ISO date a trace item's alarm event carries."""
    if ms is None:
        return None
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z")


def _keeps_alive(live: LiveObject) -> bool:
    """The eviction rule of a Durable Object class: an idle object with an open ``accept()``-ed WebSocket
    stays (workerd keeps the actor for it); hibernatable sockets do not hold it."""
    return not holds_object(live)
