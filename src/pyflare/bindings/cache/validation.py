"""Input checks of the Cache API, with workerd's error texts (src/workerd/api/cache.c++)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pyflare.bindings.cache.constants import MAX_CACHE_NAME_LENGTH

INVALID_URL = "Invalid URL. Cache API keys must be fully-qualified, valid URLs."
NON_GET = "Cannot cache response to non-GET request."
PARTIAL = "Cannot cache response to a range request (206 Partial Content)."
VARY_STAR = "Cannot cache response with 'Vary: *' header."
ERROR_RESPONSE = "Cache is unable to store an error response"
WEBSOCKET = "Cannot cache WebSocket upgrade response."
NAME_TOO_LONG = "Cache name is too long."
IGNORED_304 = ("Ignoring attempt to Cache.put() a 304 status response. 304 responses are not meaningful to cache, "
               "and a potential source of bugs. Consider validating that the response status is meaningful to "
               "cache before calling Cache.put().")


def cache_name(name: Any) -> str:
    name = str(name)
    if len(name.encode("utf-8", "surrogatepass")) >= MAX_CACHE_NAME_LENGTH:
        raise TypeError(NAME_TOO_LONG)
    return name


def cache_key(url: str) -> str:
    """The URL as a cache key; anything but an absolute http(s) URL is a TypeError."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise TypeError(INVALID_URL) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TypeError(INVALID_URL)
    return url


def ignore_method(options: Any, kwargs: dict[str, Any]) -> bool:
    """``match(req, {"ignoreMethod": True})`` or ``match(req, ignoreMethod=True)``."""
    if options is not None:
        if not isinstance(options, dict):
            raise TypeError("The options argument must be a dict like {\"ignoreMethod\": True}")
        kwargs = {**options, **kwargs}
    return bool(kwargs.get("ignoreMethod", kwargs.get("ignore_method", False)))
