"""Who may use pyflare's own endpoints: requests whose Host and Origin are local, as wrangler checks.

pyflare's endpoints (everything under ``/cdn-cgi/``, ``/__scheduled`` with ``--test-scheduled``, the local
explorer, the R2 S3 API) can run handlers and read or change local data, so a web page the developer visits
must not reach them, neither through the browser (a cross-site request) nor by DNS rebinding (a foreign
name resolving to 127.0.0.1). Like Miniflare (``validateCdnCgiRequest`` in its entry worker), pyflare answers
them only when the Host header, and the Origin header if there is one, name a local host: ``localhost``,
``127.0.0.1``, ``[::1]``, or the address given with ``--ip``. Otherwise the answer is 403 with Miniflare's
text ("Invalid Host header" / "Invalid Origin header"). One step beyond wrangler: a browser request that the
browser itself marks cross-site (``Sec-Fetch-Site: cross-site``, e.g. an ``<img>`` on another site pointing
at ``http://localhost:8787/cdn-cgi/...``) is refused too.

Use it from any endpoint of pyflare's own::

    from pyflare.runtime.guard import refuse_unless_local

    async def my_endpoint(scope, receive, send):
        if await refuse_unless_local(scope, send):
            return
        ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

LOCAL_HOSTNAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})

Send = Callable[[dict[str, Any]], Awaitable[None]]


def _hostname(authority: str) -> str | None:
    """The host name of ``host[:port]`` (``[v6]`` kept in brackets, lower-case), or None if malformed."""
    try:
        parts = urlsplit("//" + authority)
        name = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    if not name or parts.username is not None or parts.path or parts.query or parts.fragment:
        return None
    return f"[{name}]" if ":" in name else name


def local_hostnames(ip: str | None = None) -> frozenset[str]:
    """The host names counted as local: localhost, 127.0.0.1, [::1], and ``ip`` (the address listened on)."""
    if not ip:
        return LOCAL_HOSTNAMES
    ip = ip.strip("[]").lower()
    return LOCAL_HOSTNAMES | {f"[{ip}]" if ":" in ip else ip}


def local_request_refusal(headers: Iterable[tuple[bytes, bytes]], allowed: frozenset[str] = LOCAL_HOSTNAMES) -> str | None:
    """Why a request with these (ASGI, lower-case) headers may not use pyflare's endpoints, or None if it may."""
    host = origin = fetch_site = None
    for name, value in headers:
        if name == b"host":
            host = value.decode("latin-1")
        elif name == b"origin":
            origin = value.decode("latin-1")
        elif name == b"sec-fetch-site":
            fetch_site = value.decode("latin-1").strip().lower()
    if host and _hostname(host) not in allowed:  # an empty or missing Host is not checked, as in Miniflare
        return "Invalid Host header"
    if origin is not None:
        scheme, _, authority = origin.partition("://")
        if not authority or _hostname(authority) not in allowed:
            return "Invalid Origin header"
    if fetch_site == "cross-site":
        return "Cross-site requests to pyflare's local endpoints are refused"
    return None


async def refuse_unless_local(scope: dict[str, Any], send: Send, allowed: frozenset[str] | None = None) -> bool:
    """Answer 403 and return True unless the request comes from a local Host/Origin (see the module doc).

    ``allowed`` defaults to the set the serving app put in ``scope["pyflare.local_hosts"]`` (``pyflare dev``
    adds its ``--ip``), else :data:`LOCAL_HOSTNAMES`.
    """
    if allowed is None:
        allowed = scope.get("pyflare.local_hosts") or LOCAL_HOSTNAMES
    refusal = local_request_refusal(scope["headers"], allowed)
    if refusal is None:
        return False
    body = refusal.encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/plain;charset=UTF-8"), (b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})
    return True
