"""What a shared cache may store and for how long (RFC 9111), on pyflare's clock.

Miniflare decides this with http-cache-semantics in shared-cache mode, after dropping the request's
Cache-Control (Cloudflare ignores it) and honouring ``private=set-cookie``; this module applies the same
rules. The header grammar (Cache-Control directives, HTTP dates) is parsed by werkzeug, imported on first
use so workers that never touch the cache do not pay for it. Time is never read here: callers pass ``now``
from pyflare's clock, which is why a wall-clock cache library (hishel) could not be used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pyflare.bindings.cache.constants import (
    CACHEABLE_BY_DEFAULT,
    HEURISTIC_FRACTION,
    HOP_BY_HOP,
    IMMUTABLE_MIN_TTL,
    UNDERSTOOD_STATUSES,
)

_PRIVATE_SET_COOKIE = re.compile(r'private\s*=\s*"?set-cookie"?\s*,?', re.IGNORECASE)


@dataclass(frozen=True)
class Decision:
    """Whether to store, for how many seconds, and the headers to keep."""

    storable: bool
    ttl: float
    headers: list[tuple[str, str]]


def _http_date(value: str | None) -> float | None:
    from werkzeug.http import parse_date

    if not value:
        return None
    parsed = parse_date(value)
    return parsed.timestamp() if parsed is not None else None


def _number(value: Any) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 0.0


def decide(status: int, raw_headers: list[tuple[str, str]], *, has_authorization: bool, now: float) -> Decision:
    """The shared-cache decision for a response to a GET request, made at clock time ``now``."""
    from werkzeug.datastructures import ResponseCacheControl
    from werkzeug.http import parse_cache_control_header

    headers = [(k, v) for k, v in raw_headers if k.lower() not in HOP_BY_HOP]
    first = {}
    for key, value in headers:
        first.setdefault(key.lower(), value)
    control_text = first.get("cache-control", "")
    if _PRIVATE_SET_COOKIE.search(control_text):
        # Cloudflare strips Set-Cookie from such a response and caches the rest.
        control_text = _PRIVATE_SET_COOKIE.sub("", control_text).strip().rstrip(",")
        headers = [(k, control_text if k.lower() == "cache-control" else v) for k, v in headers
                   if k.lower() != "set-cookie"]
        first.pop("set-cookie", None)
    control = parse_cache_control_header(control_text, cls=ResponseCacheControl)
    no_cache = control.no_cache is not None or (not control_text and "no-cache" in first.get("pragma", ""))
    max_age = control.max_age
    s_maxage = control.s_maxage
    explicit = ("expires" in first or max_age is not None or s_maxage is not None or control.public)
    storable = (
        status in UNDERSTOOD_STATUSES
        and not control.no_store
        and not control.private
        and (not has_authorization or control.must_revalidate or control.public or s_maxage is not None)
        and (explicit or status in CACHEABLE_BY_DEFAULT)
        and "set-cookie" not in first  # Cloudflare never caches a response that sets a cookie
    )
    if not storable:
        return Decision(False, 0.0, headers)
    served = _http_date(first.get("date"))
    date = now if served is None else served
    lifetime = _lifetime(first, control, no_cache, date)
    age = _number(first.get("age")) + max(0.0, now - date)
    fresh = lifetime - age
    # Stale-serving windows extend how long the entry is kept (http-cache-semantics' timeToLive).
    extra = max(_number(_directive(control_text, "stale-while-revalidate")),
                _number(_directive(control_text, "stale-if-error")))
    ttl = max(0.0, fresh, fresh + extra)
    return Decision(ttl > 0, ttl, headers)


def _directive(text: str, name: str) -> str | None:
    match = re.search(rf"(?:^|,)\s*{name}\s*=\s*\"?(\d+)", text, re.IGNORECASE)
    return match.group(1) if match else None


def _lifetime(first: dict[str, str], control: Any, no_cache: bool, date: float) -> float:
    """Seconds the response stays fresh from its Date (RFC 9111 4.2.1, shared cache)."""
    if no_cache or first.get("vary", "").strip() == "*" or control.proxy_revalidate:
        return 0.0
    if control.s_maxage is not None:
        return _number(control.s_maxage)
    if control.max_age is not None:
        return _number(control.max_age)
    minimum = IMMUTABLE_MIN_TTL if control.immutable else 0.0
    if "expires" in first:
        expires = _http_date(first["expires"])
        if expires is None or expires < date:  # an invalid date (e.g. "0") means already expired
            return 0.0
        return max(minimum, expires - date)
    last_modified = _http_date(first.get("last-modified"))
    if last_modified is not None and date > last_modified:
        return max(minimum, (date - last_modified) * HEURISTIC_FRACTION)
    return minimum
