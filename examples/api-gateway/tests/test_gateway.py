"""Tests of the API gateway example, written as a project using pyflare's pytest plugin would write them:
three workers in one pyflare, the gateway served, the backends reached over service bindings."""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent.parent
CONFIGS = [HERE / "gateway" / "wrangler.toml", HERE / "users" / "wrangler.toml", HERE / "orders" / "wrangler.toml"]

pytestmark = pytest.mark.pyflare(config=CONFIGS)

ALICE = {"authorization": "Bearer alice-token"}


async def test_requests_without_a_valid_token_are_refused(pyflare_client):
    assert (await pyflare_client.get("/api/users/me")).status_code == 401
    wrong = {"authorization": "Bearer nope"}
    assert (await pyflare_client.get("/api/users/me", headers=wrong)).status_code == 401


async def test_users_route_goes_to_the_users_worker_with_tracing_headers(pyflare_client):
    body = (await pyflare_client.get("/api/users/me", headers=ALICE)).json()
    assert body["name"] == "Alice Liddell"
    assert len(body["request_id"]) == 36


async def test_orders_are_created_and_listed_per_user(pyflare_client):
    created = await pyflare_client.post("/api/orders", headers=ALICE, json={"product": "1", "qty": 2})
    assert created.status_code == 201 and created.json()["id"] == 1
    listed = (await pyflare_client.get("/api/orders", headers=ALICE)).json()
    assert listed == {"user": "alice", "orders": [{"product": "1", "qty": 2, "id": 1}]}
    bob = (await pyflare_client.get("/api/orders", headers={"authorization": "Bearer bob-token"})).json()
    assert bob["orders"] == []


async def test_the_rate_limiter_answers_429_until_the_next_window(pyflare, pyflare_client):
    pyflare.clock.set((int(pyflare.clock.time()) // 10 + 1) * 10)  # the start of a 10 s window
    statuses = [(await pyflare_client.get("/api/users/me", headers=ALICE)).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    bob = {"authorization": "Bearer bob-token"}
    assert (await pyflare_client.get("/api/users/me", headers=bob)).status_code == 200  # limits are per user
    pyflare.clock.advance(seconds=10)
    assert (await pyflare_client.get("/api/users/me", headers=ALICE)).status_code == 200


async def test_products_go_through_edge_cache_then_kv_then_origin(pyflare, pyflare_client):
    catalog = pyflare.worker("orders").runtime.worker.exports["Catalog"]
    catalog.LOOKUPS.clear()

    first = await pyflare_client.get("/api/products/1", headers=ALICE)
    assert first.headers["x-cache-layer"] == "origin"
    assert first.json() == {"id": "1", "name": "Keyboard", "price": 49, "currency": "EUR"}  # props reached
    await pyflare.idle()  # the cache fills happen in waitUntil
    second = await pyflare_client.get("/api/products/1", headers=ALICE)
    assert second.headers["x-cache-layer"] == "edge" and second.headers["cf-cache-status"] == "HIT"

    pyflare.clock.advance(seconds=301)  # the edge copy expired; KV still has it
    third = await pyflare_client.get("/api/products/1", headers=ALICE)
    assert third.headers["x-cache-layer"] == "kv"
    assert catalog.LOOKUPS == ["1"]
    assert (await pyflare_client.get("/api/products/9", headers=ALICE)).status_code == 404
