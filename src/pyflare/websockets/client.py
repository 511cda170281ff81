"""An in-process WebSocket client for tests: httpx-ws over a pyflare ASGI app (no socket, no server).

``async with connect(mf.asgi_app, "/room") as ws: await ws.send_text("hi"); await ws.receive_text()``;
:meth:`pyflare.Pyflare.websocket` is the same thing. A refused upgrade raises httpx-ws's
``WebSocketUpgradeError`` whose ``.response`` is the worker's answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx

from pyflare.kernel.distribution import require


def _transport(app: Any, receive_timeout: float) -> Any:
    import anyio
    from httpx_ws.transport import ASGIWebSocketAsyncNetworkStream, ASGIWebSocketTransport

    class Stream(ASGIWebSocketAsyncNetworkStream):
        # httpx-ws closes its queues right after sending Close while its reader may still be waiting on
        # them; report that as the end of the stream (which it handles) instead of ClosedResourceError.
        async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            try:
                return await super().read(max_bytes, timeout)
            except anyio.ClosedResourceError:
                return b""

    class Transport(ASGIWebSocketTransport):
        # Advertise ASGI's denial-response extension, so a worker's non-101 answer reaches the client.
        async def _handle_ws_request(self, request: httpx.Request, scope: dict[str, Any]) -> httpx.Response:
            scope["extensions"] = {"websocket.http.response": {}}
            return await super()._handle_ws_request(request, scope)

        async def _create_asgi_websocket_async_network_stream(self, *, task_status: Any) -> None:
            stream = Stream(self.app, self.scope, self._task_group, self._initial_receive_timeout)
            assert self._exit_stack is not None
            task_status.started(await self._exit_stack.enter_async_context(stream))

    return Transport(app, initial_receive_timeout=receive_timeout)


@asynccontextmanager
async def connect(app: Any, url: str, *, headers: dict[str, str] | None = None,
                  subprotocols: Sequence[str] | None = None, base_url: str = "http://localhost",
                  receive_timeout: float = 10.0) -> AsyncIterator[Any]:
    """Open a WebSocket to ``url`` on the ASGI ``app``; yields an ``httpx_ws.AsyncWebSocketSession``."""
    aconnect_ws = require("httpx_ws", feature="pyflare.websocket() (an in-process WebSocket client)",
                          package="httpx-ws", extra="testing").aconnect_ws

    try:
        async with httpx.AsyncClient(transport=_transport(app, receive_timeout), base_url=base_url) as client:
            async with aconnect_ws(url, client, headers=dict(headers or {}),
                                   subprotocols=list(subprotocols or [])) as session:
                yield session
    except Exception as exc:
        raise _single(exc) from None


def _single(exc: BaseException) -> BaseException:
    """anyio's task groups wrap what a test wants to catch (WebSocketUpgradeError...) in exception groups."""
    while isinstance(getattr(exc, "exceptions", None), tuple) and len(exc.exceptions) == 1:  # type: ignore[attr-defined]
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    return exc
