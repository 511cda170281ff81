"""The explorer's Durable Objects view: ids with storage, each object's keys, tables and alarm, SQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyflare.testing import run_in_durable_object

API = "/cdn-cgi/local/explorer/api/workers/durable_objects/namespaces"

CONFIG = """
name = "rooms"
main = "src/entry.py"
compatibility_date = "2026-01-01"

[[durable_objects.bindings]]
name = "ROOM"
class_name = "Room"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Room"]
"""

ENTRY = """
from workers import DurableObject, WorkerEntrypoint, Response

class Room(DurableObject):
    async def post(self, text):
        self.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS messages (text TEXT)")
        self.ctx.storage.sql.exec("INSERT INTO messages VALUES (?)", text)
        await self.ctx.storage.put("last", {"text": text})
        await self.ctx.storage.setAlarm(4102444800000)
        return text

    async def alarm(self, info=None):
        pass

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""


async def test_objects_keys_tables_alarm_and_sql(start_worker: Callable[..., Any]) -> None:
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY}, clock="manual")
    stub = mf.env.ROOM.getByName("lobby")
    await stub.post("hi")
    [namespace] = (await mf.dispatch_fetch(API)).json()["result"]
    assert namespace["id"] == "rooms-Room" and namespace["use_sqlite"] is True
    assert namespace["bindings"] == ["rooms.ROOM"]
    [listed] = (await mf.dispatch_fetch(f"{API}/rooms-Room/objects")).json()["result"]
    assert listed["id"] == stub.id.toString() and listed["alarm"] == 4102444800000
    detail = (await mf.dispatch_fetch(f"{API}/rooms-Room/objects/{listed['id']}")).json()["result"]
    assert detail["keys"] == [{"key": "last", "value": {"text": "hi"}}]
    assert detail["tables"] == ["messages"]
    query = await mf.dispatch_fetch(f"{API}/rooms-Room/query", method="POST",
                                    json={"objectId": listed["id"], "sql": "SELECT text FROM messages"})
    assert query.json()["result"]["rows"] == [["hi"]]
    # A change made in the console is what the object reads next.
    await mf.dispatch_fetch(f"{API}/rooms-Room/query", method="POST",
                            json={"objectId": listed["id"], "sql": "DELETE FROM messages"})
    count = await run_in_durable_object(
        stub, lambda instance, ctx: ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM messages").one()["n"])
    assert count == 0


async def test_unknown_namespace_and_object(start_worker: Callable[..., Any]) -> None:
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY}, clock="manual")
    assert (await mf.dispatch_fetch(f"{API}/nope/objects")).status_code == 404
    assert (await mf.dispatch_fetch(f"{API}/rooms-Room/objects/{'0' * 64}")).status_code == 404
    bad = await mf.dispatch_fetch(f"{API}/rooms-Room/query", method="POST", json={"objectId": "x"})
    assert bad.status_code == 400
