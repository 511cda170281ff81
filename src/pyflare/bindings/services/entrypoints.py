"""Calling into a worker's entrypoint the way a service binding does: one fresh instance per call, with
``ctx.props``, the target's own env, and its code marked as the running worker (``from workers import env``)."""

from __future__ import annotations

from typing import Any

from pyflare.bindings.services.constants import DEFAULT_ENTRYPOINT, RESERVED_METHODS
from pyflare.bindings.services.validation import check_method_name
from pyflare.kernel.context import call_as, call_as_sync
from pyflare.kernel.tracing import invocation
from pyflare.runtime.events import fetch_event, traced_fetch, url_path
from pyflare.runtime.runtime import Runtime
from pyflare.runtime.worker import WorkerCode
from pyflare.workers import ExecutionContext, Request, Response
from pyflare.workers.rpc import from_rpc, rpc_method, to_rpc


def _entrypoint_class(worker: WorkerCode, entrypoint: str | None) -> type | None:
    return worker.exports.get(entrypoint or DEFAULT_ENTRYPOINT)


async def call_fetch(runtime: Runtime, entrypoint: str | None, props: dict[str, Any], request: Request) -> Response:
    """Run the target's ``fetch`` handler with ``request`` and return its Response (exceptions propagate)."""
    worker = runtime.current()
    cls = _entrypoint_class(worker, entrypoint)
    if cls is None:
        if entrypoint is None:  # a worker with top-level handlers only (on_fetch)
            return await traced_fetch(worker, request)
        raise TypeError(f'The entrypoint "{entrypoint}" is not exported by {worker.main.name}')
    ctx = ExecutionContext(worker.spawn, props)
    handler = getattr(call_as_sync(worker, cls, ctx, worker.env), "fetch", None)
    if not callable(handler):
        raise TypeError(f"{cls.__name__} has no fetch handler: define async def fetch(self, request)")
    with invocation(worker, "fetch", f"{request.method} {url_path(request.url)}", "http",
                    event=fetch_event(request), entrypoint=entrypoint) as inv:
        response = await worker.call(handler, (request, worker.env, ctx))
        if inv is not None and isinstance(response, Response):
            inv.status = response.status
    if not isinstance(response, Response):
        raise TypeError(f"{cls.__name__}.fetch returned {type(response).__name__}, not a workers.Response")
    return response


async def call_method(runtime: Runtime, entrypoint: str | None, props: dict[str, Any], name: str,
                      args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call RPC method ``name`` on a fresh instance of the entrypoint; ``args``/``kwargs`` are already RPC
    copies. Returns the RPC copy of the result (the caller converts it with ``from_rpc``)."""
    check_method_name(name)
    worker = runtime.current()
    cls = _entrypoint_class(worker, entrypoint)
    if cls is None or name in RESERVED_METHODS:
        raise TypeError(f"Method {name} does not exist")
    instance = call_as_sync(worker, cls, ExecutionContext(worker.spawn, props), worker.env)
    method = rpc_method(instance, name)  # the same rule as Durable Object stubs
    with invocation(worker, "jsrpc", f"{entrypoint or DEFAULT_ENTRYPOINT}.{name}", "jsrpc",
                    event={"rpcMethod": name}, entrypoint=entrypoint):
        result = await call_as(worker, method, *[from_rpc(arg) for arg in args],
                               **{k: from_rpc(v) for k, v in kwargs.items()})
    return to_rpc(result)
