"""Simulated propagation delay: off by default; when on, writes are seen only N seconds later."""

from __future__ import annotations

import pytest


@pytest.fixture
async def slow(start_worker, kv_worker):
    """A worker whose KV writes become visible 10 s (on the clock) after they are made."""
    config, files = kv_worker
    return await start_worker(config, files, clock="manual", kv_propagation_delay=10)


def rows(mf):
    return mf.storage.database("kv", "test-namespace").one("SELECT COUNT(*) FROM kv_entries")[0]


async def test_writes_are_visible_at_once_by_default(kv):
    await kv.put("k", "v")
    assert await kv.get("k") == "v"
    assert [k["name"] for k in (await kv.list())["keys"]] == ["k"]


async def test_a_put_becomes_visible_after_the_delay(slow):
    kv = slow.env.KV
    await kv.put("k", "v")
    assert await kv.get("k") is None
    slow.clock.advance(9.9)
    assert await kv.get("k") is None
    slow.clock.advance(0.1)
    assert await kv.get("k") == "v"


async def test_reads_see_the_previous_value_until_the_delay_passes(slow):
    kv = slow.env.KV
    await kv.put("k", "old", metadata={"v": 1})
    slow.clock.advance(10)
    await kv.put("k", "new", metadata={"v": 2})
    slow.clock.advance(5)
    assert await kv.getWithMetadata("k") == {"value": "old", "metadata": {"v": 1}, "cacheStatus": None}
    slow.clock.advance(5)
    assert await kv.getWithMetadata("k") == {"value": "new", "metadata": {"v": 2}, "cacheStatus": None}


async def test_a_delete_is_seen_after_the_delay(slow):
    kv = slow.env.KV
    await kv.put("k", "v")
    slow.clock.advance(10)
    await kv.delete("k")
    assert await kv.get("k") == "v"
    slow.clock.advance(10)
    assert await kv.get("k") is None


async def test_list_follows_the_delay(slow):
    kv = slow.env.KV
    await kv.put("a", "v")
    slow.clock.advance(10)
    await kv.put("b", "v")
    await kv.delete("a")
    assert [k["name"] for k in (await kv.list())["keys"]] == ["a"]
    slow.clock.advance(10)
    assert [k["name"] for k in (await kv.list())["keys"]] == ["b"]


async def test_the_last_of_several_pending_writes_wins(slow):
    kv = slow.env.KV
    for i in range(3):
        await kv.put("k", str(i))
        slow.clock.advance(1)
    slow.clock.advance(7)
    assert await kv.get("k") == "0"
    slow.clock.advance(2)
    assert await kv.get("k") == "2"


async def test_two_writes_at_the_same_instant_keep_the_later(slow):
    kv = slow.env.KV
    await kv.put("k", "first")
    await kv.put("k", "second")
    slow.clock.advance(10)
    assert await kv.get("k") == "second"


async def test_superseded_versions_are_cleaned_up(slow):
    kv = slow.env.KV
    for i in range(5):
        await kv.put("k", str(i))
        slow.clock.advance(20)
    await kv.put("k", "last")
    assert rows(slow) == 2  # the visible version and the pending one
    await kv.delete("other")
    slow.clock.advance(20)
    await kv.delete("k")
    slow.clock.advance(20)
    await kv.put("k2", "x")
    await kv.put("k", "again")
    slow.clock.advance(20)
    assert await kv.get("k") == "again"
    assert rows(slow) <= 3


async def test_expiry_of_the_visible_version_does_not_revive_an_older_one(slow):
    kv = slow.env.KV
    await kv.put("k", "old")
    slow.clock.advance(10)
    await kv.put("k", "new", expirationTtl=60)
    slow.clock.advance(10)
    assert await kv.get("k") == "new"
    slow.clock.advance(60)
    assert [k["name"] for k in (await kv.list())["keys"]] == []
    assert await kv.get("k") is None


async def test_delay_from_the_config_file(start_worker, kv_worker):
    config, files = kv_worker
    mf = await start_worker(config + "\n[pyflare]\nkv_propagation_delay = 30\n", files, clock="manual")
    await mf.env.KV.put("k", "v")
    mf.clock.advance(29)
    assert await mf.env.KV.get("k") is None
    mf.clock.advance(1)
    assert await mf.env.KV.get("k") == "v"
