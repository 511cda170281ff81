"""Workers for the observability tests: a shop route that touches KV, D1, a Durable Object and a queue."""

from __future__ import annotations

SHOP_CONFIG = """
name = "shop"
main = "src/entry.py"
compatibility_flags = ["python_workers"]

[[kv_namespaces]]
binding = "KV"
id = "kv"

[[d1_databases]]
binding = "DB"
database_name = "shop"
database_id = "00000000-0000-0000-0000-000000000001"

[[durable_objects.bindings]]
name = "CARTS"
class_name = "Cart"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Cart"]

[[queues.producers]]
binding = "ORDERS"
queue = "orders"

[[queues.consumers]]
queue = "orders"
max_batch_timeout = 1
max_retries = 1
"""

SHOP_ENTRY = """
import logging
from js import console
from workers import DurableObject, Response, WorkerEntrypoint, fetch, wait_until


class Cart(DurableObject):
    async def add(self, item):
        items = (await self.ctx.storage.get("items")) or []
        items.append(item)
        await self.ctx.storage.put("items", items)
        print("cart holds", len(items))
        return items

    async def alarm(self, info=None):
        print("alarm ran, retry", info.retryCount if info else None)
        raise RuntimeError("alarm failed")

    async def arm(self, at):
        await self.ctx.storage.setAlarm(at)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[3].split("?")[0]
        if path == "order":
            price = await self.env.KV.get("price")
            if price is None:
                console.log("catalog miss", {"item": "book"})
                await self.env.KV.put("price", "12")
            await self.env.DB.exec("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, item TEXT)")
            row = await self.env.DB.prepare("INSERT INTO orders (item) VALUES (?) RETURNING id").bind("book").first()
            await self.env.CARTS.getByName("ada").add("book")
            await self.env.ORDERS.send({"order": row["id"]})
            logging.getLogger("shop").warning("order %s placed", row["id"])
            return Response.json({"order": row["id"]})
        if path == "boom":
            print("about to fail")
            raise ValueError("payment declined")
        if path == "missing":
            return Response("nope", status=404)
        if path == "later":
            async def later():
                await self.env.KV.put("later", "1")
                console.warn("after the response")
            wait_until(later())
            return Response("sent")
        if path == "alarm":
            await self.env.CARTS.getByName("bob").arm(1000)
            return Response("armed")
        if path == "outbound":
            response = await fetch("https://api.example.com/rates")
            return Response(await response.text())
        return Response("hello")

    async def queue(self, batch):
        for message in batch.messages:
            print("shipping", message.body["order"])
            if message.body.get("fail"):
                message.retry()
            else:
                message.ack()

    async def scheduled(self, controller, env, ctx):
        console.log("cron ran", controller.cron)
"""
