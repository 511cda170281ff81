from urllib.parse import urlparse

from js import WebSocketPair
from workers import DurableObject, Response, WorkerEntrypoint


class Room(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        server.send("welcome")
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        for other in self.ctx.getWebSockets():
            other.send(message)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/":
            return Response("ok")
        return await self.env.ROOM.getByName(path).fetch(request)
