"""Workers that speak WebSocket, shared by the WebSocket tests."""

from __future__ import annotations

ECHO_CONFIG = """
name = "echo"
main = "src/entry.py"
compatibility_date = "2026-05-01"
"""

# A plain worker (no Durable Object): accept(), event listeners, send/close both ways.
ECHO_WORKER = """
import json
from js import WebSocketPair
from workers import Response, WorkerEntrypoint

EVENTS = []


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.headers.get("Upgrade", "").lower() != "websocket":
            if request.url.endswith("/events"):
                return Response.json(EVENTS)
            return Response("Expected Upgrade: websocket", status=426)
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
            EVENTS.append({"type": "close", "code": event.code, "reason": event.reason,
                           "wasClean": event.wasClean, "readyState": server.readyState})

        def on_error(event):
            EVENTS.append({"type": "error", "message": event.message})

        server.addEventListener("message", on_message)
        server.addEventListener("close", on_close)
        server.addEventListener("error", on_error)
        server.send("hello")  # sent before the response: delivered right after the handshake
        return Response(None, status=101, web_socket=client)
"""
