"""What the explorer shows beyond the raw stores: when an R2 bucket was created, Durable Objects by the
name their id was made from, each object's hibernatable WebSockets (tags, attachment), and the Cache API's
entries per cache."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pyflare import Clock, Pyflare
from pyflare.testing import evict_durable_object

API = "/cdn-cgi/local/explorer/api"
DO_API = API + "/workers/durable_objects/namespaces/rooms-Room"

CONFIG = """
name = "rooms"
main = "src/entry.py"
compatibility_date = "2026-01-01"

[[r2_buckets]]
binding = "FILES"
bucket_name = "files"

[[durable_objects.bindings]]
name = "ROOM"
class_name = "Room"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Room"]
"""

ENTRY = """
from urllib.parse import urlparse

from js import WebSocketPair, caches
from workers import DurableObject, Response, WorkerEntrypoint


class Room(DurableObject):
    async def post(self, text):
        await self.ctx.storage.put("last", text)
        return text

    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server, ["room:lobby", "user:ada"])
        server.serializeAttachment({"user": "ada", "joined": 1})
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        ws.send("echo:" + message)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/ws":
            return await self.env.ROOM.getByName("lobby").fetch(request)
        if path == "/cache":
            await caches.default.put("https://shop.example/a", Response("a", headers={"cache-control": "max-age=60"}))
            products = await caches.open("products")
            await products.put("https://shop.example/p/1",
                               Response("p1", status=200, headers={"cache-control": "max-age=3600", "x-kind": "pen"}))
            return Response("cached")
        return Response("rooms")
"""

NOW = 1_900_000_000  # seconds (2030): a fixed time the manual clock moves forward to


async def api(mf: Pyflare, method: str, path: str, **kwargs: Any) -> Any:
    response = await mf.dispatch_fetch(API + path, method=method, **kwargs)
    body = response.json()
    assert body["success"] is (response.status_code < 400), body
    return body["result"]


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def test_an_r2_bucket_shows_when_it_was_created_across_restarts(worker_dir: Callable[..., Path], tmp_path: Path):
    config = worker_dir(CONFIG, {"src/entry.py": ENTRY})
    clock = Clock(manual=True)
    clock.set(NOW)
    async with Pyflare(config, persist_to=tmp_path / "state", clock=clock) as mf:
        [bucket] = (await api(mf, "GET", "/r2/buckets"))["buckets"]
        assert bucket["creation_date"] == iso(NOW)  # not 1970-01-01
        await mf.env.FILES.put("a.txt", "a")
        [listed] = await api(mf, "GET", "/r2/buckets/files/objects")
        assert listed["last_modified"].startswith(datetime.fromtimestamp(NOW, timezone.utc).date().isoformat())
    clock.advance(days=3)
    async with Pyflare(config, persist_to=tmp_path / "state", clock=clock) as again:
        [bucket] = (await api(again, "GET", "/r2/buckets"))["buckets"]
        assert bucket["creation_date"] == iso(NOW)  # created once, not at each start


async def test_objects_made_by_name_show_their_name_also_after_a_restart(worker_dir: Callable[..., Path],
                                                                         tmp_path: Path):
    config = worker_dir(CONFIG, {"src/entry.py": ENTRY})
    async with Pyflare(config, persist_to=tmp_path / "state", clock="manual") as mf:
        named = mf.env.ROOM.getByName("lobby")
        await named.post("hi")
        unique = mf.env.ROOM.get(mf.env.ROOM.newUniqueId())
        await unique.post("there")
        by_id = {o["id"]: o for o in await api(mf, "GET", "/workers/durable_objects/namespaces/rooms-Room/objects")}
        assert by_id[named.id.toString()]["name"] == "lobby"
        assert by_id[unique.id.toString()]["name"] is None
        # The name is kept out of the object's own SQL, as Cloudflare keeps its metadata.
        tables = await api(mf, "POST", "/workers/durable_objects/namespaces/rooms-Room/query",
                           json={"objectId": named.id.toString(), "sql": "SELECT 1"})
        assert tables["rows"] == [[1]]
    async with Pyflare(config, persist_to=tmp_path / "state", clock="manual") as again:  # no stub made yet
        detail = await api(again, "GET", f"/workers/durable_objects/namespaces/rooms-Room/objects/{named.id.toString()}")
        assert detail["name"] == "lobby" and detail["keys"] == [{"key": "last", "value": "hi"}]


async def test_an_objects_websockets_show_their_tags_and_attachment_while_it_hibernates(
        start_worker: Callable[..., Any]):
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY}, clock="manual")
    async with mf.websocket("/ws") as ws:
        await ws.send_text("hi")
        assert await ws.receive_text() == "echo:hi"
        room = mf.env.ROOM.getByName("lobby")
        assert evict_durable_object(room)  # hibernates: the socket stays open
        [listed] = await api(mf, "GET", "/workers/durable_objects/namespaces/rooms-Room/objects")
        assert listed["name"] == "lobby" and listed["websockets"] == 1 and listed["live"] is False
        assert listed["hasStoredData"] is False  # a chat room that stores nothing is listed all the same
        detail = await api(mf, "GET", f"/workers/durable_objects/namespaces/rooms-Room/objects/{listed['id']}")
        [socket] = detail["websockets"]
        assert socket["tags"] == ["room:lobby", "user:ada"]
        assert socket["attachment"] == {"user": "ada", "joined": 1}
        assert socket["ready_state"] == 1
    await mf.idle()


async def test_cache_entries_per_cache_with_status_headers_and_expiry(start_worker: Callable[..., Any]):
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY}, clock="manual")
    mf.clock.set(NOW)
    assert (await mf.dispatch_fetch("/cache")).text == "cached"
    assert await api(mf, "GET", "/local/caches") == [{"name": "default", "entries": 1},
                                                     {"name": "products", "entries": 1}]
    [entry] = await api(mf, "GET", "/local/caches/products/entries")
    assert entry["url"] == "https://shop.example/p/1" and entry["status"] == 200 and entry["size"] == 2
    assert ["x-kind", "pen"] in entry["headers"]
    assert entry["expires"] == datetime.fromtimestamp(NOW + 3600, timezone.utc).isoformat()
    mf.clock.advance(seconds=61)  # the default cache's entry (max-age=60) has expired
    assert await api(mf, "GET", "/local/caches") == [{"name": "products", "entries": 1}]
    assert await api(mf, "GET", "/local/caches/default/entries") == []
    await api(mf, "DELETE", "/local/caches/products/entries?url=https://shop.example/p/1")
    assert await api(mf, "GET", "/local/caches") == []
