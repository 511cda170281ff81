"""What a worker's env holds for a ``[[services]]`` binding: ``fetch`` and RPC methods."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pyflare.bindings.services.entrypoints import call_fetch, call_method
from pyflare.bindings.services.validation import check_method_name
from pyflare.kernel.context import call_as
from pyflare.kernel.jsdict import JsDict, to_jsdict
from pyflare.kernel.jserrors import JsException
from pyflare.kernel.tracing import span
from pyflare.peers import PEERS, Peers, WorkerNotFound
from pyflare.workers import Request, Response
from pyflare.workers.host import HeadersInit
from pyflare.workers.rpc import from_rpc, to_rpc

if TYPE_CHECKING:
    from pyflare.config.models import Service
    from pyflare.runtime.plugin import Platform


class ServiceBinding:
    """``env.SVC``: ``await env.SVC.fetch(url_or_request, ...)`` and ``await env.SVC.method(*args)``."""

    def __init__(self, platform: Platform, config: Service) -> None:
        self._platform = platform
        self._config = config
        self._entrypoint = None if config.entrypoint in (None, "", "default") else config.entrypoint
        self._props: dict[str, Any] = to_jsdict(dict(config.props or {}))
        self._target: Any = None

    def _runtime(self) -> Any:
        """The target's runtime in this pyflare, or None when it runs in another process (the dev registry)."""
        if self._target is not None:
            return self._target
        try:
            # The workers of a pyflare are fixed once built (a reload swaps code inside the runtime): keep it.
            self._target = self._platform.resolve_worker(self._config.service).runtime
            return self._target
        except LookupError:
            if self._peers() is not None:
                return None
            entrypoint = self._config.entrypoint or "default"
            raise JsException(f'Couldn\'t find a local dev session for the "{entrypoint}" entrypoint of service '
                              f'"{self._config.service}" to proxy to') from None

    def _peers(self) -> Peers | None:
        peers = self._platform.shared.get(PEERS, None)
        return peers if peers is not None and peers.registry_enabled else None

    def _remote_target(self) -> dict[str, Any]:
        return {"kind": "service", "worker": self._config.service, "entrypoint": self._entrypoint,
                "props": dict(self._props)}

    @property
    def banner_mode(self) -> str:
        """``local``, or for a worker of another process whether the dev registry has it (as wrangler marks it)."""
        peers = self._peers()
        if peers is None or self._runtime() is not None:
            return "local"
        return "local [connected]" if peers.connected(self._config.service) else "local [not connected]"

    async def fetch(
        self,
        resource: str | Request,
        *,
        method: str | None = None,
        headers: HeadersInit = None,
        body: Any = None,
        **init: Any,
    ) -> Response:
        """Send a request to the target worker's fetch handler; it never leaves the process."""
        request = Request(resource, method=method, headers=headers, body=body, **init)
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TypeError(f"Fetch API cannot load: {request.url}")
        with span("fetch", "service", lambda: {**self._span_attributes(), "http.request.method": request.method,
                                               "url.full": request.url}) as traced:
            runtime = self._runtime()
            if runtime is None:  # a worker of another pyflare process
                peers = self._peers()
                assert peers is not None
                try:
                    response = await peers.fetch(self._config.service, self._remote_target(), request)
                except WorkerNotFound as exc:  # Miniflare's proxy answers 503 with its text
                    response = Response(str(exc), status=503, headers={"content-type": "text/plain;charset=UTF-8"})
            else:
                response = await call_fetch(runtime, self._entrypoint, self._props, request)
            if traced is not None:
                traced.set_attribute("http.response.status_code", response.status)
        return response

    def _span_attributes(self) -> dict[str, Any]:
        return {"cloudflare.binding.type": "SERVICE", "cloudflare.binding.name": self._config.binding,
                "cloudflare.service": self._config.service,
                **({"cloudflare.entrypoint": self._config.entrypoint} if self._config.entrypoint else {})}

    def __getattr__(self, name: str) -> RpcMethod:
        if name.startswith("__"):
            raise AttributeError(name)
        method = RpcMethod(self, name)
        setattr(self, name, method)  # one stub per name, as the Python SDK caches them
        return method

    def __repr__(self) -> str:
        target = self._config.service + (f"#{self._config.entrypoint}" if self._config.entrypoint else "")
        return f"<ServiceBinding {self._config.binding} -> {target}>"


class RpcMethod:
    """``env.SVC.name``: awaiting a call converts the arguments and the result by the RPC type rules."""

    __slots__ = ("_binding", "_name")

    def __init__(self, binding: ServiceBinding, name: str) -> None:
        self._binding = binding
        self._name = name

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        sent = [to_rpc(arg) for arg in args]
        sent_kwargs = {key: to_rpc(value) for key, value in kwargs.items()}
        binding = self._binding
        runtime = binding._runtime()
        with span("jsRpcSession", "service",
                  lambda: {**binding._span_attributes(), "cloudflare.jsrpc.method": self._name}):
            if runtime is None:  # a worker of another pyflare process: the result arrives as a copy already
                peers = binding._peers()
                assert peers is not None
                check_method_name(self._name)
                return await peers.call(binding._config.service, "call", {
                    "target": binding._remote_target(), "method": self._name, "args": sent, "kwargs": sent_kwargs})
            result = await call_method(runtime, binding._entrypoint, binding._props, self._name, sent, sent_kwargs)
        return stubs(from_rpc(result), runtime.worker)

    def __repr__(self) -> str:
        return f"<RPC method {self._name} of {self._binding!r}>"


class RpcFunction:
    """A function that came back over RPC: calling it is an RPC call too (awaitable, values converted)."""

    __slots__ = ("_function", "_worker")

    def __init__(self, function: Callable[..., Any], worker: Any) -> None:
        self._function = function
        self._worker = worker  # the worker whose code the function belongs to

    async def __call__(self, *args: Any) -> Any:
        sent = [from_rpc(to_rpc(arg)) for arg in args]
        result = await call_as(self._worker, self._function, *sent)
        return stubs(from_rpc(to_rpc(result)), self._worker)


def stubs(value: Any, worker: Any) -> Any:
    """Replace the functions inside a value received from ``worker`` by :class:`RpcFunction` stubs."""
    if type(value) in (str, int, float, bool) or value is None:
        return value
    if callable(value) and not isinstance(value, (type, RpcFunction, Request, Response)):
        return RpcFunction(value, worker)
    if isinstance(value, JsDict):
        for key, item in dict.items(value):
            if not (type(item) in (str, int, float, bool) or item is None):
                value[key] = stubs(item, worker)
        return value
    if isinstance(value, list):
        return [stubs(item, worker) for item in value]
    return value
