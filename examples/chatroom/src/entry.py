"""A chat room: the history lives in Durable Object storage, and each message goes to every socket."""

import json
from pathlib import Path
from urllib.parse import urlparse

from js import WebSocketPair
from workers import DurableObject, Response, WorkerEntrypoint

MAX_HISTORY = 100


class ChatRoom(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.messages = []
        # Load the history before any event reaches the object (after hibernation too).
        ctx.blockConcurrencyWhile(self.load)

    async def load(self):
        self.messages = await self.ctx.storage.get("messages") or []

    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/websocket":
            if (request.headers.get("Upgrade") or "").lower() != "websocket":
                return Response("Expected Upgrade: websocket", status=426)
            client, server = WebSocketPair.new().object_values()
            self.ctx.acceptWebSocket(server)
            server.send(json.dumps({"type": "history", "messages": self.messages}))
            return Response(None, status=101, web_socket=client)
        if path == "/messages":
            return Response.json(self.messages)
        return Response("Not Found", status=404)

    async def webSocketMessage(self, ws, message):
        try:
            data = json.loads(message)
        except (TypeError, ValueError):
            ws.send(json.dumps({"type": "error", "error": "send JSON: {\"user\": ..., \"text\": ...}"}))
            return
        entry = {"user": str(data.get("user", "anonymous")), "text": str(data.get("text", ""))}
        self.messages = (self.messages + [entry])[-MAX_HISTORY:]
        await self.ctx.storage.put("messages", self.messages)
        outgoing = json.dumps({"type": "message", **entry})
        for client in self.ctx.getWebSockets():
            client.send(outgoing)

    async def webSocketClose(self, ws, code, reason, wasClean):
        if code not in (1005, 1006):  # codes a Close frame may carry
            ws.close(code, reason)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if urlparse(request.url).path == "/":
            page = Path(__file__).parent / "index.html"
            return Response(page.read_text(), headers={"content-type": "text/html;charset=UTF-8"})
        room = self.env.CHAT_ROOM.get(self.env.CHAT_ROOM.idFromName("global-chat"))
        return await room.fetch(request)
