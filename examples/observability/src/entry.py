"""A tiny shop whose order route touches KV, D1, a Durable Object and a queue, and logs along the way:
every request becomes a trace (docs/observability.md)."""

import logging
from urllib.parse import parse_qs, urlparse

from js import console
from workers import DurableObject, Response, WorkerEntrypoint

log = logging.getLogger("shop")
PRICES = {"book": 12, "pen": 2, "mug": 8}
SCHEMA = "CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, user TEXT NOT NULL, item TEXT NOT NULL, price INTEGER)"


class Cart(DurableObject):
    """One cart per user: the items they ordered, in the object's storage."""

    async def add(self, item):
        items = (await self.ctx.storage.get("items")) or []
        items.append(item)
        await self.ctx.storage.put("items", items)
        print(f"cart now holds {len(items)} item(s)")
        return items


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/order":
            return await self.order(query.get("item", "book"), query.get("user", "anonymous"))
        if url.path == "/fail":
            raise RuntimeError("payment service unavailable")
        return Response("Try /order?item=book&user=ada (and /fail), then open /cdn-cgi/local/explorer#traces\n")

    async def order(self, item, user):
        price = await self.env.CATALOG.get(f"price:{item}")
        if price is None:  # first order of this item: fill the catalog
            console.log("catalog miss", {"item": item})
            price = str(PRICES.get(item, 1))
            await self.env.CATALOG.put(f"price:{item}", price)
        await self.env.DB.exec(SCHEMA)
        row = await self.env.DB.prepare("INSERT INTO orders (user, item, price) VALUES (?, ?, ?) RETURNING id") \
            .bind(user, item, int(price)).first()
        cart = await self.env.CARTS.getByName(user).add(item)
        await self.env.ORDERS.send({"order": row["id"], "user": user, "item": item})
        log.info("order %s placed by %s", row["id"], user)
        return Response.json({"order": row["id"], "price": int(price), "cart": list(cart)})

    async def queue(self, batch):
        for message in batch.messages:
            print(f"shipping order {message.body['order']} to {message.body['user']}")
            message.ack()
