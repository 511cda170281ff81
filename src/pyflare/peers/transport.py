"""HTTP between pyflare processes: the client side (:class:`PeerClient`) and the endpoint every process serves
under ``/cdn-cgi/local/peers/v1/`` (:class:`PeerEndpoint`).

Every call carries a token (the registry's secret, or the token a Durable Object owner published in the state
folder) and the instance id of the process it means, so a request never lands in a process that merely reuses
a dead one's port. Operations:

- ``fetch``: a request for a worker's entrypoint or a Durable Object, as HTTP: the original method, URL,
  headers and target in ``x-pyflare-*`` headers, the body as it is; the answer is the worker's response,
  streamed back. An exception the handler raised comes back as ``x-pyflare-error: 1`` and the
  error as JSON, and is raised again on the calling side.
- ``call``: an RPC call (entrypoint method or Durable Object method); arguments and result in
  :mod:`pyflare.peers.wire` form.
- ``queue``: messages for a queue this process consumes, stored before the answer.
- ``workflow``: an operation on a workflow this process runs (create, status, pause...).
- ``ping``: who answers.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyflare.peers import wire
from pyflare.workers import Headers, ReadableStream, Request, Response
from pyflare.workers.host import has_body, header_items, replayable, trusted_request

if TYPE_CHECKING:
    import httpx

PREFIX = "/cdn-cgi/local/peers"
VERSION = "v1"

TOKEN_HEADER = "x-pyflare-peer-token"
INSTANCE_HEADER = "x-pyflare-peer-instance"
TARGET_HEADER = "x-pyflare-target"
URL_HEADER = "x-pyflare-url"
METHOD_HEADER = "x-pyflare-method"
HEADERS_HEADER = "x-pyflare-headers"
ERROR_HEADER = "x-pyflare-error"
MISSING_HEADER = "x-pyflare-missing"
# Headers that describe one hop, not the message: never forwarded.
_HOP = frozenset({"host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer",
                  "upgrade", "proxy-connection"})


@dataclass(frozen=True)
class Route:
    """How to reach one process: its base URL, its instance id and the token it accepts."""

    url: str
    instance: str
    token: str


class PeerGone(Exception):
    """The process a route names did not answer (stopped, restarting, or another one on its port)."""


class Missing(Exception):
    """The process answered but has no such worker, object class, queue consumer or workflow (any more)."""


class PeerError(Exception):
    """The handler in the other process raised; ``error`` is that exception, rebuilt."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


# -- the client ---------------------------------------------------------------------------------------------
class PeerClient:
    """Calls into other pyflare processes (one pooled HTTP client per event loop, made on first use)."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        import httpx

        if self._client is None or self._client.is_closed:
            # Long calls are legitimate (a Durable Object method may take minutes); connecting is not.
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(None, connect=5.0), follow_redirects=False,
                                             trust_env=False)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _headers(self, route: Route) -> dict[str, str]:
        return {TOKEN_HEADER: route.token, INSTANCE_HEADER: route.instance}

    async def _send(self, route: Route, op: str, *, headers: dict[str, str], content: Any,
                    stream: bool = False) -> httpx.Response:
        import httpx

        client = self._http()
        request = client.build_request("POST", f"{route.url}{PREFIX}/{VERSION}/{op}",
                                       headers={**self._headers(route), **headers}, content=content)
        try:
            response = await client.send(request, stream=stream)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise PeerGone(f"{route.url}: {exc}") from exc
        except httpx.TransportError as exc:  # it went away while answering: the outcome is unknown
            raise PeerGone(f"{route.url} stopped answering: {exc}") from exc
        if response.status_code == 409:  # another process now, on a port a stopped one used
            await response.aclose()
            raise PeerGone(f"{route.url} is another pyflare instance now")
        if response.headers.get(MISSING_HEADER):
            text = (await response.aread()).decode("utf-8", "replace")
            await response.aclose()
            raise Missing(text)
        return response

    async def fetch(self, route: Route, target: dict[str, Any], request: Request) -> Response:
        """Send ``request`` to the worker or object ``target`` names; its response streams back."""
        forwarded = [(name, value) for name, value in request.headers.entries() if name.lower() not in _HOP]
        # The original headers travel inside one header, so the peer request's own Host/Origin are pyflare's.
        headers = {TARGET_HEADER: json.dumps(target), URL_HEADER: request.url, METHOD_HEADER: request.method,
                   HEADERS_HEADER: json.dumps(forwarded)}
        request = await buffered(request)
        content = await request.clone().bytes() if has_body(request) else b""
        response = await self._send(route, "fetch", headers=headers, content=content, stream=True)
        try:
            if response.headers.get(ERROR_HEADER):
                raise PeerError(wire.decode_error(json.loads(await response.aread())))
        except BaseException:
            await response.aclose()
            raise
        return _streamed(response)

    async def call(self, route: Route, op: str, payload: dict[str, Any]) -> Any:
        """An operation whose arguments and result are wire values (``call``, ``queue``, ``workflow``)."""
        response = await self._send(route, op, headers={"content-type": "application/x-pyflare-wire"},
                                    content=await wire.encode(payload))
        data = response.content
        await response.aclose()
        if response.status_code != 200:
            raise PeerGone(f"{route.url} answered {response.status_code}: {data[:200].decode('utf-8', 'replace')}")
        outcome = wire.decode(data)
        if "error" in outcome:
            raise PeerError(outcome["error"])
        return outcome.get("ok")

    async def ping(self, route: Route) -> bool:
        import httpx

        try:
            response = await self._http().get(f"{route.url}{PREFIX}/{VERSION}/ping", headers=self._headers(route))
        except httpx.TransportError:
            return False
        return response.status_code == 200


async def buffered(request: Request) -> Request:
    """``request`` with its body read whole (one that came in over HTTP streams it), so it can be sent to another
    process, and sent again if that process was gone."""
    if replayable(request):
        return request
    return trusted_request(request.url, request.method, list(header_items(request.headers)), await request.bytes(),
                           request.cf)


def _streamed(upstream: httpx.Response) -> Response:
    async def chunks() -> Any:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        finally:
            await upstream.aclose()

    # The body passes through as the worker framed it (raw bytes): its length still holds.
    headers = Headers([(k, v) for k, v in upstream.headers.multi_items()
                       if k.lower() not in _HOP or k.lower() == "content-length"])
    status = upstream.status_code
    if status in (101, 204, 205, 304):
        return Response(None, status=status, headers=headers)
    return Response(ReadableStream(chunks()), status=status, status_text=upstream.reason_phrase, headers=headers)


# -- the endpoint -------------------------------------------------------------------------------------------
FetchHandler = Callable[[dict[str, Any], Request], Awaitable[Response]]
CallHandler = Callable[[dict[str, Any]], Awaitable[Any]]


class PeerEndpoint:
    """The ASGI app at ``/cdn-cgi/local/peers``: checks the token and instance, then runs the operation."""

    def __init__(self, instance: str, tokens: Callable[[], Iterable[str]], fetch: FetchHandler,
                 operations: dict[str, CallHandler]) -> None:
        self.instance = instance
        self.tokens = tokens
        self.fetch_handler = fetch
        self.operations = operations

    def _authorised(self, headers: dict[str, str]) -> bool:
        given = headers.get(TOKEN_HEADER, "")
        return bool(given) and any(hmac.compare_digest(given, token) for token in self.tokens() if token)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from pyflare.runtime.respond import plain, send_plain

        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if not self._authorised(headers):
            await send_plain(send, *plain(403, "pyflare peer endpoint: a registry token is required"))
            return
        if headers.get(INSTANCE_HEADER) != self.instance:
            await send_plain(send, *plain(409, "pyflare peer endpoint: another pyflare instance answers here"))
            return
        op = scope["path"][len(PREFIX):].strip("/").removeprefix(VERSION + "/")
        if op == "ping":
            body = json.dumps({"instance": self.instance}).encode()
            await send_plain(send, 200, [(b"content-type", b"application/json")], body)
            return
        if scope["method"] != "POST":
            await send_plain(send, *plain(405, "POST only"))
            return
        if op == "fetch":
            await self._fetch(scope, headers, receive, send)
            return
        handler = self.operations.get(op)
        if handler is None:
            await send_plain(send, *plain(404, f"pyflare peer endpoint: no operation {op!r}"))
            return
        body = await _read_all(receive)
        try:
            result: dict[str, Any] = {"ok": await handler(wire.decode(body))}
        except Missing as exc:
            await _missing(send, str(exc))
            return
        except Exception as exc:  # the caller gets it back and raises it
            result = {"error": exc}
        try:
            data = await wire.encode(result)
        except Exception as exc:  # a result that cannot cross (a function...): the caller gets that error
            data = await wire.encode({"error": exc})
        await send_plain(send, 200, [(b"content-type", b"application/x-pyflare-wire")], data)

    async def _fetch(self, scope: dict[str, Any], headers: dict[str, str], receive: Any, send: Any) -> None:
        from pyflare.runtime.respond import send_plain, send_response

        try:
            target = json.loads(headers[TARGET_HEADER])
            url, method = headers[URL_HEADER], headers[METHOD_HEADER]
            kept = [(str(name), str(value)) for name, value in json.loads(headers[HEADERS_HEADER])]
        except (KeyError, ValueError, TypeError):
            from pyflare.runtime.respond import plain

            await send_plain(send, *plain(400, "pyflare peer endpoint: target, url and method are required"))
            return
        body = await _read_all(receive)
        request = Request(url, method=method, headers=kept, body=body if body or method not in ("GET", "HEAD") else None)
        try:
            response = await self.fetch_handler(target, request)
        except Missing as exc:
            await _missing(send, str(exc))
            return
        except Exception as exc:
            data = json.dumps(wire.encode_error(exc)).encode()
            await send_plain(send, 500, [(ERROR_HEADER.encode(), b"1"), (b"content-type", b"application/json")], data)
            return
        await send_response(send, response, method)


async def _read_all(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _missing(send: Any, text: str) -> None:
    from pyflare.runtime.respond import send_plain

    await send_plain(send, 404, [(MISSING_HEADER.encode(), b"1"), (b"content-type", b"text/plain;charset=UTF-8")],
                     text.encode())
