"""Where a worker's outbound ``fetch()`` goes, controllable from tests.

Every worker of a :class:`~pyflare.Pyflare` shares one :class:`Outbound` (``mf.outbound``). By default
``fetch()`` reaches the network through httpx, so respx's ``respx.mock`` works as for any httpx code. A test
can also:

- ``mf.outbound.route("https://api.example.com/", handler)``: requests whose URL starts with the prefix go to
  ``handler(request)`` (sync or async, returning a ``workers.Response`` or an ``httpx.Response``), or to
  another worker: ``mf.outbound.route("https://users.internal/", mf.worker("users"))``;
- ``mf.outbound.use(transport)``: send what no route takes through an httpx transport (``httpx.MockTransport``,
  a respx router);
- ``mf.outbound.block_network()`` (or ``Pyflare(network=False)``, the marker's ``network=False``, the ini
  option ``pyflare_network = false``): anything left over raises :class:`NetworkBlocked` instead of
  connecting, so a test never reaches a real server by accident.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyflare.kernel.jserrors import JsException
from pyflare.runtime.events import traced_fetch
from pyflare.workers import FetchResponse, Headers, Request, Response

if TYPE_CHECKING:  # httpx is imported when first used: pyflare dev starts faster without it
    import httpx

Handler = Callable[[Request], Any]


class NetworkBlocked(JsException):
    """A worker's fetch() would have reached the real network while network access is turned off."""


class Outbound:
    """Routes, an optional transport, and whether the real network may be used."""

    def __init__(self, *, network: bool = True) -> None:
        self.network = network
        self._routes: list[tuple[str, Handler | Any]] = []
        self._transport: httpx.AsyncBaseTransport | None = None
        self._client: httpx.AsyncClient | None = None

    # -- configuring (tests) -----------------------------------------------------------------------
    def route(self, prefix: str, target: Handler | Any) -> Outbound:
        """Send requests whose URL starts with ``prefix`` (``"*"``: every request) to ``target``: a callable
        taking the ``workers.Request``, or a worker of this pyflare (``mf.worker("name")``). Longest prefix wins."""
        self._routes.append((prefix, target))
        self._routes.sort(key=lambda route: -len(route[0]) if route[0] != "*" else 0)
        return self

    def use(self, transport: Any) -> Outbound:
        """Send unrouted requests through an httpx transport or a respx router instead of the network."""
        import httpx

        if hasattr(transport, "async_handler"):  # a respx.MockRouter
            transport = httpx.MockTransport(transport.async_handler)
        if not isinstance(transport, httpx.AsyncBaseTransport):
            raise TypeError("outbound.use() takes an httpx transport (httpx.MockTransport(...)) or a respx router")
        self._transport = transport
        self._client = None
        return self

    def block_network(self, blocked: bool = True) -> Outbound:
        self.network = not blocked
        return self

    def reset(self) -> None:
        self._routes.clear()
        self._transport = self._client = None

    # -- used by fetch() ---------------------------------------------------------------------------
    async def dispatch(self, request: Request) -> Response | None:
        """A routed answer for ``request``, or None to send it through :meth:`client`."""
        for prefix, target in self._routes:
            if prefix == "*" or request.url.startswith(prefix):
                return await _answer(target, request)
        return None

    def client(self, request: Request) -> httpx.AsyncClient | None:
        """The client for an unrouted request: the test's transport, None for the default network client,
        or NetworkBlocked when the network is off."""
        if self._transport is not None:
            if self._client is None:
                import httpx

                self._client = httpx.AsyncClient(transport=self._transport, follow_redirects=False, timeout=None)
            return self._client
        if not self.network:
            raise NetworkBlocked(
                f"fetch({request.url!r}) would reach the network, which this test turned off; route it with "
                "mf.outbound.route(prefix, handler_or_worker) or mf.outbound.use(transport)"
            )
        return None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def _answer(target: Any, request: Request) -> Response:
    runtime = getattr(target, "runtime", None)
    if runtime is not None and hasattr(runtime, "fetch"):  # a PyflareWorker (or a Pyflare: its first worker)
        response = await traced_fetch(runtime.current(), request)
    else:
        response = target(request)
        if inspect.isawaitable(response):
            response = await response
    httpx_module = sys.modules.get("httpx")  # not imported yet: then the response cannot be an httpx.Response
    if httpx_module is not None and isinstance(response, httpx_module.Response):
        body = response.content
        headers = Headers([(k, v) for k, v in response.headers.multi_items()
                           if k.lower() not in ("content-encoding", "content-length")])
        converted = FetchResponse(body or None, status=response.status_code, headers=headers)
        converted.url = request.url
        return converted
    if not isinstance(response, Response):
        raise TypeError(f"an outbound route for {request.url} returned {type(response).__name__}, "
                        "not a workers.Response or httpx.Response")
    if not response.url:
        response.url = request.url
    return response
