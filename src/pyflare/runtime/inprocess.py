"""An httpx client for an ASGI app in the same process whose streamed responses stream, as over a socket.

httpx's own ``ASGITransport`` runs the app to completion and hands back the whole body at once, so a
test could not read a server-sent event before the stream ends, and closing a response early never
reached the app. With :func:`in_process_client`, ``client.stream(...)`` returns the response as soon as
the app starts it; its body arrives chunk by chunk as the app sends it (a few chunks may wait unread, then
the app waits: backpressure), and closing the response before its end is a client disconnect
(``http.disconnect``). The request body reaches the app chunk by chunk too. The scope is the one
``ASGITransport`` builds.

A request that is not streamed (``client.get(...)``, ``mf.dispatch_fetch(...)``) runs the app in the
caller's task through :class:`BufferedASGITransport`: nothing else gets a turn of the event loop between the
app's end and the caller's next line (tests rely on that order, e.g. to act before a Workflow's first
step). A streamed body is only reported finished once the app has returned, so whatever the app does after
its last chunk (the access log, the explorer's request view) has happened by then too.

The buffered path is :class:`BufferedASGITransport`: what httpx's ``ASGITransport`` does (the same scope,
the whole response buffered, the app's exceptions raised to the caller) without its per-request probe for
trio, which imports ``sniffio``; where sniffio is not installed (anyio 4 no longer needs it) every request
paid a failed import, a search of every ``sys.path`` entry costing as much as a small request's own work.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, MutableMapping
from typing import Any
from urllib.parse import unquote

import httpx

_END = object()
QUEUED_CHUNKS = 8  # response chunks that may wait unread before the app's send() waits


STREAM = "pyflare.stream"  # request extension: the caller reads the response as a stream


class _Client(httpx.AsyncClient):
    async def send(self, request: httpx.Request, *, stream: bool = False, **kwargs: Any) -> httpx.Response:
        request.extensions = {**request.extensions, STREAM: stream}
        return await super().send(request, stream=stream, **kwargs)


def in_process_client(app: Any, base_url: str = "http://localhost") -> httpx.AsyncClient:
    """An httpx client that talks to ``app`` in-process; ``client.stream(...)`` streams."""
    return _Client(transport=StreamingASGITransport(app), base_url=base_url)


class StreamingASGITransport(httpx.AsyncBaseTransport):
    def __init__(self, app: Any, client: tuple[str, int] = ("127.0.0.1", 123), root_path: str = "") -> None:
        self.app = app
        self.client = client
        self.root_path = root_path
        self.buffered = BufferedASGITransport(app, client=client, root_path=root_path)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not request.extensions.get(STREAM):
            return await self.buffered.handle_async_request(request)
        assert isinstance(request.stream, httpx.AsyncByteStream)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for (k, v) in request.headers.raw],
            "scheme": request.url.scheme,
            "path": unquote(request.url.path),
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port),
            "client": self.client,
            "root_path": self.root_path,
        }
        exchange = _Exchange(request)
        exchange.task = asyncio.ensure_future(exchange.run(self.app, scope))
        started = asyncio.ensure_future(exchange.started.wait())
        try:
            await asyncio.wait({started, exchange.task}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            exchange.task.cancel()
            raise
        finally:
            started.cancel()
        if not exchange.started.is_set():
            exchange.task.result()  # the app raised before starting a response: raise it here
            exchange.status = 500  # it returned without responding (httpx's ASGITransport answers 500 too)
        return httpx.Response(exchange.status, headers=exchange.headers, stream=_ResponseStream(exchange))


class _Exchange:
    """One request/response between the caller and the app."""

    def __init__(self, request: httpx.Request) -> None:
        self.request = request
        self.body = request.stream.__aiter__()
        self.body_done = False
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.started = asyncio.Event()
        self.gone = asyncio.Event()  # the response is complete or the caller closed it
        self.closed = False  # the caller closed the response: what the app still sends is dropped
        self.chunks: asyncio.Queue[Any] = asyncio.Queue(QUEUED_CHUNKS)
        self.task: asyncio.Future[None]

    async def run(self, app: Any, scope: dict[str, Any]) -> None:
        try:
            await app(scope, self.receive, self.send)
        except Exception as exc:
            if self.started.is_set():
                await self._put(exc)
            raise
        finally:
            await self._put(_END)

    async def receive(self) -> dict[str, Any]:
        if not self.body_done:
            try:
                chunk = await self.body.__anext__()
            except StopAsyncIteration:
                self.body_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.request", "body": chunk, "more_body": True}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
            self.started.set()
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            if chunk and self.request.method != "HEAD":
                await self._put(bytes(chunk))
            if not message.get("more_body", False):
                self.gone.set()

    async def _put(self, item: Any) -> None:
        if not self.closed:
            await self.chunks.put(item)

    async def close(self) -> None:
        """The caller is done with the response: anything still coming is a disconnect."""
        self.closed = True
        self.gone.set()
        while not self.chunks.empty():  # unblock an app waiting to queue a chunk
            self.chunks.get_nowait()
        await asyncio.gather(self.task, return_exceptions=True)


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, exchange: _Exchange) -> None:
        self.exchange = exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        exchange = self.exchange
        while True:
            item = await exchange.chunks.get()
            if item is _END:
                await exchange.task  # the app's own exception, if it raised after its last chunk
                return
            if isinstance(item, Exception):
                raise item
            yield item

    async def aclose(self) -> None:
        await self.exchange.close()


class BufferedASGITransport(httpx.AsyncBaseTransport):
    """Requests go straight to ``app`` (``client`` is the peer address the app sees)."""

    def __init__(self, app: Any, client: tuple[str, int] = ("127.0.0.1", 123), root_path: str = "") -> None:
        self.app = app
        self.client = client
        self.root_path = root_path

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "scheme": url.scheme,
            "path": unquote(url.path),
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "query_string": url.query,
            "server": (url.host, url.port),
            "client": self.client,
            "root_path": self.root_path,
        }
        chunks = request.stream.__aiter__()  # type: ignore[union-attr]
        body_sent = False
        answered = asyncio.Event()
        status: int | None = None
        headers: list[tuple[bytes, bytes]] = []
        body: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal body_sent
            if body_sent:  # the whole request is in: the client "disconnects" once the response is complete
                await answered.wait()
                return {"type": "http.disconnect"}
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                body_sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.request", "body": chunk, "more_body": True}

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                if chunk and request.method != "HEAD":
                    body.append(chunk)
                if not message.get("more_body", False):
                    answered.set()

        await self.app(scope, receive, send)
        if status is None or not answered.is_set():
            raise RuntimeError(f"the worker's app returned without completing a response to {request.method} {url}")
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(b"".join(body)))
