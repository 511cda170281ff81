"""The ``/cdn-cgi/local/`` router and its paths: pyflare's own endpoints (the explorer, R2's S3 API and
public buckets) are ASGI apps mounted at a path prefix; :class:`LocalEndpoints` routes a request to the one
whose prefix it starts with, and answers 404 for anything else under ``/cdn-cgi/local/``.

The router only routes: what is mounted is the composition root's choice (:mod:`pyflare.instance` mounts
the explorer and, when a worker has R2 buckets, R2's endpoints). It is served only on pyflare's own
listener, to requests whose Host/Origin is local (:mod:`pyflare.runtime.guard` runs before it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

PREFIX = "/cdn-cgi/local/"
EXPLORER_PATH = PREFIX + "explorer"
R2_S3_PATH = PREFIX + "r2/s3"
R2_PUBLIC_PATH = PREFIX + "r2/public"

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class _Lazy:
    """An endpoint built on its first request, so starting a worker never imports what nobody asks for."""

    def __init__(self, build: Callable[[], ASGIApp]) -> None:
        self.build: Callable[[], ASGIApp] | None = build
        self.app: ASGIApp | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.app is None:
            assert self.build is not None
            self.app, self.build = self.build(), None
        await self.app(scope, receive, send)


class LocalEndpoints:
    """Routes ``/cdn-cgi/local/...`` requests to the endpoints mounted on it."""

    def __init__(self) -> None:
        self.mounts: list[tuple[str, ASGIApp]] = []
        self._closers: list[Callable[[], None]] = []

    def close(self) -> None:
        for close in self._closers:
            close()

    def mount(self, prefix: str, app: ASGIApp, *, close: Callable[[], None] | None = None) -> None:
        """Serve ``app`` for paths under ``prefix``; ``close`` is called when the router closes."""
        self.mounts.append((prefix.rstrip("/"), app))
        if close is not None:
            self._closers.append(close)

    def mount_lazy(self, prefix: str, build: Callable[[], ASGIApp]) -> None:
        """Serve the app ``build()`` returns, built on the first request under ``prefix``."""
        self.mount(prefix, _Lazy(build))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path: str = scope["path"]
        for prefix, app in self.mounts:
            if path == prefix or path.startswith(prefix + "/"):
                await app(scope, receive, send)
                return
        body = b"Not Found"
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-type", b"text/plain;charset=UTF-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
