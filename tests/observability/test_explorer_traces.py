"""The explorer's Traces view reads traces through its API (Cloudflare's envelope)."""

from __future__ import annotations

from tests.observability.shop import SHOP_CONFIG, SHOP_ENTRY

API = "/cdn-cgi/local/explorer/api/local"


async def test_the_explorer_lists_filters_and_opens_traces(start_worker):
    mf = await start_worker(SHOP_CONFIG, {"src/entry.py": SHOP_ENTRY}, clock="manual")
    await mf.dispatch_fetch("/order")
    await mf.dispatch_fetch("/boom")
    listing = (await mf.dispatch_fetch(f"{API}/traces?trigger=fetch")).json()
    assert listing["success"] and [t["name"] for t in listing["result"]] == ["GET /boom", "GET /order"]
    failed = (await mf.dispatch_fetch(f"{API}/traces?outcome=error")).json()["result"]
    assert [t["name"] for t in failed] == ["GET /boom"]
    found = (await mf.dispatch_fetch(f"{API}/traces?search=catalog")).json()["result"]
    assert [t["name"] for t in found] == ["GET /order"] and found[0]["span_count"] == 10
    trace = (await mf.dispatch_fetch(f"{API}/traces/{found[0]['trace_id']}")).json()["result"]
    assert trace["spans"][0]["name"] == "GET /order" and trace["spans"][0]["parent_id"] is None
    assert {s["kind"] for s in trace["spans"]} >= {"kv", "d1", "do", "do_storage", "queue"}
    assert trace["logs"][0]["message"] == 'catalog miss {"item": "book"}'
    missing = await mf.dispatch_fetch(f"{API}/traces/{'0' * 32}")
    assert missing.status_code == 404
    query = await mf.dispatch_fetch(f"{API}/observability/query", method="POST",
                                    json={"sql": "SELECT COUNT(*) AS n FROM spans WHERE kind = ?", "params": ["kv"]})
    assert query.json()["result"] == {"columns": ["n"], "rows": [[2]]}
    refused = await mf.dispatch_fetch(f"{API}/observability/query", method="POST", json={"sql": "DELETE FROM spans"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == 10131
    assert (await mf.dispatch_fetch(f"{API}/observability/clear", method="POST")).status_code == 200
    assert (await mf.dispatch_fetch(f"{API}/traces")).json()["result"] == []


async def test_the_explorer_says_when_traces_are_off(start_worker):
    mf = await start_worker(SHOP_CONFIG, {"src/entry.py": SHOP_ENTRY}, clock="manual", traces=False)
    answer = await mf.dispatch_fetch(f"{API}/traces")
    assert answer.status_code == 404 and answer.json()["errors"][0]["code"] == 10130
