"""Workers Static Assets (``[assets]``): the asset worker, the router in front of the user worker, and the
``env.ASSETS`` binding.

Routing follows Cloudflare's router worker: ``run_worker_first = true`` sends every request to the worker;
a rule list sends matching requests to the worker and ``!/...`` matches to the assets; otherwise a request
goes to the assets when they can serve its path, else to the worker. ``not_found_handling`` counts for
that decision only with a rule list, or for browser navigations (``Sec-Fetch-Mode: navigate``) from
compatibility date 2025-04-01; otherwise its fallbacks answer only once the worker calls ``env.ASSETS``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from pyflare.assets.files import AssetFiles
from pyflare.assets.handler import AssetHandler
from pyflare.assets.rules import glob_matcher
from pyflare.config.assets import AssetsConfigError, check_options, check_run_worker_first
from pyflare.runtime.plugin import Platform, Plugin
from pyflare.workers import Request, Response

NAVIGATION_PREFERS_ASSETS_FROM = "2025-04-01"


class AssetsBinding:
    """``env.ASSETS``: ``await env.ASSETS.fetch(request_or_url)`` (the host is ignored)."""

    def __init__(self, handler: AssetHandler) -> None:
        self._handler = handler

    async def fetch(self, request: Any, init: Any = None, **options: Any) -> Response:
        if isinstance(request, Request) and not init and not options:
            return await self._handler.fetch(request)
        settings = dict(init or {}, **options)
        url = request.url if isinstance(request, Request) else str(request)
        method = settings.get("method") or (request.method if isinstance(request, Request) else "GET")
        headers = settings.get("headers") or (request.headers if isinstance(request, Request) else None)
        return await self._handler.fetch(Request(url, method=method, headers=headers))

    def __repr__(self) -> str:
        return f"<Fetcher ASSETS ({self._handler.files.directory})>"


class AssetsPlugin(Plugin):
    def __init__(self, platform: Platform) -> None:
        config = platform.config
        assets = config.worker.assets
        assert assets is not None and assets.directory
        try:
            check_options(assets, "assets")
        except AssetsConfigError as exc:
            raise AssetsConfigError(f"{config.path}: {exc}") from None
        self.files = AssetFiles(config.root / assets.directory)
        if not self.files.directory.is_dir():
            raise AssetsConfigError(
                f'{config.path}: assets.directory: The directory specified by the "assets.directory" field in '
                f'your configuration file does not exist:\n{self.files.directory}')
        self.files.scan()
        self.binding_name = assets.binding
        self.handler = AssetHandler(self.files, assets.html_handling or "auto-trailing-slash",
                                    assets.not_found_handling or "none")
        first = assets.run_worker_first
        self.worker_first_always = first is True
        self.static_routing = isinstance(first, list)
        worker_rules, asset_rules = check_run_worker_first(first) if isinstance(first, list) else ([], [])
        self.worker_rules = glob_matcher(worker_rules)
        self.asset_rules = glob_matcher(asset_rules)
        date = config.worker.compatibility_date or ""
        flags = config.worker.compatibility_flags
        self.navigation_prefers_assets = ("assets_navigation_prefers_asset_serving" in flags or (
            date >= NAVIGATION_PREFERS_ASSETS_FROM and "assets_navigation_has_no_effect" not in flags))

    def bindings(self) -> dict[str, Any]:
        return {self.binding_name: AssetsBinding(self.handler)} if self.binding_name else {}

    async def front(self, request: Request) -> Response | None:
        """The router: the assets' response, or None to hand the request to the worker."""
        if self.worker_first_always:
            return None
        if self.static_routing:
            path = unquote(urlsplit(request.url).path or "/")
            if self.asset_rules is not None and self.asset_rules.match(path):
                return self.handler.respond(request)
            if self.worker_rules is not None and self.worker_rules.match(path):
                return None
        fallback = self.static_routing or (
            self.navigation_prefers_assets and request.headers.get("sec-fetch-mode") == "navigate")
        return self.handler.respond(request, fallback=fallback, required=False)


def create(platform: Platform) -> AssetsPlugin | None:
    assets = platform.config.worker.assets
    if assets is None or not assets.directory:
        return None
    return AssetsPlugin(platform)


__all__ = ["AssetFiles", "AssetHandler", "AssetsBinding", "AssetsConfigError", "AssetsPlugin", "create"]
