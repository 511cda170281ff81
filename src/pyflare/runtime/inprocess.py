"""The transport of ``Pyflare.client``: an httpx request handed to a worker's ASGI app in the same process.

It does what httpx's ``ASGITransport`` does (the same scope, the whole response buffered, exceptions from the
app raised to the caller), without its per-request probe for trio: that probe imports ``sniffio``, and where
sniffio is not installed (anyio 4 no longer needs it) every request pays a failed import, a search of every
``sys.path`` entry that cost as much as the worker's own work for a small request. pyflare runs on asyncio.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import httpx

ASGIApp = Any  # async (scope, receive, send) -> None


class InProcessTransport(httpx.AsyncBaseTransport):
    """Requests go straight to ``app`` (``client`` is the peer address the app sees)."""

    def __init__(self, app: ASGIApp, client: tuple[str, int] = ("127.0.0.1", 123)) -> None:
        self.app = app
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "query_string": url.query,
            "server": (url.host, url.port),
            "client": self.client,
            "root_path": "",
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
