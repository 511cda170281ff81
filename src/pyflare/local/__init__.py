"""pyflare's own endpoints under ``/cdn-cgi/local/``: R2's S3 API and public buckets (and the explorer).

Each endpoint is an ASGI app mounted at a path prefix; :class:`LocalEndpoints` routes a request to the
one whose prefix it starts with, and answers 404 for anything else under ``/cdn-cgi/local/``. They see
the state of every worker in the :class:`~pyflare.Pyflare` and are served only on pyflare's own
listener, to requests whose Host/Origin is local (the app's guard runs before this router). Endpoint
code is imported only when the config uses what it serves, as binding packages are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyflare.instance import Pyflare

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
    """Routes ``/cdn-cgi/local/...`` requests to pyflare's endpoints."""

    def __init__(self, pyflare: Pyflare, *, explorer: bool = True) -> None:
        self.mounts: list[tuple[str, ASGIApp]] = []
        self._closers: list[Callable[[], None]] = []
        if any(worker.config.worker.r2_buckets for worker in pyflare.workers.values()):
            from pyflare.bindings.r2 import endpoints as r2_endpoints

            r2_endpoints.mount(self, pyflare)
        if explorer:
            from pyflare.explorer import Explorer

            app = Explorer(pyflare)
            self.mount(EXPLORER_PATH, app)
            self._closers.append(app.close)

    def close(self) -> None:
        for close in self._closers:
            close()

    def mount(self, prefix: str, app: ASGIApp) -> None:
        """Serve ``app`` for paths under ``prefix``."""
        self.mounts.append((prefix.rstrip("/"), app))

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
