"""The object layer under Durable Objects: one instance per id, storage files, eviction, reload, alarms."""

from __future__ import annotations

import sqlite3
import time

from pyflare import Pyflare
from pyflare.kernel.clock import Clock
from pyflare.testing import evict_durable_object, list_durable_object_ids, run_in_durable_object


async def test_one_live_instance_per_id(mf, counter):
    a = counter.getByName("a")
    assert [await a.increment() for _ in range(3)] == [1, 2, 3]
    instance = await run_in_durable_object(a, lambda obj, ctx: obj)
    assert instance.memory == 3
    assert await run_in_durable_object(counter.getByName("b"), lambda obj, ctx: obj) is not instance


async def test_storage_is_one_sqlite_file_per_object(tmp_path, config):
    state = tmp_path / "state"
    async with Pyflare(config, persist_to=state) as mf:
        stub = mf.env.COUNTER.getByName("a")
        await stub.increment(5)
        object_id = stub.id.toString()
    path = state / "do" / "do-test-Counter" / f"{object_id}.sqlite"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT key, value FROM _cf_KV").fetchall() == [("n", "5")]


async def test_reading_never_creates_storage(mf, counter):
    await counter.getByName("reader").echo(1)
    await run_in_durable_object(counter.getByName("reader2"), lambda obj, ctx: ctx.storage.get("x"))
    assert list_durable_object_ids(counter) == []
    await counter.getByName("writer").increment()
    assert list_durable_object_ids(counter) == [counter.idFromName("writer")]


async def test_idle_objects_are_evicted_after_10s_on_the_clock(mf, counter):
    stub = counter.getByName("a")
    await stub.increment()
    first = await run_in_durable_object(stub, lambda obj, ctx: obj)
    mf.clock.advance(9)
    assert await run_in_durable_object(stub, lambda obj, ctx: obj) is first
    mf.clock.advance(9.5)  # 9.5 s since the last event: still alive
    assert await run_in_durable_object(stub, lambda obj, ctx: obj) is first
    mf.clock.advance(10)
    second = await run_in_durable_object(stub, lambda obj, ctx: obj)
    assert second is not first
    assert await stub.increment() == 2  # storage intact


async def test_evict_helper_drops_the_instance_not_the_storage(mf, counter):
    stub = counter.getByName("a")
    await stub.increment()
    first = await run_in_durable_object(stub, lambda obj, ctx: obj)
    assert evict_durable_object(stub) is True
    assert await run_in_durable_object(stub, lambda obj, ctx: obj) is not first
    assert await stub.increment() == 2


async def test_code_reload_drops_instances_but_keeps_storage_and_alarms(mf, counter):
    stub = counter.getByName("a")
    await stub.increment()
    first = await run_in_durable_object(stub, lambda obj, ctx: obj)
    await run_in_durable_object(stub, lambda obj, ctx: ctx.storage.setAlarm(mf.clock.time_ms() + 60_000))
    mf.reload()
    assert await run_in_durable_object(stub, lambda obj, ctx: obj) is not first
    assert await stub.increment() == 2
    mf.clock.advance(60)
    await mf.idle()
    assert await run_in_durable_object(stub, lambda obj, ctx: ctx.storage.get("alarms")) == [[0, False]]


async def test_alarm_due_while_stopped_fires_after_restart(tmp_path, config):
    state = tmp_path / "state"
    an_hour_ago = Clock(manual=True, start=time.time() - 3600)
    async with Pyflare(config, persist_to=state, clock=an_hour_ago) as mf:
        stub = mf.env.COUNTER.getByName("a")
        await run_in_durable_object(stub, lambda obj, ctx: ctx.storage.setAlarm(mf.clock.time_ms() + 5_000))
    async with Pyflare(config, persist_to=state, clock="manual") as mf:
        await mf.idle()  # due 59 minutes ago: fires on start, without the clock moving
        stub = mf.env.COUNTER.getByName("a")
        assert await run_in_durable_object(stub, lambda obj, ctx: ctx.storage.get("alarms")) == [[0, False]]
        assert await run_in_durable_object(stub, lambda obj, ctx: ctx.storage.getAlarm()) is None


async def test_many_alarmed_objects_do_not_hold_a_connection_each(tmp_path):
    """Sleeping workflow instances and objects with alarms are many; their files stay closed until used."""
    import os

    from pyflare.objects import ObjectAddress, ObjectLayer
    from pyflare.storage import Storage

    storage = Storage(tmp_path / "state")
    layer = ObjectLayer(storage, Clock(manual=True), lambda awaitable, what: None)
    cap = layer.max_open_files
    before = len(os.listdir("/proc/self/fd"))
    far = int(time.time() * 1000) + 3_600_000
    addresses = [ObjectAddress("w", "Sleeper", f"{i:064x}") for i in range(3 * cap)]
    for index, address in enumerate(addresses):
        layer.storage(address).put("n", index)
        layer.set_alarm(address, far)
    opened = len(os.listdir("/proc/self/fd")) - before
    # Each open object is three descriptors (file, WAL, shared memory); not three for each of them.
    assert opened <= 3 * cap + 16, opened
    assert layer.open_files() == cap
    # A closed store reopens its file on use: nothing stored is lost.
    assert [layer.storage(a).get("n") for a in addresses] == list(range(len(addresses)))
    assert all(layer.get_alarm(a) == far for a in addresses)
    layer.close()
    storage.close()
