"""The worker-facing Cache API: ``caches.default``, ``await caches.open(name)``, and each cache's ``put``,
``match`` and ``delete`` (``add``/``addAll`` are unimplemented in workerd too)."""

from __future__ import annotations

import email.utils
import logging
import re
from typing import Any

from pyflare.bindings.cache import validation
from pyflare.bindings.cache.constants import CACHE_STATUS_HEADER, DEFAULT_NAMESPACE, NAMED_PREFIX
from pyflare.bindings.cache.policy import decide
from pyflare.bindings.cache.store import CacheStore, Entry
from pyflare.kernel.clock import Clock
from pyflare.kernel.tracing import traced
from pyflare.workers import Headers, Request, Response

log = logging.getLogger("pyflare")
_ABSOLUTE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S")


def _request(request_or_url: Any) -> Request:
    if isinstance(request_or_url, Request):
        return request_or_url
    url = str(request_or_url)
    if not _ABSOLUTE_URL.match(url):  # workerd builds a Request from the string first: no base to resolve against
        raise TypeError(f"Invalid URL: {url}")
    return Request(url)


def _key(request: Request) -> str:
    # Miniflare keys by request.cf.cacheKey when the worker sets one (Enterprise custom cache keys).
    cf = request.cf
    custom = cf.get("cacheKey") if isinstance(cf, dict) else None
    validation.cache_key(request.url)
    return str(custom) if custom else request.url


def _span_attributes(cache: Cache, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    request = args[0] if args else None
    url = getattr(request, "url", request)
    return {"cloudflare.cache.name": cache._namespace, "url.full": str(url) if url is not None else None}


@traced("cache", {"match": "cache_match", "put": "cache_put", "delete": "cache_delete"}, _span_attributes)
class Cache:
    """One cache namespace: ``caches.default`` or what ``caches.open(name)`` returns."""

    def __init__(self, store: CacheStore | None, clock: Clock, namespace: str = DEFAULT_NAMESPACE) -> None:
        self._store = store  # None: the cache is turned off and stores nothing
        self._clock = clock
        self._namespace = namespace

    async def put(self, request: Any, response: Response) -> None:
        """Store ``response`` for ``request`` if a shared cache may; a refused response is dropped silently."""
        if getattr(response, "type", None) == "error":
            raise TypeError(validation.ERROR_RESPONSE)
        req = _request(request)
        if req.method != "GET":
            raise TypeError(validation.NON_GET)
        key = _key(req)
        if response.status == 206:
            raise TypeError(validation.PARTIAL)
        if "*" in (response.headers.get("vary") or ""):
            raise TypeError(validation.VARY_STAR)
        if response.status == 101 or response.web_socket is not None:
            raise TypeError(validation.WEBSOCKET)
        body = await response.bytes()  # put consumes the body, as on Cloudflare
        if response.status == 304:
            log.warning(validation.IGNORED_304)
            return
        if self._store is None:
            return
        now = self._clock.time()
        decision = decide(response.status, response.headers.entries(), now=now,
                          has_authorization=req.headers.has("authorization"))
        if not decision.storable:
            return
        await self._store.put(self._namespace, key, Entry(response.status, decision.headers, body, now), now + decision.ttl)

    async def match(self, request: Any, options: dict[str, Any] | None = None, **kwargs: Any) -> Response | None:
        """The stored response (``CF-Cache-Status: HIT``), a 304 or 206/416 for conditional and range
        requests, or None on a miss (and for non-GET requests unless ``ignoreMethod``)."""
        req = _request(request)
        if req.method != "GET" and not validation.ignore_method(options, kwargs):
            return None
        key = _key(req)
        if self._store is None:
            return None
        now = self._clock.time()
        entry = await self._store.get(self._namespace, key, now)
        if entry is None:
            return None
        headers = Headers(entry.headers)
        headers.set(CACHE_STATUS_HEADER, "HIT")
        # As a cached response arrives (Miniflare's cache, HTTP caches): its age in whole seconds, a Date
        # if the response had none, and its length.
        headers.set("age", str(max(0, int(now - entry.stored_at))))
        if not headers.has("date"):
            headers.set("date", email.utils.formatdate(entry.stored_at, usegmt=True))
        headers.set("content-length", str(len(entry.body)))
        return _answer(req.headers, entry, headers)

    async def delete(self, request: Any, options: dict[str, Any] | None = None, **kwargs: Any) -> bool:
        """Remove the entry; True if there was one."""
        req = _request(request)
        if req.method != "GET" and not validation.ignore_method(options, kwargs):
            return False
        key = _key(req)
        if self._store is None:
            return False
        return await self._store.delete(self._namespace, key, self._clock.time())

    async def add(self, request: Any) -> None:
        raise NotImplementedError("Cache.add() is not implemented by the Workers runtime (use put)")

    async def addAll(self, requests: Any) -> None:  # noqa: N802 - the Web API name
        raise NotImplementedError("Cache.addAll() is not implemented by the Workers runtime (use put)")

    def __repr__(self) -> str:
        return f"<Cache {self._namespace or 'default'}>"


def _answer(request_headers: Headers, entry: Entry, headers: Headers) -> Response:
    """Conditional (If-None-Match, If-Modified-Since) and Range handling of a hit, as Miniflare does."""
    if_none_match = request_headers.get("if-none-match")
    if_modified_since = request_headers.get("if-modified-since")
    range_header = request_headers.get("range")
    if if_none_match is None and if_modified_since is None and range_header is None:  # the common hit
        return Response(entry.body if entry.status not in (204, 304) else None, status=entry.status, headers=headers)
    from werkzeug.http import parse_date, parse_etags, parse_range_header, unquote_etag

    etag = headers.get("etag")
    if if_none_match is not None and etag is not None:
        tag, _weak = unquote_etag(etag)
        if tag is not None and parse_etags(if_none_match).contains_weak(tag):
            return Response(None, status=304, headers=headers)
    last_modified = headers.get("last-modified")
    if if_modified_since is not None and last_modified is not None:
        since, modified = parse_date(if_modified_since), parse_date(last_modified)
        if since is not None and modified is not None and modified <= since:
            return Response(None, status=304, headers=headers)
    body, size = entry.body, len(entry.body)
    if range_header is None or entry.status != 200:
        return Response(body if entry.status not in (204, 304) else None, status=entry.status, headers=headers)
    parsed = parse_range_header(range_header)
    ranges = _satisfiable(parsed, size) if parsed is not None and parsed.units == "bytes" else None
    if ranges is None:
        # an unsatisfiable range: an empty answer saying the size, without the stored headers (as Miniflare)
        return Response(b"", status=416, headers={CACHE_STATUS_HEADER: "HIT", "content-range": f"bytes */{size}"})
    if not ranges:
        return Response(body, status=entry.status, headers=headers)
    if len(ranges) == 1:
        start, end = ranges[0]
        headers.set("content-range", f"bytes {start}-{end - 1}/{size}")
        headers.set("content-length", str(end - start))
        return Response(body[start:end], status=206, headers=headers)
    boundary = f"pyflare-{abs(hash((entry.stored_at, size))):x}"
    content_type = headers.get("content-type")
    parts = []
    for start, end in ranges:
        head = f"--{boundary}\r\n" + (f"Content-Type: {content_type}\r\n" if content_type else "")
        head += f"Content-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
        parts.append(head.encode() + body[start:end] + b"\r\n")
    multipart = b"".join(parts) + f"--{boundary}--".encode()
    headers.set("content-type", f"multipart/byteranges; boundary={boundary}")
    headers.delete("content-length")
    return Response(multipart, status=206, headers=headers)


def _satisfiable(parsed: Any, size: int) -> list[tuple[int, int]] | None:
    """Half-open byte ranges within ``size``; None if unsatisfiable, [] for "the whole body"."""
    result: list[tuple[int, int]] = []
    for start, stop in parsed.ranges:
        if start < 0:  # a suffix: the last -start bytes
            if -start >= size:
                return []
            result.append((size + start, size))
            continue
        if start >= size:
            return None
        result.append((start, size if stop is None else min(stop, size)))
    return result


class CacheStorage:
    """``caches``: the default cache and named ones (``await caches.open(name)``)."""

    def __init__(self, store: CacheStore | None, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self.default = Cache(store, clock)
        self._named: dict[str, Cache] = {}

    async def open(self, name: str) -> Cache:
        name = validation.cache_name(name)
        cache = self._named.get(name)
        if cache is None:
            cache = self._named[name] = Cache(self._store, self._clock, NAMED_PREFIX + name)
        return cache

    @property
    def enabled(self) -> bool:
        return self._store is not None
