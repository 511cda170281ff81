"""Chat rooms: the bundled examples/chatroom (history in storage, broadcast to every socket), and the
pattern of Cloudflare's python-workers-examples 15-chatroom (in-memory history, jsonc config)."""

from __future__ import annotations

import json
from pathlib import Path

from pyflare import Pyflare
from pyflare.testing import evict_durable_object

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "chatroom"


async def test_two_clients_chat_and_the_history_survives_hibernation_and_restart(tmp_path):
    async with Pyflare(EXAMPLE, clock="manual", persist_to=tmp_path) as mf:
        async with mf.websocket("/websocket") as ada, mf.websocket("/websocket") as bob:
            assert json.loads(await ada.receive_text()) == {"type": "history", "messages": []}
            assert json.loads(await bob.receive_text()) == {"type": "history", "messages": []}
            await ada.send_text(json.dumps({"user": "ada", "text": "hi bob"}))
            for ws in (ada, bob):
                assert json.loads(await ws.receive_text()) == {"type": "message", "user": "ada", "text": "hi bob"}
            room = mf.env.CHAT_ROOM.get(mf.env.CHAT_ROOM.idFromName("global-chat"))
            evict_durable_object(room)
            await bob.send_text(json.dumps({"user": "bob", "text": "hi ada"}))
            for ws in (ada, bob):
                assert json.loads(await ws.receive_text())["text"] == "hi ada"
            await bob.send_text("not json")
            assert json.loads(await bob.receive_text())["type"] == "error"
        assert [m["text"] for m in (await mf.dispatch_fetch("/messages")).json()] == ["hi bob", "hi ada"]
    async with Pyflare(EXAMPLE, clock="manual", persist_to=tmp_path) as mf:
        async with mf.websocket("/websocket") as carol:
            history = json.loads(await carol.receive_text())
        assert [m["user"] for m in history["messages"]] == ["ada", "bob"]


CHATROOM_CONFIG = """{
  // as in Cloudflare's python-workers-examples/15-chatroom
  "name": "python-chatroom",
  "main": "src/entry.py",
  "compatibility_date": "2025-11-02",
  "compatibility_flags": ["python_workers"],
  "observability": {"enabled": true},
  "durable_objects": {"bindings": [{"name": "CHATROOM", "class_name": "Chatroom"}]},
  "migrations": [{"tag": "v1", "new_sqlite_classes": ["Chatroom"]}],
}
"""

# The shape of 15-chatroom's entry.py: WebSocketPair.new().object_values(), state.acceptWebSocket(server)
# without tags, sends before returning the 101, broadcast over getWebSockets(), webSocketClose echoing
# ws.close(code, reason), rooms addressed with idFromName + get + stub.fetch(request).
CHATROOM_WORKER = """
import json
from datetime import datetime, timezone
from urllib.parse import urlparse

from js import WebSocketPair
from workers import DurableObject, Response, WorkerEntrypoint


class Chatroom(DurableObject):
    def __init__(self, state, env):
        super().__init__(state, env)
        self.state = state
        self.history = []

    async def fetch(self, request):
        upgrade = request.headers.get("Upgrade")
        if not upgrade or upgrade.lower() != "websocket":
            return Response("Expected WebSocket upgrade", status=400)
        client, server = WebSocketPair.new().object_values()
        self.state.acceptWebSocket(server)
        if self.history:
            server.send(json.dumps({"type": "history", "messages": self.history}))
        server.send(json.dumps({"type": "system", "text": "Connected", "at": datetime.now(timezone.utc).isoformat()}))
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        data = json.loads(message)
        entry = {"type": "message", "username": data.get("username", "Anonymous"), "text": data.get("text", "")}
        self.history = (self.history + [entry])[-50:]
        for socket in self.state.getWebSockets():
            socket.send(json.dumps(entry))

    async def webSocketClose(self, ws, code, reason, wasClean):
        ws.close(code, reason)
        print(f"left; {len(self.state.getWebSockets())} sockets")


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path.startswith("/room/") and path[6:]:
            namespace = self.env.CHATROOM
            return await namespace.get(namespace.idFromName(path[6:])).fetch(request)
        return Response("Not found. Use /room/<name> to connect to a chatroom.", status=404)
"""


async def test_the_15_chatroom_pattern_runs_and_two_clients_chat(worker_dir):
    config = worker_dir(CHATROOM_CONFIG, {"src/entry.py": CHATROOM_WORKER}, config_name="wrangler.jsonc")
    async with Pyflare(config, clock="manual") as mf:
        await chat(mf)


async def chat(mf: Pyflare) -> None:
    async with mf.websocket("/room/lobby") as ada:
        assert json.loads(await ada.receive_text())["type"] == "system"
        async with mf.websocket("/room/lobby") as bob:
            assert json.loads(await bob.receive_text())["type"] == "system"
            await ada.send_text(json.dumps({"username": "ada", "text": "hello"}))
            for ws in (ada, bob):
                assert json.loads(await ws.receive_text())["text"] == "hello"
            await bob.send_text(json.dumps({"username": "bob", "text": "hey"}))
            for ws in (ada, bob):
                assert json.loads(await ws.receive_text())["username"] == "bob"
            await bob.close(1000, "bye")
        async with mf.websocket("/room/lobby") as carol:  # history is sent first, then the welcome
            assert [m["text"] for m in json.loads(await carol.receive_text())["messages"]] == ["hello", "hey"]
        async with mf.websocket("/room/other") as dave:  # another room, another object
            assert json.loads(await dave.receive_text())["type"] == "system"
