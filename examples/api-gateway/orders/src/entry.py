"""The orders service: a user's orders over fetch; the Catalog entrypoint answers product lookups over RPC."""

import json

from workers import Response, WorkerEntrypoint

PRODUCTS = {
    "1": {"id": "1", "name": "Keyboard", "price": 49},
    "2": {"id": "2", "name": "Mouse", "price": 19},
}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        user_id = request.headers.get("x-user-id")
        key = f"orders:{user_id}"
        orders = json.loads(await self.env.ORDERS_KV.get(key) or "[]")
        if request.method == "POST":
            order = await request.json()
            order["id"] = len(orders) + 1
            orders.append(order)
            await self.env.ORDERS_KV.put(key, json.dumps(orders))
            return Response.json(order, status=201)
        return Response.json({"user": user_id, "orders": orders})


class Catalog(WorkerEntrypoint):
    """Named entrypoint: the gateway binds it with props = {currency = ...}, seen here as self.ctx.props."""

    LOOKUPS = []  # every origin lookup, so tests can see what the cache saved

    async def product(self, product_id):
        Catalog.LOOKUPS.append(product_id)
        product = PRODUCTS.get(product_id)
        if product is None:
            return None
        return {**product, "currency": self.ctx.props["currency"]}
