"""Alarms: set/get/delete, firing on the clock, retries with backoff, the testing helper."""

from __future__ import annotations

import datetime as dt

import pytest

from pyflare.testing import run_durable_object_alarm, run_in_durable_object


def storage_call(stub, fn):
    return run_in_durable_object(stub, lambda obj, ctx: fn(ctx.storage))


async def alarm_log(stub):
    return await storage_call(stub, lambda s: s.get("alarms"))


async def test_set_get_delete_alarm(mf, counter):
    stub = counter.getByName("a")
    when = mf.clock.time_ms() + 30_000
    await storage_call(stub, lambda s: s.setAlarm(when))
    assert await storage_call(stub, lambda s: s.getAlarm()) == when
    await storage_call(stub, lambda s: s.deleteAlarm())
    assert await storage_call(stub, lambda s: s.getAlarm()) is None
    mf.clock.advance(60)
    await mf.idle()
    assert await alarm_log(stub) is None


async def test_alarm_fires_when_the_clock_reaches_it(mf, counter):
    stub = counter.getByName("a")
    await storage_call(stub, lambda s: s.setAlarm(mf.clock.time_ms() + 10_000))
    mf.clock.advance(9.9)
    await mf.idle()
    assert await alarm_log(stub) is None
    mf.clock.advance(0.1)
    await mf.idle()
    assert await alarm_log(stub) == [[0, False]]
    assert await storage_call(stub, lambda s: s.getAlarm()) is None


async def test_set_alarm_takes_a_datetime_and_clamps_the_past_to_now(mf, counter):
    stub = counter.getByName("a")
    soon = dt.datetime.fromtimestamp(mf.clock.time() + 5, dt.timezone.utc)
    await storage_call(stub, lambda s: s.setAlarm(soon))
    assert await storage_call(stub, lambda s: s.getAlarm()) == int(soon.timestamp() * 1000)
    await storage_call(stub, lambda s: s.setAlarm(1000))  # 1970: due at once
    await mf.idle()
    assert await alarm_log(stub) == [[0, False]]


async def test_set_alarm_errors(mf, counter):
    stub = counter.getByName("a")
    with pytest.raises(TypeError, match=r"^setAlarm\(\) cannot be called with an alarm time <= 0$"):
        await storage_call(stub, lambda s: s.setAlarm(0))
    legacy = mf.env.LEGACY.getByName("a")
    with pytest.raises(TypeError, match=r"^Your Durable Object class must have an alarm\(\) handler in order to "
                                        r"call setAlarm\(\)$"):
        await storage_call(legacy, lambda s: s.setAlarm(mf.clock.time_ms() + 1000))


async def test_a_failing_alarm_is_retried_6_times_with_doubling_backoff(mf, counter):
    stub = counter.getByName("a")
    await storage_call(stub, lambda s: s.put("fail_alarm", True))
    await storage_call(stub, lambda s: s.setAlarm(mf.clock.time_ms() + 1000))
    mf.clock.advance(1)
    await mf.idle()
    assert await alarm_log(stub) == [[0, False]]
    for retry, delay in enumerate([2, 4, 8, 16, 32, 64], start=1):
        mf.clock.advance(delay - 0.01)
        await mf.idle()
        assert len(await alarm_log(stub)) == retry, f"retry {retry} ran early"
        mf.clock.advance(0.01)
        await mf.idle()
        assert (await alarm_log(stub))[-1] == [retry, True]
    mf.clock.advance(3600)
    await mf.idle()
    assert len(await alarm_log(stub)) == 7  # given up after 6 retries
    assert await storage_call(stub, lambda s: s.getAlarm()) is None


async def test_a_retried_alarm_that_succeeds_stops(mf, counter):
    stub = counter.getByName("a")
    await storage_call(stub, lambda s: s.put("fail_alarm", True))
    await storage_call(stub, lambda s: s.setAlarm(mf.clock.time_ms()))
    await mf.idle()
    await storage_call(stub, lambda s: s.delete("fail_alarm"))
    mf.clock.advance(2)
    await mf.idle()
    mf.clock.advance(600)
    await mf.idle()
    assert await alarm_log(stub) == [[0, False], [1, True]]


async def test_an_alarm_can_set_the_next_one(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import DurableObject, WorkerEntrypoint, Response
        class Ticker(DurableObject):
            async def start(self):
                await self.ctx.storage.setAlarm(1)
            async def alarm(self, info):
                n = (await self.ctx.storage.get("n") or 0) + 1
                await self.ctx.storage.put("n", n)
                if n < 3:
                    # getAlarm() is None while this alarm runs
                    assert await self.ctx.storage.getAlarm() is None
                    await self.ctx.storage.setAlarm(Date.now() + 1000)
        from js import Date
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response("ok")
    """}, clock="manual")
    stub = mf.env.TICKER.getByName("t")
    await stub.start()
    await mf.idle()
    for _ in range(3):
        mf.clock.advance(1)
        await mf.idle()
    assert await run_in_durable_object(stub, lambda obj, ctx: ctx.storage.get("n")) == 3
    assert await run_in_durable_object(stub, lambda obj, ctx: ctx.storage.getAlarm()) is None


CONFIG = """
name = "ticker"
main = "src/entry.py"
compatibility_date = "2025-11-02"
[[durable_objects.bindings]]
name = "TICKER"
class_name = "Ticker"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Ticker"]
"""


async def test_run_durable_object_alarm_runs_a_scheduled_alarm_now(mf, counter):
    stub = counter.getByName("a")
    assert await run_durable_object_alarm(stub) is False
    await storage_call(stub, lambda s: s.setAlarm(mf.clock.time_ms() + 3_600_000))
    assert await run_durable_object_alarm(stub) is True
    assert await alarm_log(stub) == [[0, False]]
    assert await run_durable_object_alarm(stub) is False
