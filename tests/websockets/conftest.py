"""Workers that speak WebSocket, shared by the WebSocket tests."""

from __future__ import annotations

ECHO_CONFIG = """
name = "echo"
main = "src/entry.py"
compatibility_date = "2026-05-01"
"""

# A plain worker (no Durable Object): accept(), event listeners, send/close both ways.
ECHO_WORKER = """
from urllib.parse import parse_qs, urlparse

from js import WebSocketPair
from workers import Response, WorkerEntrypoint

EVENTS = {}  # by the path the socket was opened on


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.headers.get("Upgrade", "").lower() != "websocket":
            url = urlparse(request.url)
            if url.path == "/events":
                return Response.json(EVENTS.get(parse_qs(url.query).get("of", ["/ws"])[0], []))
            return Response("Expected Upgrade: websocket", status=426)
        events = EVENTS.setdefault(urlparse(request.url).path, [])
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            data = event.data
            if isinstance(data, str):
                if data == "close-me":
                    server.close(4000, "as you wish")
                elif data == "state":
                    server.send(str(server.readyState))
                else:
                    server.send("echo:" + data)
            else:
                server.send(b"bin:" + data.to_bytes())

        async def on_close(event):
            events.append({"type": "close", "code": event.code, "reason": event.reason,
                           "wasClean": event.wasClean, "readyState": server.readyState})

        def on_error(event):
            events.append({"type": "error", "message": event.message})

        server.addEventListener("message", on_message)
        server.addEventListener("close", on_close)
        server.addEventListener("error", on_error)
        server.send("hello")  # sent before the response: delivered right after the handshake
        return Response(None, status=101, web_socket=client)
"""

ROOM_CONFIG = """
name = "rooms"
main = "src/entry.py"
compatibility_date = "2026-05-01"

[[durable_objects.bindings]]
name = "ROOM"
class_name = "Room"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Room"]
"""

# A Durable Object using the hibernation API: tags, attachments, auto-response, broadcast.
ROOM_WORKER = """
import json
from urllib.parse import parse_qs, urlparse

from js import WebSocketPair, WebSocketRequestResponsePair
from workers import DurableObject, Response, WorkerEntrypoint

LOG = []


class Room(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        LOG.append("constructed")

    async def fetch(self, request):
        if request.headers.get("Upgrade") != "websocket":
            return Response.json(LOG)
        name = parse_qs(urlparse(request.url).query).get("name", ["anon"])[0]
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server, [name, "everyone"])
        server.serializeAttachment({"name": name})
        self.ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair.new("ping", "pong"))
        server.send(f"welcome {name}")
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        me = ws.deserializeAttachment()["name"]
        if message == "who":
            ws.send(json.dumps([w.deserializeAttachment()["name"] for w in self.ctx.getWebSockets()]))
        elif message == "tags":
            ws.send(json.dumps(self.ctx.getTags(ws)))
        elif message == "pinged":
            ws.send(str(self.ctx.getWebSocketAutoResponseTimestamp(ws) is not None))
        elif not isinstance(message, str):
            ws.send(b"got " + message.to_bytes())
        else:
            for other in self.ctx.getWebSockets("everyone"):
                other.send(f"{me}: {message}")

    async def webSocketClose(self, ws, code, reason, wasClean):
        LOG.append(f"close {ws.deserializeAttachment()['name']} {code} {reason} {wasClean}")
        ws.close(code, reason)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.ROOM.getByName("lobby").fetch(request)
"""
