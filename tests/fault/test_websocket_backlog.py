"""A WebSocket peer that never reads cannot make pyflare hold more than MAX_SEND_BACKLOG bytes for it: past
that the connection is closed as one whose peer stopped accepting messages, the worker's end gets an error
event, and its later sends are ignored (as workerd ignores sends on an aborted connection)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from typing import Any

import pytest
from tests.conftest import serve_on_loopback

from pyflare.websockets import constants
from pyflare.websockets.outbox import Outbox

CONFIG = """
name = "backlog"
main = "src/entry.py"
compatibility_date = "2025-11-01"
"""

ENTRY = """
import asyncio
from js import WebSocketPair
from workers import Response, WorkerEntrypoint

REPORT = {"sent": 0, "events": []}

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/report"):
            return Response.json(REPORT)
        client, server = WebSocketPair.new().object_values()
        server.accept()
        server.addEventListener("error", lambda event: REPORT["events"].append(f"error: {event.message}"))

        async def flood():
            for i in range(400):  # 100 MiB in 256 KiB messages, to a client that reads none of it
                server.send(str(i) + "x" * (256 * 1024))
                REPORT["sent"] += 1
                await asyncio.sleep(0)

        self.ctx.waitUntil(flood())
        return Response(None, status=101, web_socket=client)
"""


async def test_the_outbox_refuses_past_its_bound_once_and_keeps_control_frames(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(constants, "MAX_SEND_BACKLOG", 1000)
    delivered: list[Any] = []
    stuck = asyncio.Event()

    async def deliver(item: Any) -> None:
        delivered.append(item)
        await stuck.wait()  # a peer that never takes anything

    overflows: list[int] = []
    outbox = Outbox(deliver, gone=(OSError,), overflow=lambda: overflows.append(outbox.waiting))
    for index in range(30):
        outbox.put(("send", index), 100)
        await asyncio.sleep(0)
    assert overflows == [0]  # once, with everything waiting already dropped
    assert outbox.overflowed and outbox.waiting == 0
    assert delivered == [("send", 0)]  # the one being written when the peer stopped
    outbox.put(("send", "later"), 100)  # ignored, as workerd ignores sends on an aborted connection
    outbox.put(("close", 1011))  # a Close frame still goes out (on a fresh writer: the stuck one was cancelled)
    await asyncio.sleep(0)
    assert delivered == [("send", 0), ("close", 1011)]


async def test_a_client_that_never_reads_is_closed_and_the_worker_told(start_worker: Any,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "MAX_SEND_BACKLOG", 4 * 1024 * 1024)
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY})
    async with serve_on_loopback(mf.asgi_app) as url:
        port = int(url.rsplit(":", 1)[1])
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        client.sendall(f"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        try:
            report: dict[str, Any] = {}
            for _ in range(200):
                await asyncio.sleep(0.02)
                report = json.loads((await mf.dispatch_fetch("/report")).text)
                if report["sent"] == 400 and report["events"]:
                    break
            assert report["events"] == [
                "error: WebSocketError: WebSocket send queue exceeded 4194304 bytes: the peer is not reading"]
            assert report["sent"] == 400  # later sends returned without error, and were dropped
        finally:
            client.close()
