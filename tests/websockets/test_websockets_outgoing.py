"""Outgoing WebSockets from a worker: fetch with ``Upgrade: websocket``, and ``WebSocket.new(url)``."""

from __future__ import annotations

import pytest
from tests.websockets.conftest import ECHO_CONFIG, ECHO_WORKER
from websockets.asyncio.server import serve

CONFIG = """
name = "client"
main = "src/entry.py"
compatibility_date = "2026-05-01"
"""

WORKER = """
import asyncio
import js
from workers import Response, WorkerEntrypoint, fetch


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        target = request.headers.get("x-target")
        if request.url.endswith("/fetch"):
            response = await fetch(target, headers={"Upgrade": "websocket"})
            ws = response.web_socket
            if ws is None:
                return Response(f"no socket: {response.status} {await response.text()}")
            ws.accept()
            got = asyncio.get_running_loop().create_future()
            ws.addEventListener("message", lambda event: got.done() or got.set_result(event.data))
            ws.send("ping")
            reply = await got
            ws.close(1000, "thanks")
            return Response(f"{response.status} {reply}")
        if request.url.endswith("/constructor"):
            opened = asyncio.get_running_loop().create_future()
            got = asyncio.get_running_loop().create_future()
            ws = js.WebSocket.new(target)
            state_before = ws.readyState
            ws.addEventListener("open", lambda event: opened.set_result(ws.readyState))
            ws.addEventListener("message", lambda event: got.done() or got.set_result(event.data))
            state_open = await opened
            ws.send("ping")
            reply = await got
            ws.close()
            return Response(f"{state_before} {state_open} {reply}")
        return Response("?", status=404)
"""


@pytest.fixture
async def echo_server():
    closes = []

    async def handler(conn):
        try:
            async for message in conn:
                await conn.send("pong:" + message)
        finally:
            closes.append((conn.close_code, conn.close_reason))

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/", closes


@pytest.fixture
async def client(start_worker):
    return await start_worker(CONFIG, {"src/entry.py": WORKER}, clock="manual")


async def test_fetch_with_upgrade_returns_a_socket_the_worker_accepts(client, echo_server):
    url, closes = echo_server
    response = await client.dispatch_fetch("/fetch", headers={"x-target": url.replace("ws://", "http://")})
    assert response.text == "101 pong:ping"
    await client.close()
    assert closes == [(1000, "thanks")]


async def test_fetch_upgrade_refused_by_the_server_is_a_plain_response(client, start_worker):
    from websockets.asyncio.server import serve as serve_ws

    async def refuse(conn, request):
        return conn.respond(404, "nothing here\n")

    async with serve_ws(lambda conn: None, "127.0.0.1", 0, process_request=refuse) as server:
        port = server.sockets[0].getsockname()[1]
        response = await client.dispatch_fetch("/fetch", headers={"x-target": f"http://127.0.0.1:{port}/"})
    assert response.text == "no socket: 404 nothing here\n"


async def test_websocket_constructor_opens_then_talks(client, echo_server):
    url, _ = echo_server
    response = await client.dispatch_fetch("/constructor", headers={"x-target": url})
    assert response.text == "0 1 pong:ping"


async def test_an_upgrade_routed_to_another_worker_hands_back_its_socket(client, start_worker):
    echo = await start_worker(ECHO_CONFIG, {"src/entry.py": ECHO_WORKER}, clock="manual")
    client.outbound.route("https://echo.internal/", echo)
    response = await client.dispatch_fetch("/fetch", headers={"x-target": "https://echo.internal/ws"})
    assert response.text == "101 hello"  # the echo worker's first message, through an in-process pair


async def test_an_upgrade_to_the_network_is_refused_when_the_test_blocks_it(client):
    client.outbound.block_network()
    response = await client.dispatch_fetch("/fetch", headers={"x-target": "https://example.com/ws"})
    assert response.status_code == 500
    assert "NetworkBlocked" in response.text
