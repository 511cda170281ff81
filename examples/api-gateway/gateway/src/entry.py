"""API gateway: authenticate, rate-limit, then route /api/users/* and /api/orders/* to the backend workers
over service bindings; /api/products/<id> is served through a two-level cache (the edge cache, then KV)."""

import json
import uuid
from urllib.parse import urlsplit

from js import caches
from workers import Request, Response, WorkerEntrypoint

EDGE_TTL = 300  # seconds a product stays in caches.default
KV_TTL = 3600  # seconds it stays in KV

ROUTES = {"/api/users": "USERS", "/api/orders": "ORDERS"}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlsplit(request.url).path
        if path == "/":
            return Response.json({"service": "gateway", "routes": [*ROUTES, "/api/products/<id>"]})

        # 1. authentication, answered by the users worker over RPC
        token = (request.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        user_id = await self.env.USERS.authenticate(token) if token else None
        if user_id is None:
            return Response("Unauthorized", status=401)

        # 2. rate limiting, per user
        outcome = await self.env.RATE_LIMITER.limit({"key": user_id})
        if not outcome.success:
            return Response("Too Many Requests", status=429, headers={"retry-after": "10"})

        # 3. a product: two-level cache in front of the catalog
        if path.startswith("/api/products/"):
            return await CacheStrategy(self.env, self.ctx).get(path.rsplit("/", 1)[1])

        # 4. routes to the backend workers, with tracing headers
        for prefix, binding in ROUTES.items():
            if path == prefix or path.startswith(prefix + "/"):
                headers = dict(request.headers)
                headers["x-request-id"] = str(uuid.uuid4())
                headers["x-user-id"] = user_id
                body = await request.bytes() if request.method not in ("GET", "HEAD") else None
                forwarded = Request(request.url, method=request.method, headers=headers, body=body)
                return await getattr(self.env, binding).fetch(forwarded)
        return Response("Not Found", status=404)


class CacheStrategy:
    """Edge cache first, then KV, then the origin (the orders worker's Catalog entrypoint over RPC)."""

    def __init__(self, env, ctx):
        self.env = env
        self.ctx = ctx

    async def get(self, product_id):
        cache_key = Request(f"https://cache.local/product/{product_id}")
        cache = caches.default
        hit = await cache.match(cache_key)
        if hit is not None:
            return with_layer(hit, "edge")

        stored = await self.env.CACHE_KV.get(f"product:{product_id}")
        if stored is not None:
            response = self.product_response(stored)
            await cache.put(cache_key, response.clone())
            return with_layer(response, "kv")

        product = await self.env.CATALOG.product(product_id)
        if product is None:
            return Response.json({"error": "no such product"}, status=404)
        text = json.dumps(product)
        response = self.product_response(text)
        # fill both layers after answering
        self.ctx.waitUntil(cache.put(cache_key, response.clone()))
        self.ctx.waitUntil(self.env.CACHE_KV.put(f"product:{product_id}", text, expirationTtl=KV_TTL))
        return with_layer(response, "origin")

    @staticmethod
    def product_response(text):
        return Response(text, headers={"content-type": "application/json",
                                       "cache-control": f"public, max-age={EDGE_TTL}"})


def with_layer(response, layer):
    headers = dict(response.headers)
    headers["x-cache-layer"] = layer
    return Response(response.body, status=response.status, headers=headers)
