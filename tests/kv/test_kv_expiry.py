"""Expiry through pyflare's clock: expired keys are never read or listed, and are deleted lazily."""

from __future__ import annotations

import math


def rows(mf):
    db = mf.storage.database("kv", "test-namespace")
    return db.one("SELECT COUNT(*) FROM kv_entries")[0]


async def test_key_with_ttl_is_readable_until_it_expires(mf, kv):
    await kv.put("k", "v", expirationTtl=60)
    mf.clock.advance(59)
    assert await kv.get("k") == "v"
    mf.clock.advance(1)
    assert await kv.get("k") is None


async def test_key_with_absolute_expiration_expires_then(mf, kv):
    when = math.floor(mf.clock.time()) + 300
    await kv.put("k", "v", expiration=when)
    mf.clock.set(when - 1)
    assert await kv.get("k") == "v"
    mf.clock.set(when)
    assert await kv.get("k") is None


async def test_expired_key_is_not_listed(mf, kv):
    await kv.put("short", "v", expirationTtl=60)
    await kv.put("long", "v", expirationTtl=3600)
    await kv.put("forever", "v")
    mf.clock.advance(minutes=2)
    assert [k["name"] for k in (await kv.list())["keys"]] == ["forever", "long"]


async def test_expired_key_is_not_in_get_with_metadata_or_bulk_get(mf, kv):
    await kv.put("k", "v", expirationTtl=60, metadata={"a": 1})
    mf.clock.advance(60)
    assert await kv.getWithMetadata("k") == {"value": None, "metadata": None, "cacheStatus": None}
    assert await kv.get(["k"]) == {"k": None}


async def test_expired_key_is_deleted_lazily_by_get(mf, kv):
    await kv.put("k", "v", expirationTtl=60)
    mf.clock.advance(61)
    assert rows(mf) == 1
    await kv.get("k")
    assert rows(mf) == 0


async def test_expired_keys_are_deleted_lazily_by_list(mf, kv):
    for i in range(3):
        await kv.put(f"k{i}", "v", expirationTtl=60)
    await kv.put("keep", "v")
    mf.clock.advance(61)
    await kv.list(prefix="nothing-matches")
    assert rows(mf) == 1


async def test_put_without_ttl_makes_a_key_permanent_again(mf, kv):
    await kv.put("k", "v", expirationTtl=60)
    await kv.put("k", "w")
    mf.clock.advance(days=1)
    assert await kv.get("k") == "w"


async def test_expiration_is_whole_seconds_from_the_clock(mf, kv):
    await kv.put("k", "v", expirationTtl=90)
    entry = (await kv.list())["keys"][0]
    assert entry["expiration"] == math.floor(mf.clock.time()) + 90
