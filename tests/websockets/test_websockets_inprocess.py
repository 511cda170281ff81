"""WebSockets to a plain worker, in-process over the ASGI app (httpx-ws): accept, send, close, limits."""

from __future__ import annotations

import pytest
from httpx_ws import WebSocketDisconnect, WebSocketUpgradeError
from tests.websockets.conftest import ECHO_CONFIG, ECHO_WORKER


@pytest.fixture
async def echo(start_worker):
    return await start_worker(ECHO_CONFIG, {"src/entry.py": ECHO_WORKER}, clock="manual")


async def events(mf) -> list:
    await mf.idle()
    return (await mf.dispatch_fetch("/events")).json()


async def test_text_and_binary_messages_round_trip(echo):
    async with echo.websocket("/ws") as ws:
        assert await ws.receive_text() == "hello"
        await ws.send_text("hi")
        assert await ws.receive_text() == "echo:hi"
        await ws.send_bytes(b"\x00\x01")
        assert await ws.receive_bytes() == b"bin:\x00\x01"


async def test_client_close_reaches_the_worker_with_its_code_and_reason(echo):
    async with echo.websocket("/ws") as ws:
        assert await ws.receive_text() == "hello"
        await ws.close(3001, "bye")
    assert await events(echo) == [{"type": "close", "code": 3001, "reason": "bye", "wasClean": True,
                                   "readyState": 3}]


async def test_worker_close_reaches_the_client(echo):
    async with echo.websocket("/ws") as ws:
        assert await ws.receive_text() == "hello"
        await ws.send_text("close-me")
        with pytest.raises(WebSocketDisconnect) as caught:
            await ws.receive_text()
    assert (caught.value.code, caught.value.reason) == (4000, "as you wish")


async def test_a_plain_request_gets_the_workers_http_answer(echo):
    response = await echo.dispatch_fetch("/ws")
    assert response.status_code == 426


async def test_a_refused_upgrade_reaches_the_client_as_an_http_response(start_worker):
    mf = await start_worker(ECHO_CONFIG, {"src/entry.py": """
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response("no sockets here", status=403)
    """})
    with pytest.raises(WebSocketUpgradeError) as caught:
        async with mf.websocket("/ws"):
            pass
    assert caught.value.response.status_code == 403
    assert caught.value.response.text == "no sockets here"


async def test_oversized_message_closes_with_1009_and_errors_the_worker(echo):
    async with echo.websocket("/ws") as ws:
        assert await ws.receive_text() == "hello"
        await ws.send_bytes(b"x" * (32 * 1024 * 1024 + 1))
        with pytest.raises(WebSocketDisconnect) as caught:
            await ws.receive_text()
    assert caught.value.code == 1009
    assert caught.value.reason == "Message is too large: 33554433 > 33554432"
    assert (await events(echo))[0]["type"] == "error"


async def test_a_socket_in_answer_to_a_plain_request_is_a_worker_error(start_worker):
    mf = await start_worker(ECHO_CONFIG, {"src/entry.py": """
        from js import WebSocketPair
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                client, server = WebSocketPair.new().object_values()
                server.accept()
                return Response(None, status=101, web_socket=client)
    """})
    response = await mf.dispatch_fetch("/")
    assert response.status_code == 500
    assert ('TypeError: Worker tried to return a WebSocket in a response to a request which did not contain the '
            'header "Upgrade: websocket".') in response.text


async def test_the_subprotocol_the_worker_picks_is_the_connections(start_worker):
    mf = await start_worker(ECHO_CONFIG, {"src/entry.py": """
        from js import WebSocketPair
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                offered = request.headers.get("Sec-WebSocket-Protocol")
                client, server = WebSocketPair.new().object_values()
                server.accept()
                server.send(offered)
                return Response(None, status=101, web_socket=client, headers={"Sec-WebSocket-Protocol": "chat.v2"})
    """})
    async with mf.websocket("/", subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert await ws.receive_text() == "chat.v1, chat.v2"
        assert ws.subprotocol == "chat.v2"


async def test_returning_an_accepted_end_is_a_worker_error(start_worker):
    mf = await start_worker(ECHO_CONFIG, {"src/entry.py": """
        from js import WebSocketPair
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                client, server = WebSocketPair.new().object_values()
                client.accept()
                return Response(None, status=101, web_socket=client)
    """})
    with pytest.raises(WebSocketUpgradeError) as caught:
        async with mf.websocket("/"):
            pass
    assert caught.value.response.status_code == 500
    assert "TypeError: Can't return WebSocket in a Response after calling accept()." in caught.value.response.text
