"""The local explorer at ``/cdn-cgi/local/explorer``: see and change what the workers stored.

A page (``page``: one HTML document with its script inline, no build step, nothing fetched from the
internet) over a JSON API (``api``: Cloudflare's REST paths and envelopes at
``/cdn-cgi/local/explorer/api``) over the running bindings (``inventory``), plus a live view of requests
and logs (``activity``) and the traces of every event (``pyflare.observability``), each drawn as a waterfall. The composition root (``pyflare.instance``) mounts it on the ``/cdn-cgi/local``
router (:class:`pyflare.local.LocalEndpoints`), so it is served only on pyflare's own listener to local
Host/Origin, and it can be turned off (``Pyflare(explorer=False)``, ``pyflare dev --no-explorer``). It
sees a Pyflare through :class:`~pyflare.explorer.site.Site`: the workers and the object layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyflare.explorer.activity import Activity
from pyflare.local import EXPLORER_PATH

if TYPE_CHECKING:
    from starlette.routing import Router

    from pyflare.explorer.site import Site

PATH = EXPLORER_PATH


class Explorer:
    """The explorer's ASGI app for one Pyflare."""

    def __init__(self, pyflare: Site) -> None:
        self.pyflare = pyflare
        self.activity = Activity()
        self._router: Router | None = None  # built on the first visit: most test instances never make one
        for name, worker in pyflare.workers.items():
            worker.asgi_app.observer = self._observer(name)
        self.activity.attach()

    def _observer(self, worker: str) -> Any:
        def observe(method: str, path: str, status: int, started: float) -> None:
            self.activity.request(worker, method, path, status, started)

        return observe

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self._router is None:
            # Imported on the first visit too: a server or test that never opens the explorer starts faster.
            from starlette.responses import HTMLResponse, RedirectResponse
            from starlette.routing import Mount, Route, Router

            from pyflare.explorer.api import ExplorerApi
            from pyflare.explorer.inventory import Inventory
            from pyflare.explorer.page import PAGE

            api = ExplorerApi(Inventory(self.pyflare), self.activity, self.pyflare.observability)
            self._router = Router(routes=[
                Route(PATH, lambda request: RedirectResponse(PATH + "/", status_code=307)),
                Route(PATH + "/", lambda request: HTMLResponse(PAGE)),
                Mount(PATH + "/api", routes=api.routes()),
            ])
        await self._router(scope, receive, send)

    def close(self) -> None:
        self.activity.detach()
