"""The users worker: visit counters (a Durable Object class), the consumer of visit events (kept in D1, one
row per request), a welcome workflow, and a small HTTP/RPC face for the gateway."""

from urllib.parse import urlparse

from workers import DurableObject, Response, WorkerEntrypoint, WorkflowEntrypoint


class VisitCounter(DurableObject):
    async def increment(self):
        visits = (await self.ctx.storage.get("visits") or 0) + 1
        await self.ctx.storage.put("visits", visits)  # committed before the caller hears the number
        return visits

    async def count(self):
        return await self.ctx.storage.get("visits") or 0

    async def fetch(self, request):
        return Response.json({"visits": await self.count(), "method": request.method, "url": request.url})


class Welcome(WorkflowEntrypoint):
    async def run(self, event, step):
        user = event["payload"]["user"]

        @step.do("remember")
        async def remember():
            await self.env.DB.prepare("INSERT OR REPLACE INTO welcomes (user, instance) VALUES (?, ?)").bind(
                user, event["instanceId"]).run()
            return user

        return {"welcomed": await remember()}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path.strip("/").split("/")
        if len(path) == 2 and path[0] == "users":
            user = path[1]
            visits = await self.env.VISITS.getByName(user).count()
            row = await self.env.DB.prepare("SELECT COUNT(*) AS events FROM events WHERE user = ?").bind(user).first()
            return Response.json({"user": user, "visits": visits, "events": row["events"]})
        if path == ["stats"]:
            totals = await self.env.DB.prepare(
                "SELECT COUNT(*) AS requests, COALESCE(SUM(deliveries), 0) AS deliveries FROM events").first()
            return Response.json({"events": totals["requests"], "deliveries": totals["deliveries"]})
        if path == ["events"]:
            rows = await self.env.DB.prepare("SELECT request FROM events").all()
            return Response.json([row["request"] for row in rows.results])
        return Response("users: GET /users/<id>, GET /stats, GET /events\n")

    async def describe(self):
        return {"worker": "users", "classes": ["VisitCounter"], "queues": ["visit-events"]}

    async def queue(self, batch, env, ctx):
        statements = [
            env.DB.prepare("INSERT INTO events (request, user, visit) VALUES (?, ?, ?) "
                           "ON CONFLICT (request) DO UPDATE SET deliveries = deliveries + 1").bind(
                message.body["request"], message.body["user"], message.body["visit"])
            for message in batch.messages
        ]
        await env.DB.batch(statements)
        batch.ackAll()
