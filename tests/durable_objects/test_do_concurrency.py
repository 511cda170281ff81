"""Input gates, blockConcurrencyWhile, and concurrent calls to one object."""

from __future__ import annotations

import asyncio

import pytest

from pyflare.bindings.durable_objects.errors import BlockConcurrencyError

CONFIG = """
name = "gates"
main = "src/entry.py"
compatibility_date = "2025-11-02"
[[durable_objects.bindings]]
name = "OBJ"
class_name = "Obj"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Obj"]
"""

ENTRY = """
import asyncio
from workers import DurableObject, WorkerEntrypoint, Response

RELEASE = asyncio.Event()


class Obj(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.events = []
        self.loaded = None
        # Not awaited: the first event still waits for it (as in Cloudflare's examples).
        ctx.blockConcurrencyWhile(self.load)

    async def load(self):
        await asyncio.sleep(0)
        self.loaded = await self.ctx.storage.get("value") or "default"

    async def read_loaded(self):
        return self.loaded

    async def increment(self):
        n = (await self.ctx.storage.get("n") or 0) + 1
        await self.ctx.storage.put("n", n)
        return n

    async def slow_increment(self):
        # read, wait on something that is not storage (the gate opens), write
        n = await self.ctx.storage.get("n") or 0
        await asyncio.sleep(0)
        await self.ctx.storage.put("n", n + 1)
        return n + 1

    async def blocked(self, tag):
        async def critical():
            self.events.append(f"start {tag}")
            await RELEASE.wait()
            self.events.append(f"end {tag}")
            return tag
        return await self.ctx.blockConcurrencyWhile(critical)

    async def note(self, tag):
        self.events.append(tag)

    def log(self):
        return self.events

    async def nest(self, depth):
        async def level(n):
            if n == 0:
                return "bottom"
            return await self.ctx.blockConcurrencyWhile(lambda: level(n - 1))
        return await level(depth)

    async def block_forever(self):
        return await self.ctx.blockConcurrencyWhile(lambda: asyncio.Event().wait())

    async def block_and_fail(self):
        async def fail():
            raise ValueError("broken")
        return await self.ctx.blockConcurrencyWhile(fail)

    def identity(self):
        return id(self)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""


@pytest.fixture
async def mf(start_worker):
    return await start_worker(CONFIG, {"src/entry.py": ENTRY}, clock="manual")


@pytest.fixture
def stub(mf):
    return mf.env.OBJ.getByName("g")


async def test_concurrent_increments_never_lose_an_update(stub):
    results = await asyncio.gather(*(stub.increment() for _ in range(50)))
    assert sorted(results) == list(range(1, 51))


async def test_block_concurrency_in_the_constructor_runs_before_the_first_event(stub):
    assert await stub.read_loaded() == "default"


async def test_block_concurrency_holds_back_other_events(mf, stub):
    module_release = mf.runtime.worker.module.RELEASE
    blocked = asyncio.ensure_future(stub.blocked("A"))
    for _ in range(5):
        await asyncio.sleep(0)
    noted = asyncio.ensure_future(stub.note("other event"))
    for _ in range(5):
        await asyncio.sleep(0)
    module_release.set()
    assert await blocked == "A"
    await noted
    assert await stub.log() == ["start A", "end A", "other event"]


async def test_nested_block_concurrency_is_limited_to_64(stub):
    assert await stub.nest(63) == "bottom"
    with pytest.raises(BlockConcurrencyError, match=r"^blockConcurrencyWhile\(\) calls are nested too deeply.$"):
        await stub.nest(65)


async def test_block_concurrency_over_30s_resets_the_object(mf, stub):
    first = await stub.identity()
    call = asyncio.ensure_future(stub.block_forever())
    for _ in range(5):
        await asyncio.sleep(0)
    mf.clock.advance(30)
    with pytest.raises(BlockConcurrencyError, match=r"^A call to blockConcurrencyWhile\(\) in a Durable Object waited "
                                                    r"for too long. The call was canceled and the Durable Object was "
                                                    r"reset.$"):
        await call
    assert await stub.identity() != first


async def test_a_failing_block_concurrency_callback_resets_the_object(stub):
    first = await stub.identity()
    with pytest.raises(ValueError, match="broken"):
        await stub.block_and_fail()
    assert await stub.identity() != first


async def test_many_objects_in_parallel(mf):
    stubs = [mf.env.OBJ.getByName(f"o{i}") for i in range(20)]
    assert await asyncio.gather(*(s.increment() for s in stubs)) == [1] * 20
