"""``workers.asgi.fetch(app, request, env)``: serve a request with an ASGI app (FastAPI, Starlette...)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from pyflare.workers._request import Request
from pyflare.workers._response import Response


async def fetch(app: Any, request: Request, env: Any, ctx: Any = None) -> Response:
    """Run ``app`` for ``request`` and return its response. The ASGI scope carries ``env`` (as on Cloudflare)."""
    url = urlsplit(request.url)
    body = await request.bytes()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme or "http",
        "path": unquote(url.path or "/"),  # ASGI's path is percent-decoded; raw_path keeps the original
        "raw_path": (url.path or "/").encode(),
        "query_string": url.query.encode(),
        "root_path": "",
        "headers": request.headers.raw(),
        "server": (url.hostname or "localhost", url.port or (443 if url.scheme == "https" else 80)),
        "client": ("127.0.0.1", 0),
        "env": env,
        "ctx": ctx,
        "state": {},
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status, headers, chunks = 500, [], []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return Response(b"".join(chunks), status=status, headers=headers)
