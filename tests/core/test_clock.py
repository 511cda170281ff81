"""The one clock: reading, advancing, timers."""

from __future__ import annotations

import asyncio

import pytest

from pyflare import Clock


def test_manual_clock_stands_still_until_advanced():
    clock = Clock(manual=True, start=1000.0)
    assert clock.time() == 1000.0
    clock.advance(seconds=30, minutes=1)
    assert clock.time() == 1090.0 and clock.time_ms() == 1_090_000


def test_clock_never_moves_backwards():
    with pytest.raises(ValueError):
        Clock(manual=True).advance(-1)


async def test_sleep_wakes_when_advanced_past_its_deadline():
    clock = Clock(manual=True, start=0.0)
    task = asyncio.ensure_future(clock.sleep(60))
    await asyncio.sleep(0)
    clock.advance(59)
    await asyncio.sleep(0)
    assert not task.done()
    clock.advance(1)
    await asyncio.sleep(0)
    assert task.done()


async def test_timers_fire_in_order_once():
    clock = Clock(manual=True, start=0.0)
    fired: list[str] = []
    clock.call_at(20, lambda: fired.append("b"))
    clock.call_at(10, lambda: fired.append("a"))
    cancelled = clock.call_at(15, lambda: fired.append("x"))
    cancelled.cancel()
    clock.advance(100)
    clock.advance(100)
    assert fired == ["a", "b"]


async def test_real_clock_timer_fires_in_real_time_too():
    clock = Clock()
    await asyncio.wait_for(clock.sleep(0.01), timeout=2)


async def test_advancing_a_real_clock_wakes_long_sleeps_at_once():
    clock = Clock()
    task = asyncio.ensure_future(clock.sleep(3600))
    await asyncio.sleep(0)
    clock.advance(hours=1)
    await asyncio.wait_for(task, timeout=1)
