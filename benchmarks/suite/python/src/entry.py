"""The suite benchmark's application, in Python (../../js/src/index.js is the same in JS).

GET|PUT|DELETE /kv/<key>      KV (PUT ?ttl=<seconds>); GET /kv?prefix=p lists key names
GET|PUT|DELETE /r2/<key>      R2 (PUT keeps the request's content-type); GET /r2?prefix=p lists keys
POST /notes, GET /notes, GET|DELETE /notes/<id>    D1
POST /jobs {id, text}         queued; the consumer stores text upper-cased at KV "job:<id>"
GET /jobs/<id>                the consumer's result (404 until it ran)
GET|POST /counter/<name>      a Durable Object counter (POST ?by=n increments)
POST /orders {id, items}      starts an OrderWorkflow; GET /orders/<id> is its status
"""

from urllib.parse import parse_qs, unquote, urlparse

from workers import DurableObject, Response, WorkerEntrypoint, WorkflowEntrypoint
from workers.workflows import NonRetryableError


class Counter(DurableObject):
    async def increment(self, by=1):
        count = (await self.ctx.storage.get("count") or 0) + by
        await self.ctx.storage.put("count", count)
        return count

    async def value(self):
        return await self.ctx.storage.get("count") or 0

    async def reset(self):
        await self.ctx.storage.deleteAll()
        return 0


class OrderWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        order_id, items = event.payload["id"], event.payload["items"]

        @step.do("total")
        async def total():
            if not items:
                raise NonRetryableError(f"order {order_id} has no items")
            return sum(item["price"] * item["qty"] for item in items)

        amount = await total()

        @step.do("reserve")
        async def reserve():
            await self.env.KV.put(f"order:{order_id}", str(amount))
            return True

        await reserve()
        await step.sleep("settle", "1 minute")

        @step.do("record")
        async def record():
            await self.env.DB.prepare("INSERT INTO orders (id, total) VALUES (?, ?)").bind(order_id, amount).run()
            return True

        await record()
        return {"id": order_id, "total": amount}


def not_found(text="not found"):
    return Response(text, status=404)


async def kv(request, env, key, query):
    if key == "":
        listed = await env.KV.list(prefix=query.get("prefix", ""))
        return Response.json([k["name"] for k in listed["keys"]])
    if request.method == "PUT":
        ttl = query.get("ttl")
        options = {"expirationTtl": int(ttl)} if ttl else {}
        await env.KV.put(key, await request.text(), **options)
        return Response(None, status=201)
    if request.method == "DELETE":
        await env.KV.delete(key)
        return Response(None, status=204)
    value = await env.KV.get(key)
    return not_found() if value is None else Response(value)


async def r2(request, env, key, query):
    if key == "":
        listed = await env.BUCKET.list(prefix=query.get("prefix", ""))
        return Response.json([o.key for o in listed["objects"]])
    if request.method == "PUT":
        content_type = request.headers.get("content-type") or "application/octet-stream"
        stored = await env.BUCKET.put(key, await request.text(), httpMetadata={"contentType": content_type})
        return Response.json({"key": stored.key, "size": stored.size}, status=201)
    if request.method == "DELETE":
        await env.BUCKET.delete(key)
        return Response(None, status=204)
    stored = await env.BUCKET.get(key)
    if stored is None:
        return not_found()
    return Response(await stored.text(), headers={"content-type": stored.httpMetadata["contentType"]})


async def notes(request, env, note_id, query):
    if note_id == "":
        if request.method == "POST":
            note = await request.json()
            if not note.get("title"):
                return Response.json({"error": "title is required"}, status=400)
            row = await env.DB.prepare("INSERT INTO notes (title, body) VALUES (?, ?) RETURNING id") \
                .bind(note["title"], note.get("body", "")).first()
            return Response.json({"id": row["id"]}, status=201)
        result = await env.DB.prepare("SELECT id, title, body FROM notes ORDER BY id").all()
        return Response.json(result["results"])
    if request.method == "DELETE":
        result = await env.DB.prepare("DELETE FROM notes WHERE id = ?").bind(int(note_id)).run()
        return Response(None, status=204 if result["meta"]["changes"] else 404)
    row = await env.DB.prepare("SELECT id, title, body FROM notes WHERE id = ?").bind(int(note_id)).first()
    return Response.json({"error": "no such note"}, status=404) if row is None else Response.json(row)


async def jobs(request, env, job_id, query):
    if request.method == "POST":
        job = await request.json()
        await env.JOBS.send(job)
        return Response.json({"queued": job["id"]}, status=202)
    result = await env.KV.get(f"job:{job_id}")
    return Response.json({"error": "not done"}, status=404) if result is None else \
        Response.json({"id": job_id, "result": result})


async def counter(request, env, name, query):
    stub = env.COUNTER.getByName(name)
    if request.method == "POST":
        return Response.json({"name": name, "count": await stub.increment(int(query.get("by", 1)))})
    return Response.json({"name": name, "count": await stub.value()})


async def orders(request, env, order_id, query):
    if request.method == "POST":
        order = await request.json()
        instance = await env.ORDERS.create({"id": order["id"], "params": order})
        return Response.json({"id": instance.id}, status=202)
    instance = await env.ORDERS.get(order_id)
    return Response.json(await instance.status())


# section: (handler, methods allowed)
ROUTES = {
    "kv": (kv, ("GET", "PUT", "DELETE")),
    "r2": (r2, ("GET", "PUT", "DELETE")),
    "notes": (notes, ("GET", "POST", "DELETE")),
    "jobs": (jobs, ("GET", "POST")),
    "counter": (counter, ("GET", "POST")),
    "orders": (orders, ("GET", "POST")),
}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        if url.path == "/":
            return Response.json({"app": "suite", "bindings": ["KV", "BUCKET", "DB", "JOBS", "COUNTER", "ORDERS"]})
        _, section, *rest = url.path.split("/")
        if section not in ROUTES:
            return Response.json({"error": f"no route for {url.path}"}, status=404)
        handler, allowed = ROUTES[section]
        if request.method not in allowed:
            return Response.json({"error": f"{request.method} not allowed"}, status=405)
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        return await handler(request, self.env, unquote("/".join(rest)), query)

    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            await self.env.KV.put(f"job:{message.body['id']}", message.body["text"].upper())
            message.ack()
