"""The gateway: counts a user's visits in a Durable Object of the users worker, reports each visit on a queue
the users worker consumes, and proxies profile requests to it (service binding), all across processes."""

from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path.strip("/").split("/")
        if len(path) == 3 and path[0] == "users" and path[2] == "visit" and request.method == "POST":
            return await self.visit(path[1], request)
        if len(path) == 3 and path[0] == "users" and path[2] == "welcome" and request.method == "POST":
            instance = await self.env.WELCOME.create({"params": {"user": path[1]}})
            return Response.json({"instance": instance.id}, status=202)
        if len(path) == 2 and path[0] == "users":
            return await self.env.USERS.fetch(request)  # the users worker answers
        if path == ["whoami"]:
            return Response.json(await self.env.USERS.describe())  # RPC to the users worker
        return Response("gateway: POST /users/<id>/visit, GET /users/<id>, POST /users/<id>/welcome, GET /whoami\n")

    async def visit(self, user, request):
        request_id = request.headers.get("x-request-id") or ""
        visits = await self.env.VISITS.getByName(user).increment()
        # Acknowledged only once the event is stored: it reaches the users worker even if it is restarting.
        await self.env.EVENTS.send({"user": user, "visit": visits, "request": request_id})
        return Response.json({"user": user, "visits": visits})
