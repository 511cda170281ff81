"""An incoming HTTP request as the worker sees it: Cloudflare's request limits, then a ``workers.Request``.

This is the one place that reads request bodies. A body is read eagerly when it arrives in one piece (the
common case), else handed to the worker as a stream. If the client disconnects before the whole body has
arrived, reading the body fails with :class:`ClientDisconnected`, as it does on Cloudflare, so a worker that
stores its request body never stores half of it.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jserrors import JsException
from pyflare.workers import ReadableStream, Request
from pyflare.workers.host import trusted_request

# Cloudflare's request limits (developers.cloudflare.com/workers/platform/limits/#request-limits).
MAX_REQUEST_BODY = 100 * 1024 * 1024  # the Free and Pro plans' body limit; larger bodies get 413
MAX_URL = 16 * 1024  # "URLs have a limit of 16 KB"; longer ones get 414
MAX_HEADERS_TOTAL = 128 * 1024  # request headers: 128 KB in total (as sent: "Name: value\r\n" lines) ...
MAX_HEADER = 16 * 1024  # ... and 16 KB for any one header; either gets 431
_HEADER_LINE = len(": \r\n")  # what each header adds beyond its name and value on the wire

# Plausible values for request.cf locally (the shape Cloudflare's edge fills in).
LOCAL_CF = {
    "asn": 395747, "asOrganization": "Cloudflare Local", "colo": "LOCAL", "country": "US", "city": "Austin",
    "continent": "NA", "region": "Texas", "regionCode": "TX", "postalCode": "78701", "metroCode": "635",
    "latitude": "30.27130", "longitude": "-97.74260", "timezone": "America/Chicago",
    "httpProtocol": "HTTP/1.1", "tlsVersion": "", "tlsCipher": "", "clientTcpRtt": 0,
    "clientAcceptEncoding": "", "requestPriority": "", "edgeRequestKeepAliveStatus": 1, "verifiedBotCategory": "",
}

Receive = Callable[[], Awaitable[dict[str, Any]]]

_EDGE_NAMES = frozenset({"cf-connecting-ip", "cf-ipcountry", "cf-ray", "cf-visitor", "x-forwarded-for",
                         "x-forwarded-proto", "x-real-ip"})

# Headers Cloudflare's edge adds to every request a worker receives, decided once here. The client address
# comes from the connection unless the request already carries CF-Connecting-IP (so a test can act as any
# client, as in Miniflare); CF-Ray is unique per request: a random prefix per process plus a counter.
_RAY_PREFIX = secrets.token_hex(4)
_ray_numbers = itertools.count(1)
_EDGE_HEADERS = {
    scheme: (("cf-ipcountry", LOCAL_CF["country"]), ("cf-visitor", f'{{"scheme":"{scheme}"}}'),
             ("x-forwarded-proto", scheme))
    for scheme in ("http", "https")
}


def add_edge_headers(items: list[tuple[str, str]], scope: dict[str, Any], client_ip: str | None) -> None:
    """Append CF-Connecting-IP, CF-IPCountry, CF-Ray, CF-Visitor, X-Forwarded-For/-Proto and X-Real-IP."""
    if client_ip is None:
        client = scope.get("client")
        client_ip = client[0] if client else "127.0.0.1"
    items.append(("cf-connecting-ip", client_ip))
    items.append(("cf-ray", f"{_RAY_PREFIX}{next(_ray_numbers):08x}-{LOCAL_CF['colo']}"))
    items.extend(_EDGE_HEADERS.get(scope.get("scheme", "http"), _EDGE_HEADERS["http"]))
    items.append(("x-forwarded-for", client_ip))
    items.append(("x-real-ip", client_ip))


class ClientDisconnected(JsException):
    """The client went away before sending the whole request body; the body cannot be read."""

    def __init__(self) -> None:
        super().__init__("Network connection lost.")


class BodyTooLarge(Exception):
    """A streamed (chunked) request body grew past :data:`MAX_REQUEST_BODY`."""


class Refused(Exception):
    """The request breaks one of Cloudflare's limits; ``status`` and ``text`` are the answer."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


TOO_LARGE = Refused(413, "413 Payload Too Large: the request body exceeds Cloudflare's 100 MB limit")
URL_TOO_LONG = Refused(414, "414 URI Too Long: the URL exceeds Cloudflare's 16 KB limit")
HEADERS_TOO_LARGE = Refused(
    431, "431 Request Header Fields Too Large: request headers exceed Cloudflare's limits "
    "(128 KB in total, 16 KB per header)"
)


async def incoming_request(scope: dict[str, Any], receive: Receive) -> Request:
    """The ``workers.Request`` for an ASGI http ``scope``; raises :class:`Refused` past Cloudflare's limits."""
    items = []
    total = 0
    host = length = client_ip = None
    chunked = False
    for raw_name, raw_value in scope["headers"]:
        size = len(raw_name) + len(raw_value)
        if size > MAX_HEADER:
            raise HEADERS_TOO_LARGE
        total += size + _HEADER_LINE
        name = raw_name.decode("latin-1")
        value = raw_value.decode("latin-1")
        if name == "host":
            host = value
        elif name == "content-length":
            length = value
        elif name == "transfer-encoding":
            chunked = True
        elif name in _EDGE_NAMES:  # the edge sets these; a client-sent CF-Connecting-IP picks the client
            if name == "cf-connecting-ip":
                client_ip = value
            continue
        items.append((name, value))
    if total > MAX_HEADERS_TOTAL:
        raise HEADERS_TOO_LARGE
    url = request_url(scope, host)
    if len(url) > MAX_URL:
        raise URL_TOO_LONG
    body: bytes | ReadableStream | None = None
    if chunked or (length is not None and length != "0"):
        if length is not None and length.isascii() and length.isdigit() and int(length) > MAX_REQUEST_BODY:
            raise TOO_LARGE
        body = await read_body(receive)
    add_edge_headers(items, scope, client_ip)
    return trusted_request(url, scope["method"], items, body, JsDict(LOCAL_CF))


def head_refusal(scope: dict[str, Any]) -> Refused | None:
    """Cloudflare's URL and header limits for a request that is not the worker's (pyflare's own endpoints:
    the explorer, the S3 API...), which :func:`incoming_request` does not see."""
    total = 0
    for raw_name, raw_value in scope["headers"]:
        size = len(raw_name) + len(raw_value)
        if size > MAX_HEADER:
            return HEADERS_TOO_LARGE
        total += size + _HEADER_LINE
    if total > MAX_HEADERS_TOTAL:
        return HEADERS_TOO_LARGE
    path = scope.get("raw_path") or scope["path"].encode()
    if len(path) + len(scope.get("query_string") or b"") > MAX_URL:
        return URL_TOO_LONG
    return None


def request_url(scope: dict[str, Any], host: str | None) -> str:
    """The full URL the worker sees: scheme, the Host header (else the server address), raw path, query."""
    if not host:
        server = scope.get("server") or ("localhost", 80)
        host = f"{server[0]}:{server[1]}" if server[1] not in (80, 443) else server[0]
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else scope["path"]
    query = scope.get("query_string")
    if query and "?" not in path:
        path += "?" + query.decode("latin-1")
    return f"{scope.get('scheme', 'http')}://{host}{path}"


async def read_body(receive: Receive) -> bytes | ReadableStream:
    """The request body: bytes when it came in one piece, else a stream that fails if the client leaves."""
    message = await receive()
    if message["type"] == "http.disconnect":
        return ReadableStream(_failed())
    first = message.get("body", b"")
    if not message.get("more_body", False):
        if len(first) > MAX_REQUEST_BODY:
            raise TOO_LARGE
        return first
    return ReadableStream(_rest(first, receive))


async def _failed() -> AsyncIterator[bytes]:
    raise ClientDisconnected()
    yield b""  # pragma: no cover - makes this an async generator


async def _rest(first: bytes, receive: Receive) -> AsyncIterator[bytes]:
    total = len(first)
    yield first
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected()
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > MAX_REQUEST_BODY:
            raise BodyTooLarge()
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return
