"""examples/durable-objects and the patterns of Cloudflare's Python examples run unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflare import Pyflare

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "durable-objects"


@pytest.fixture
async def example():
    async with Pyflare(EXAMPLE, clock="manual") as mf:
        yield mf


async def test_counter_counts_per_name(example):
    assert (await example.dispatch_fetch("/counter/a")).json() == {"counter": "a", "count": 1}
    assert (await example.dispatch_fetch("/counter/a")).json()["count"] == 2
    assert (await example.dispatch_fetch("/counter/b")).json()["count"] == 1


async def test_rate_limiter_allows_5_per_minute_per_user(example):
    for remaining in (4, 3, 2, 1, 0):
        response = await example.dispatch_fetch("/api/x", headers={"x-user": "ada"})
        assert response.json() == {"hello": "ada", "remaining": remaining}
    assert (await example.dispatch_fetch("/api/x", headers={"x-user": "ada"})).status_code == 429
    assert (await example.dispatch_fetch("/api/x", headers={"x-user": "bob"})).status_code == 200
    example.clock.advance(61)
    assert (await example.dispatch_fetch("/api/x", headers={"x-user": "ada"})).status_code == 200


async def test_guestbook_uses_sql_and_an_alarm_trims_it(example):
    for i in range(25):
        response = await example.dispatch_fetch("/guestbook", method="POST", content=f"entry {i}")
        assert response.status_code == 201
    entries = (await example.dispatch_fetch("/guestbook")).json()
    assert len(entries) == 25 and entries[0]["message"] == "entry 24"
    example.clock.advance(60)
    await example.idle()
    entries = (await example.dispatch_fetch("/guestbook")).json()
    assert len(entries) == 20 and entries[-1]["message"] == "entry 5"


LIST_EXAMPLE = """
from urllib.parse import urlparse

from pyodide.ffi import to_js
from workers import DurableObject, Response, WorkerEntrypoint


class List(DurableObject):
    async def get_messages(self):
        messages = await self.ctx.storage.get("messages")
        return messages if messages else []

    async def add_message(self, message):
        messages = await self.get_messages()
        messages.append(message)
        await self.ctx.storage.put("messages", to_js(messages))


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        parts = urlparse(request.url).path.split("/")
        stub = self.env.LISTS.get(self.env.LISTS.idFromName(parts[1]))
        if parts[2] == "add":
            await stub.add_message(parts[3])
            return Response("Message sent")
        messages = await stub.get_messages()
        return Response("\\n".join(messages) if messages else "No messages")
"""


async def test_the_pattern_of_cloudflares_07_durable_objects_example(worker_dir):
    # The same pattern as python-workers-examples/07-durable-objects: a JSONC config with
    # new_sqlite_classes, a list kept in storage via to_js, methods called over RPC.
    config = worker_dir("""{
        // comments and trailing commas, as wrangler.jsonc allows
        "name": "python-durable-object",
        "main": "src/entry.py",
        "compatibility_date": "2025-11-02",
        "compatibility_flags": ["python_workers"],
        "durable_objects": {"bindings": [{"name": "LISTS", "class_name": "List"}]},
        "migrations": [{"tag": "v1", "new_sqlite_classes": ["List"]}],
    }""", {"src/entry.py": LIST_EXAMPLE}, config_name="wrangler.jsonc")
    async with Pyflare(config, clock="manual") as mf:
        assert (await mf.dispatch_fetch("/l1/show")).text == "No messages"
        assert (await mf.dispatch_fetch("/l1/add/hello")).text == "Message sent"
        assert (await mf.dispatch_fetch("/l1/add/world")).text == "Message sent"
        assert (await mf.dispatch_fetch("/l1/show")).text == "hello\nworld"
        assert (await mf.dispatch_fetch("/l2/show")).text == "No messages"
