"""The gateway: counts a user's visits in a Durable Object of the users worker, reports each visit on a queue
the users worker consumes, and proxies profile requests to it (service binding), all across processes."""

from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path.strip("/").split("/")
        if len(path) == 3 and path[0] == "users" and path[2] == "visit" and request.method == "POST":
            return await self.visit(path[1], request)
        if len(path) == 3 and path[0] == "users" and path[2] == "event" and request.method == "POST":
            # Needs only the queue: acknowledged even while users is stopped (the event waits for it).
            await self.env.EVENTS.send({"user": path[1], "visit": 0, "request": request.headers.get("x-request-id")})
            return Response.json({"queued": True}, status=202)
        if len(path) == 3 and path[0] == "users" and path[2] == "welcome" and request.method == "POST":
            instance = await self.env.WELCOME.create({"params": {"user": path[1]}})
            return Response.json({"instance": instance.id}, status=202)
        if len(path) == 2 and path[0] == "welcome":
            status = await (await self.env.WELCOME.get(path[1])).status()  # asked of the users process
            return Response.json(status)
        if len(path) == 2 and path[0] == "users":
            return await self.env.USERS.fetch(request)  # the users worker answers
        if len(path) == 2 and path[0] == "counters":
            return await self.env.VISITS.getByName(path[1]).fetch(request)  # the object answers, in users
        if path == ["whoami"]:
            return Response.json(await self.env.USERS.describe())  # RPC to the users worker
        return Response("gateway: POST /users/<id>/visit, POST /users/<id>/event, GET /users/<id>, "
                        "GET /counters/<id>, POST /users/<id>/welcome, GET /welcome/<instance>, GET /whoami\n")

    async def visit(self, user, request):
        request_id = request.headers.get("x-request-id") or ""
        try:
            visits = await self.env.VISITS.getByName(user).increment()
        except Exception as exc:  # users is not running: 'Worker "users" not found. Make sure it is running locally.'
            return Response.json({"error": str(exc)}, status=503)
        # Acknowledged only once the event is stored: it reaches the users worker even if it is restarting.
        await self.env.EVENTS.send({"user": user, "visit": visits, "request": request_id})
        return Response.json({"user": user, "visits": visits})
