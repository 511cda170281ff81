"""End to end: workers that use ``self.env.KV``, called over the worker's fetch handler."""

from __future__ import annotations

COUNTER = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        n = int(await self.env.KV.get("hits") or 0) + 1
        await self.env.KV.put("hits", str(n), expirationTtl=3600)
        return Response.json({"hits": n})
"""

NOTES = """
import json
from urllib.parse import urlparse, parse_qs
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        kv = self.env.KV
        if request.method == "PUT":
            name = url.path.strip("/")
            body = await request.text()
            try:
                await kv.put(f"note:{name}", body, expirationTtl=120, metadata={"length": len(body)})
            except Exception as exc:
                return Response(str(exc), status=400)
            return Response("stored", status=201)
        if url.path == "/list":
            result = await kv.list(prefix="note:", limit=int(parse_qs(url.query).get("limit", ["1000"])[0]))
            return Response.json({
                "names": [key.name for key in result.keys],
                "meta": [key.metadata for key in result.keys],
                "complete": result.list_complete,
            })
        got = await kv.getWithMetadata("note:" + url.path.strip("/"))
        if got.value is None:
            return Response("not found", status=404)
        return Response(got.value, headers={"x-length": str(got.metadata["length"])})
"""


async def test_worker_counter_persists_between_requests(start_worker, kv_worker):
    config, _ = kv_worker
    mf = await start_worker(config, {"src/entry.py": COUNTER}, clock="manual")
    assert (await mf.dispatch_fetch("/")).json() == {"hits": 1}
    assert (await mf.dispatch_fetch("/")).json() == {"hits": 2}
    assert await mf.env.KV.get("hits") == "2"


async def test_worker_counter_restarts_after_the_ttl(start_worker, kv_worker):
    config, _ = kv_worker
    mf = await start_worker(config, {"src/entry.py": COUNTER}, clock="manual")
    await mf.dispatch_fetch("/")
    mf.clock.advance(hours=1)
    assert (await mf.dispatch_fetch("/")).json() == {"hits": 1}


async def test_worker_puts_lists_and_reads_with_metadata(start_worker, kv_worker):
    config, _ = kv_worker
    mf = await start_worker(config, {"src/entry.py": NOTES}, clock="manual")
    assert (await mf.dispatch_fetch("/b", method="PUT", content="bee")).status_code == 201
    assert (await mf.dispatch_fetch("/a", method="PUT", content="ay!")).status_code == 201
    listed = (await mf.dispatch_fetch("/list")).json()
    assert listed == {"names": ["note:a", "note:b"], "meta": [{"length": 3}, {"length": 3}], "complete": True}
    assert (await mf.dispatch_fetch("/list?limit=1")).json()["complete"] is False
    response = await mf.dispatch_fetch("/a")
    assert response.text == "ay!" and response.headers["x-length"] == "3"
    mf.clock.advance(120)
    assert (await mf.dispatch_fetch("/a")).status_code == 404


async def test_worker_sees_cloudflare_error_texts(start_worker, kv_worker):
    config, _ = kv_worker
    mf = await start_worker(config, {"src/entry.py": NOTES}, clock="manual")
    response = await mf.dispatch_fetch("/" + "x" * 600, method="PUT", content="v")
    assert response.status_code == 400
    assert response.text == "KV PUT failed: 414 UTF-8 encoded length of 605 exceeds key length limit of 512."


async def test_value_put_by_the_test_is_seen_by_the_worker(start_worker, kv_worker):
    config, _ = kv_worker
    mf = await start_worker(config, {"src/entry.py": NOTES}, clock="manual")
    await mf.env.KV.put("note:direct", "from the test", metadata={"length": 13})
    assert (await mf.dispatch_fetch("/direct")).text == "from the test"
