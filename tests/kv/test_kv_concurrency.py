"""Many operations at once on one namespace."""

from __future__ import annotations

import asyncio


async def test_many_concurrent_puts_are_all_listed(kv):
    keys = [f"k{i:04d}" for i in range(300)]
    await asyncio.gather(*(kv.put(key, key.upper()) for key in reversed(keys)))
    listed = (await kv.list())["keys"]
    assert [k["name"] for k in listed] == keys
    assert await kv.get(["k0000", "k0299"]) == {"k0000": "K0000", "k0299": "K0299"}


async def test_concurrent_writes_to_one_key_leave_one_of_the_values(kv):
    values = [str(i) for i in range(50)]
    await asyncio.gather(*(kv.put("same", v) for v in values))
    assert await kv.get("same") in values
    assert len((await kv.list())["keys"]) == 1


async def test_concurrent_streamed_puts_and_reads(kv):
    async def stream(i):
        for _ in range(3):
            await asyncio.sleep(0)
            yield f"{i}-".encode()

    await asyncio.gather(
        *(kv.put(f"s{i}", stream(i)) for i in range(20)), *(kv.get(f"s{i}") for i in range(20))
    )
    assert [await kv.get(f"s{i}") for i in range(20)] == [f"{i}-{i}-{i}-" for i in range(20)]
