from urllib.parse import quote

import pytest
from helpers import call

from pyflare.testing import list_durable_object_ids, run_in_durable_object

NAMES = ["visits", "likes", "a/b", "ünïcode", "x"]


@pytest.mark.parametrize("name", NAMES)
async def test_counts_requests(pyflare, name):
    for expected in [1, 2, 3]:
        response = await call(pyflare, f"/counter/{quote(name, safe='')}", "POST")
        assert response.json() == {"name": name, "count": expected}
    response = await call(pyflare, f"/counter/{quote(name, safe='')}")
    assert response.json() == {"name": name, "count": 3}


@pytest.mark.parametrize("by", [1, 2, 5, 10, 100])
async def test_adds_over_rpc(pyflare, by):
    stub = pyflare.env.COUNTER.getByName("rpc")
    assert await stub.increment(by) == by
    assert await stub.increment(by) == 2 * by
    assert await stub.value() == 2 * by


@pytest.mark.parametrize("times", [1, 2, 3, 4, 5])
async def test_keeps_the_count_in_storage(pyflare, times):
    stub = pyflare.env.COUNTER.getByName("stored")
    for _ in range(times):
        await stub.increment()
    stored = await run_in_durable_object(stub, lambda instance, state: state.storage.get("count"))
    assert stored == times
    # (under vitest's pool, reset() empties objects but they stay listed, so this cannot ask for exactly one)
    ids = list_durable_object_ids(pyflare.env.COUNTER)
    assert str(stub.id) in [str(i) for i in ids]


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
async def test_keeps_counters_apart(pyflare, k):
    a = pyflare.env.COUNTER.getByName("a")
    b = pyflare.env.COUNTER.getByName("b")
    for _ in range(k):
        await a.increment()
    await b.increment()
    assert await a.value() == k
    assert await b.value() == 1
    assert await b.reset() == 0
    assert await b.value() == 0
    assert await a.value() == k
