"""The asset worker: answers a request from the assets directory as Cloudflare's does.

``_redirects`` first, then the file the path names under ``html_handling`` (serving ``index.html`` and
``.html`` files for clean URLs, 307 to the canonical URL otherwise), then ``not_found_handling``
(``single-page-application``: ``/index.html`` with 200; ``404-page``: the nearest ``404.html`` with 404).
Only GET and HEAD (else 405); ``ETag`` with 304 for a matching ``If-None-Match``; ``_headers`` applied last.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from pyflare.assets.constants import CACHE_CONTROL
from pyflare.assets.files import Asset, AssetFiles
from pyflare.assets.rules import HeaderRule, Redirect, fill, parse_headers, parse_redirects
from pyflare.workers import Headers, Request, Response

_SAFE = "/:@!$&'()*+,;=-._~"


@dataclass
class Intent:
    """What a path resolves to: an asset (with its status) or a redirect."""

    asset: Asset | None = None
    status: int = 200
    redirect: str | None = None


class AssetHandler:
    def __init__(self, files: AssetFiles, html_handling: str, not_found_handling: str) -> None:
        self.files = files
        self.html_handling = html_handling
        self.not_found_handling = not_found_handling
        self._headers: tuple[float | None, list[HeaderRule]] = (None, [])
        self._redirects: tuple[float | None, list[Redirect]] = (None, [])

    # -- control files (re-read when they change) --------------------------------------------------
    def header_rules(self) -> list[HeaderRule]:
        stamp = self.files.stamp("_headers")
        if stamp != self._headers[0]:
            self._headers = (stamp, parse_headers(self.files.read_text("_headers") or "") if stamp else [])
        return self._headers[1]

    def redirect_rules(self) -> list[Redirect]:
        stamp = self.files.stamp("_redirects")
        if stamp != self._redirects[0]:
            self._redirects = (stamp, parse_redirects(self.files.read_text("_redirects") or "") if stamp else [])
        return self._redirects[1]

    # -- resolving a path --------------------------------------------------------------------------
    def _exists(self, path: str) -> Asset | None:
        return self.files.get(path)

    def resolve(self, path: str, *, fallback: bool = True) -> Intent | None:
        """The intent for a decoded path; ``fallback`` says whether not_found_handling may answer."""
        intent = self._html_intent(path)
        if intent is not None or not fallback:
            return intent
        if self.not_found_handling == "single-page-application":
            index = self._exists("/index.html")
            return Intent(index, 200) if index else None
        if self.not_found_handling == "404-page":
            folder = path.rsplit("/", 1)[0]
            while True:
                page = self._exists(f"{folder}/404.html")
                if page is not None:
                    return Intent(page, 404)
                if not folder:
                    return None
                folder = folder.rsplit("/", 1)[0]
        return None

    def _html_intent(self, path: str) -> Intent | None:
        mode = self.html_handling
        exact = self._exists(path)
        if mode == "none":
            return Intent(exact) if exact else None
        if mode == "auto-trailing-slash":
            return self._auto(path, exact)
        if mode == "force-trailing-slash":
            return self._force(path, exact)
        return self._drop(path, exact)

    def _auto(self, path: str, exact: Asset | None) -> Intent | None:
        if path.endswith("/index.html") and exact:
            return Intent(redirect=path[: -len("index.html")])
        if path.endswith("/index") and self._exists(path + ".html") and path != "/index":
            return Intent(redirect=path[: -len("index")])
        if path.endswith(".html") and exact:
            stem = path[: -len(".html")]
            return Intent(redirect=stem if stem else "/")
        if path.endswith("/"):
            index = self._exists(path + "index.html")
            if index:
                return Intent(index)
            if path != "/" and self._exists(path[:-1] + ".html"):
                return Intent(redirect=path[:-1])
            return None
        if exact:
            return Intent(exact)
        page = self._exists(path + ".html")
        if page:
            return Intent(page)
        if self._exists(path + "/index.html"):
            return Intent(redirect=path + "/")
        return None

    def _force(self, path: str, exact: Asset | None) -> Intent | None:
        if path.endswith("/index.html") and exact:
            return Intent(redirect=path[: -len("index.html")])
        if path.endswith(".html") and exact:
            return Intent(redirect=path[: -len(".html")] + "/")
        if path.endswith("/"):
            page = self._exists(path + "index.html") or (self._exists(path[:-1] + ".html") if path != "/" else None)
            return Intent(page) if page else None
        if exact:
            return Intent(exact)
        if self._exists(path + ".html") or self._exists(path + "/index.html"):
            return Intent(redirect=path + "/")
        return None

    def _drop(self, path: str, exact: Asset | None) -> Intent | None:
        if path.endswith("/index.html") and exact:
            stem = path[: -len("/index.html")]
            return Intent(redirect=stem or "/")
        if path.endswith(".html") and exact:
            return Intent(redirect=path[: -len(".html")])
        if path.endswith("/") and path != "/":
            if self._exists(path + "index.html") or self._exists(path[:-1] + ".html"):
                return Intent(redirect=path[:-1])
            return None
        if path == "/":
            index = self._exists("/index.html")
            return Intent(index) if index else None
        if exact:
            return Intent(exact)
        page = self._exists(path + ".html") or self._exists(path + "/index.html")
        return Intent(page) if page else None

    def can_serve(self, path: str, *, fallback: bool) -> bool:
        """Whether the router should send ``path`` to the assets (a redirect rule or an intent exists)."""
        return self._redirect_for(path) is not None or self.resolve(path, fallback=fallback) is not None

    def _redirect_for(self, path: str) -> tuple[str, int] | None:
        for rule in self.redirect_rules():
            if rule.pattern is None:
                if rule.source == path:
                    return rule.target, rule.status
            else:
                match = rule.pattern.match(path)
                if match:
                    return fill(rule.target, {k: v or "" for k, v in match.groupdict().items()}), rule.status
        return None

    # -- answering ---------------------------------------------------------------------------------
    async def fetch(self, request: Request | str) -> Response:
        """The asset worker's answer (``env.ASSETS.fetch``): always a response, 404 when nothing matches."""
        if not isinstance(request, Request):
            request = Request(str(request))
        response = self.respond(request)
        assert response is not None
        return response

    def respond(self, request: Request, *, fallback: bool = True, required: bool = True) -> Response | None:
        """One pass over redirects, html_handling and (if ``fallback``) not_found_handling. Without
        ``required`` a path the assets cannot serve gives None (the router then asks the worker)."""
        url = urlsplit(request.url)
        raw_path = url.path or "/"
        path = unquote(raw_path) if "%" in raw_path else raw_path
        redirect = self._redirect_for(path) if self.redirect_rules() else None
        intent = None
        if redirect is None or redirect[1] == 200:
            intent = self.resolve(path, fallback=fallback)
        if redirect is None and intent is None and not required:
            return None
        method = request.method.upper()
        if method not in ("GET", "HEAD"):
            return Response("Method Not Allowed", status=405)
        if redirect is not None:
            target, status = redirect
            if status != 200:
                return self._redirect(target, status, url.query)
            rewritten = self.resolve(unquote(urlsplit(target).path), fallback=False)
            if rewritten is not None and rewritten.asset is not None:  # a rewrite: the target's asset here
                return self._serve(request, rewritten.asset, 200, path)
        if intent is None:
            return self._with_headers(Response(None, status=404), path)
        if intent.redirect is not None:
            return self._redirect(quote(intent.redirect, safe=_SAFE), 307, url.query)
        if "%" in raw_path and raw_path != quote(path, safe=_SAFE + "%"):
            return self._redirect(quote(path, safe=_SAFE), 307, url.query)
        assert intent.asset is not None
        return self._serve(request, intent.asset, intent.status, path)

    def _redirect(self, target: str, status: int, query: str) -> Response:
        if query and "?" not in target:
            target += "?" + query
        return Response(None, status=status, headers={"location": target})

    def _serve(self, request: Request, asset: Asset, status: int, path: str) -> Response:
        etag = f'"{asset.etag}"'
        headers = Headers([("content-type", asset.content_type), ("etag", etag)])
        if not (request.headers.has("authorization") or request.headers.has("range")):
            headers.set("cache-control", CACHE_CONTROL)
        if status == 200 and _etag_matches(request.headers.get("if-none-match"), asset.etag):
            return self._with_headers(Response(None, status=304, headers=headers), path)
        headers.set("content-length", str(asset.size))
        body = None if request.method.upper() == "HEAD" else self.files.read(asset)
        return self._with_headers(Response(body, status=status, headers=headers), path)

    def _with_headers(self, response: Response, path: str) -> Response:
        rules = self.header_rules()
        if not rules:
            return response
        for rule in rules:
            match = rule.pattern.match(path)
            if not match:
                continue
            values = {k: v or "" for k, v in match.groupdict().items()}
            for name in rule.unset:
                response.headers.delete(name)
            for name, value in rule.set:
                existing = response.headers.get(name)
                value = fill(value, values)
                response.headers.set(name, f"{existing}, {value}" if existing else value)
        return response


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = [part.strip() for part in header.split(",")]
    return any(c in (f'"{etag}"', f'W/"{etag}"', "*") for c in candidates)


