"""The explorer's JSON API: Cloudflare's REST paths and envelopes over the running bindings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pyflare import Pyflare
from pyflare.testing import dead_letters, drain

API = "/cdn-cgi/local/explorer/api"

CONFIG = """
name = "shop"
main = "src/entry.py"
compatibility_date = "2026-01-01"

[[kv_namespaces]]
binding = "CACHE"
id = "cache-ns"

[[r2_buckets]]
binding = "FILES"
bucket_name = "files"

[[d1_databases]]
binding = "DB"
database_name = "shop-db"
database_id = "1111"

[[queues.producers]]
binding = "JOBS"
queue = "jobs"

[[queues.consumers]]
queue = "jobs"
max_retries = 0
dead_letter_queue = "jobs-dlq"
"""

ENTRY = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("shop")

    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            if message.body.get("fail"):
                raise RuntimeError("boom")
            await self.env.CACHE.put("done-" + str(message.body["n"]), "yes")
"""


@pytest.fixture
async def mf(start_worker: Callable[..., Any]) -> Pyflare:
    return await start_worker(CONFIG, {"src/entry.py": ENTRY}, clock="manual")


async def api(mf: Pyflare, method: str, path: str, **kwargs: Any) -> Any:
    response = await mf.dispatch_fetch(API + path, method=method, **kwargs)
    body = response.json()
    assert body["success"] is (response.status_code < 400), body
    return body


async def test_workers_lists_every_binding(mf: Pyflare) -> None:
    [worker] = (await api(mf, "GET", "/local/workers"))["result"]
    assert worker["name"] == "shop"
    kinds = {(b["name"], b["type"]) for b in worker["bindings"]}
    assert kinds == {("CACHE", "kv_namespace"), ("FILES", "r2_bucket"), ("DB", "d1"), ("JOBS", "queue")}
    assert worker["queue_consumers"] == ["jobs"]


async def test_kv_keys_values_metadata_edit_and_delete(mf: Pyflare) -> None:
    await mf.env.CACHE.put("user:1", "ada", metadata={"role": "admin"}, expirationTtl=3600)
    [namespace] = (await api(mf, "GET", "/storage/kv/namespaces"))["result"]
    assert namespace["id"] == "cache-ns" and namespace["bindings"] == ["shop.CACHE"]
    keys = (await api(mf, "GET", "/storage/kv/namespaces/cache-ns/keys?prefix=user:"))["result"]
    assert keys[0]["name"] == "user:1" and keys[0]["metadata"] == {"role": "admin"}
    assert keys[0]["expiration"] == int(mf.clock.time()) + 3600
    value = await mf.dispatch_fetch(API + "/storage/kv/namespaces/cache-ns/values/user:1")
    assert value.content == b"ada"
    meta = await api(mf, "GET", "/storage/kv/namespaces/cache-ns/metadata/user:1")
    assert meta["result"] == {"role": "admin"}
    await api(mf, "PUT", '/storage/kv/namespaces/cache-ns/values/user:2?metadata={"role":"dev"}', content=b"bo")
    assert await mf.env.CACHE.get("user:2") == "bo"
    await api(mf, "DELETE", "/storage/kv/namespaces/cache-ns/values/user:1")
    assert await mf.env.CACHE.get("user:1") is None


async def test_kv_input_errors_are_cloudflares(mf: Pyflare) -> None:
    short = await api(mf, "PUT", "/storage/kv/namespaces/cache-ns/values/k?expiration_ttl=10", content=b"x")
    assert "Expiration TTL must be at least 60" in short["errors"][0]["message"]
    missing = await api(mf, "GET", "/storage/kv/namespaces/nope/keys")
    assert missing["errors"][0]["code"] == 10013


async def test_r2_browse_upload_download_delete(mf: Pyflare) -> None:
    await api(mf, "PUT", "/r2/buckets/files/objects/docs/a.txt", content=b"hello",
              headers={"content-type": "text/plain"})
    await mf.env.FILES.put("docs/deep/b.txt", "b")
    await mf.env.FILES.put("top.txt", "t")
    listed = await api(mf, "GET", "/r2/buckets/files/objects?delimiter=/")
    assert [o["key"] for o in listed["result"]] == ["top.txt"]
    assert listed["result_info"]["delimited"] == ["docs/"]
    inside = await api(mf, "GET", "/r2/buckets/files/objects?prefix=docs/&delimiter=/")
    assert [o["key"] for o in inside["result"]] == ["docs/a.txt"]
    assert inside["result"][0]["http_metadata"] == {"contentType": "text/plain"}
    download = await mf.dispatch_fetch(API + "/r2/buckets/files/objects/docs/a.txt")
    assert download.content == b"hello" and download.headers["content-type"].startswith("text/plain")
    await api(mf, "DELETE", "/r2/buckets/files/objects/docs/a.txt")
    assert await mf.env.FILES.head("docs/a.txt") is None
    buckets = (await api(mf, "GET", "/r2/buckets"))["result"]["buckets"]
    assert [b["name"] for b in buckets] == ["files"]


async def test_d1_tables_and_sql_console(mf: Pyflare) -> None:
    await mf.env.DB.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
    await api(mf, "POST", "/d1/database/shop-db/query",
              json={"sql": "INSERT INTO items (name) VALUES (?)", "params": ["pen"]})
    described = (await api(mf, "GET", "/d1/database/shop-db"))["result"]
    assert described["tables"] == [{"name": "items", "columns": ["id", "name"], "rows": 1}]
    queried = await api(mf, "POST", "/d1/database/shop-db/query", json={"sql": "SELECT * FROM items"})
    assert queried["result"][0]["results"] == [{"id": 1, "name": "pen"}]
    raw = await api(mf, "POST", "/d1/database/shop-db/raw", json={"sql": "SELECT name FROM items"})
    assert raw["result"][0]["results"] == {"columns": ["name"], "rows": [["pen"]]}
    bad = await api(mf, "POST", "/d1/database/shop-db/query", json={"sql": "SELECT * FROM nope"})
    assert "no such table: nope" in bad["errors"][0]["message"]
    listed = (await api(mf, "GET", "/d1/database"))["result"]
    assert [d["name"] for d in listed] == ["shop-db"]


async def test_queues_pending_dead_letters_and_redrive(mf: Pyflare) -> None:
    await mf.env.JOBS.send({"n": 1, "fail": True})
    await drain(mf)
    [dead] = dead_letters(mf, "jobs-dlq")
    queues = {q["queue_name"]: q for q in (await api(mf, "GET", "/queues"))["result"]}
    assert queues["jobs-dlq"]["dead_letter_queue_of"] == ["jobs"] and queues["jobs-dlq"]["messages"] == 1
    listed = (await api(mf, "GET", "/queues/jobs-dlq/messages"))["result"]
    assert [m["id"] for m in listed] == [dead["id"]] and listed[0]["body"] == {"n": 1, "fail": True}
    redriven = await api(mf, "POST", f"/queues/jobs-dlq/messages/{dead['id']}/redrive")
    assert redriven["result"] == {"queue": "jobs"}
    assert dead_letters(mf, "jobs-dlq") == []
    # Sent back, the message is delivered again (and fails again, back to the DLQ with the same id).
    await drain(mf)
    assert [m["id"] for m in dead_letters(mf, "jobs-dlq")] == [dead["id"]]


async def test_queue_send_and_delete_a_pending_message(mf: Pyflare) -> None:
    await api(mf, "POST", "/queues/jobs/messages", json={"body": {"n": 7}})
    await drain(mf)
    assert await mf.env.CACHE.get("done-7") == "yes"
    await mf.env.JOBS.send({"n": 8}, delaySeconds=600)
    [pending] = (await api(mf, "GET", "/queues/jobs/messages"))["result"]
    assert pending["body"] == {"n": 8} and pending["in_flight"] is False  # delayed, not delivered
    await api(mf, "DELETE", f"/queues/jobs/messages/{pending['id']}")
    assert (await api(mf, "GET", "/queues/jobs/messages"))["result"] == []


async def test_activity_shows_requests(mf: Pyflare) -> None:
    await mf.dispatch_fetch("/hello")
    entries = (await api(mf, "GET", "/local/activity"))["result"]
    requests = [e for e in entries if e["kind"] == "request"]
    assert requests[-1]["path"] == "/hello" and requests[-1]["status"] == 200 and requests[-1]["worker"] == "shop"
    later = (await api(mf, "GET", f"/local/activity?after={entries[-1]['seq']}"))["result"]
    assert later == []


async def test_the_page_is_served_and_works_offline(mf: Pyflare) -> None:
    page = await mf.dispatch_fetch("/cdn-cgi/local/explorer/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "http://" not in page.text.replace("http://localhost", "") and "https://" not in page.text


async def test_explorer_can_be_turned_off(worker_dir: Callable[..., Any]) -> None:
    async with Pyflare(worker_dir(CONFIG, {"src/entry.py": ENTRY}), explorer=False) as mf:
        assert (await mf.dispatch_fetch(API + "/local/workers")).status_code == 404


@pytest.mark.parametrize("headers", [{"host": "evil.example"}, {"origin": "http://evil.example"},
                                     {"sec-fetch-site": "cross-site"}])
async def test_foreign_pages_cannot_use_the_explorer(mf: Pyflare, headers: dict[str, str]) -> None:
    """DNS rebinding (a foreign Host) and cross-site requests get 403 and change nothing."""
    refused = await mf.dispatch_fetch(API + "/storage/kv/namespaces/cache-ns/values/k", method="PUT",
                                      content=b"x", headers=headers)
    assert refused.status_code == 403
    assert await mf.env.CACHE.get("k") is None
