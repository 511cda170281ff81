"""Three Durable Objects: a counter (RPC + key-value storage), a rate limiter (fetch, in-memory state, as in
an API gateway) and a guestbook (SQL storage, an alarm that keeps the newest entries)."""

import json
from urllib.parse import urlparse

from js import Date
from workers import DurableObject, Response, WorkerEntrypoint

GUESTBOOK_KEEP = 20


class Counter(DurableObject):
    """One counter per name; each increment is stored before the call returns."""

    async def increment(self, by=1):
        count = (await self.ctx.storage.get("count") or 0) + by
        await self.ctx.storage.put("count", count)
        return count

    async def value(self):
        return await self.ctx.storage.get("count") or 0


class RateLimiter(DurableObject):
    """A sliding-window limiter per user: at most `limit` requests in `window` seconds."""

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.hits = {}

    async def fetch(self, request):
        params = await request.json()
        user, limit, window = params["userId"], params.get("limit", 100), params.get("window", 60)
        now = Date.now()
        recent = [t for t in self.hits.get(user, []) if t > now - window * 1000]
        if len(recent) >= limit:
            self.hits[user] = recent
            return Response.json({"allowed": False, "retryAfter": recent[0] + window * 1000 - now})
        recent.append(now)
        self.hits[user] = recent
        return Response.json({"allowed": True, "remaining": limit - len(recent)})


class Guestbook(DurableObject):
    """Entries live in the object's own SQLite table; an alarm trims the book to the newest entries."""

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        ctx.storage.sql.exec(
            "CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY, at INTEGER, message TEXT)"
        )

    async def sign(self, message):
        self.ctx.storage.sql.exec("INSERT INTO entries (at, message) VALUES (?, ?)", Date.now(), message)
        if await self.ctx.storage.getAlarm() is None:
            await self.ctx.storage.setAlarm(Date.now() + 60_000)
        return self.ctx.storage.sql.exec("SELECT count(*) AS n FROM entries").one()["n"]

    async def entries(self):
        rows = self.ctx.storage.sql.exec("SELECT at, message FROM entries ORDER BY id DESC").toArray()
        return [{"at": row["at"], "message": row["message"]} for row in rows]

    async def alarm(self, alarm_info):
        self.ctx.storage.sql.exec(
            "DELETE FROM entries WHERE id NOT IN (SELECT id FROM entries ORDER BY id DESC LIMIT ?)",
            GUESTBOOK_KEEP,
        )


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path.startswith("/counter/"):
            name = path.removeprefix("/counter/") or "default"
            count = await self.env.COUNTER.getByName(name).increment()
            return Response.json({"counter": name, "count": count})
        if path.startswith("/api/"):
            user = request.headers.get("x-user") or "anonymous"
            limiter = self.env.RATE_LIMITER.getByName("global")
            verdict = await limiter.fetch(
                "https://limiter/check",
                method="POST",
                body=json.dumps({"userId": user, "limit": 5, "window": 60}),
            )
            decision = await verdict.json()
            if not decision["allowed"]:
                return Response("Too Many Requests", status=429)
            return Response.json({"hello": user, "remaining": decision["remaining"]})
        if path == "/guestbook":
            book = self.env.GUESTBOOK.getByName("main")
            if request.method == "POST":
                count = await book.sign(await request.text())
                return Response.json({"entries": count}, status=201)
            return Response.json(await book.entries())
        return Response(
            "Durable Objects example: GET /counter/<name>, GET /api/<anything> (header x-user), "
            "GET or POST /guestbook\n"
        )
