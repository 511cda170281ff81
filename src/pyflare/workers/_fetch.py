"""``fetch()``: outbound HTTP from a worker, through httpx."""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Any

from pyflare.kernel.context import current_worker
from pyflare.kernel.tracing import current_span, span
from pyflare.workers._headers import Headers, HeadersInit
from pyflare.workers._request import Request
from pyflare.workers._response import FetchResponse
from pyflare.workers._streams import ReadableStream
from pyflare.workers.host import OUTBOUND
from pyflare.workers.pyodide.http import AbortError

if TYPE_CHECKING:  # httpx is imported on the first fetch(): pyflare dev starts faster without it
    import httpx

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def _client() -> httpx.AsyncClient:
    # One pooled client per event loop: pytest gives each test its own loop, and a client must not
    # outlive the loop its connections belong to.
    import httpx

    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = _clients[loop] = httpx.AsyncClient(follow_redirects=False, timeout=None)
    return client


async def fetch(
    resource: str | Request,
    *,
    method: str | None = None,
    headers: HeadersInit = None,
    body: Any = None,
    redirect: str | None = None,
    **_options: Any,
) -> FetchResponse:
    """Send an HTTP request and return the response; the body streams as it is read."""
    request = Request(resource, method=method, headers=headers, body=body) if (
        not isinstance(resource, Request) or method or headers is not None or body is not None
    ) else resource
    if current_span.get() is None:
        return await _send(request, redirect)
    # A subrequest of the running invocation: Cloudflare's "fetch" span, until the response's headers arrive.
    with span("fetch", "fetch", lambda: {"http.request.method": request.method, "url.full": request.url,
                                         "server.address": _host(request.url)}) as traced:
        response = await _send(request, redirect)
        if traced is not None:
            traced.set_attribute("http.response.status_code", response.status)
    return response


def _host(url: str) -> str:
    return url.split("/", 3)[2] if url.count("/") >= 2 else ""


async def _send(request: Request, redirect: str | None) -> FetchResponse:
    client = None
    worker = current_worker.get()
    outbound = worker.stash.get(OUTBOUND, None) if worker is not None else None
    if outbound is not None:  # a test may route fetch() or turn the network off (pyflare.runtime.outbound)
        routed = await outbound.dispatch(request)
        if routed is not None:
            return routed
        client = outbound.client(request)
    if request.headers.get("upgrade", "").lower() == "websocket":  # an outgoing WebSocket
        return await _connect_websocket(request)
    client = client or _client()
    follow = (redirect or request.redirect) == "follow"
    content = await request.bytes() if request._body is not None else None
    outgoing = client.build_request(request.method, request.url, headers=request.headers.entries(), content=content)
    import httpx

    try:
        upstream = await client.send(outgoing, stream=True, follow_redirects=follow)
    except httpx.TransportError as exc:
        raise AbortError(f"fetch to {request.url} failed: {exc}") from exc

    async def stream() -> Any:
        try:
            async for chunk in upstream.aiter_bytes():
                yield chunk
        finally:
            await upstream.aclose()

    # The body arrives decoded (as a worker's fetch gives it), so the headers that described the encoded
    # bytes would now lie; drop them rather than pass them on to a client.
    response_headers = Headers([(k, v) for k, v in upstream.headers.multi_items()
                                if k.lower() not in ("content-encoding", "content-length")])
    response = FetchResponse(ReadableStream(stream()), status=upstream.status_code, status_text=upstream.reason_phrase,
                             headers=response_headers)
    response.url = str(upstream.url)
    response.redirected = bool(upstream.history)
    return response


async def _connect_websocket(request: Request) -> FetchResponse:
    """``fetch()`` of a request with ``Upgrade: websocket``: a 101 with ``web_socket``, or the server's answer."""
    from pyflare.websockets.connect import ConnectFailed, UpgradeRefused
    from pyflare.websockets.socket import open_socket

    try:
        socket, headers = await open_socket(request.url, list(request.headers.items()))
    except UpgradeRefused as refused:
        response = FetchResponse(refused.body or None, status=refused.status, headers=refused.headers)
    except ConnectFailed as exc:
        raise AbortError(f"fetch to {request.url} failed: {exc}") from exc.__cause__
    else:
        response = FetchResponse(None, status=101, headers=headers or None, web_socket=socket)
    response.url = request.url
    return response
