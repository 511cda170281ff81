"""``await mf.idle()`` waits for workflow runs: a new instance, and a retry or sleep woken by the clock; it does
not wait for an instance that sleeps or waits for an event (only the clock or an event moves that on)."""

from __future__ import annotations

FLOW = """
import asyncio
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("work")
        async def work():
            await asyncio.sleep(0.02)   # real I/O-like time inside a step: idle() must wait for it
            return event["payload"].get("n", 1) * 2
        value = await work()
        if event["payload"].get("nap"):
            await step.sleep("nap", "1 hour")
        return value
"""


async def test_idle_waits_for_a_new_instance_to_complete(start_flow):
    mf = await start_flow(FLOW)
    instance = await mf.env.FLOW.create({"id": "one", "params": {"n": 21}})
    await mf.idle()
    assert await instance.status() == {"status": "complete", "output": 42}


async def test_idle_returns_while_an_instance_sleeps_and_waits_for_it_after_the_clock_moves(start_flow):
    mf = await start_flow(FLOW)
    instance = await mf.env.FLOW.create({"id": "nap", "params": {"n": 1, "nap": True}})
    await mf.idle()
    assert (await instance.status())["status"] == "waiting"
    mf.clock.advance(hours=1)
    await mf.idle()
    assert await instance.status() == {"status": "complete", "output": 2}


RETRY = """
from workers import WorkflowEntrypoint

ATTEMPTS = []

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("flaky", config={"retries": {"limit": 3, "delay": "10 seconds", "backoff": "constant"}})
        async def flaky():
            ATTEMPTS.append(1)
            if len(ATTEMPTS) < 3:
                raise ValueError("not yet")
            return len(ATTEMPTS)
        return await flaky()
"""


async def test_idle_waits_for_a_retry_woken_by_clock_advance(start_flow):
    mf = await start_flow(RETRY)
    instance = await mf.env.FLOW.create({"id": "retry"})
    await mf.idle()
    assert (await instance.status())["status"] == "waiting"  # the first attempt failed; the retry is due in 10 s
    mf.clock.advance(seconds=10)
    await mf.idle()
    assert (await instance.status())["status"] == "waiting"  # the second attempt failed too
    mf.clock.advance(seconds=10)
    await mf.idle()
    assert await instance.status() == {"status": "complete", "output": 3}


EVENT = """
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        got = await step.wait_for_event("approval", "approved", timeout="1 day")
        @step.do("after")
        async def after():
            return got["payload"]["by"]
        return await after()
"""


async def test_idle_waits_for_the_run_an_event_wakes(start_flow):
    mf = await start_flow(EVENT)
    instance = await mf.env.FLOW.create({"id": "ev"})
    await mf.idle()
    assert (await instance.status())["status"] == "waiting"
    await instance.sendEvent(type="approved", payload={"by": "ada"})
    await mf.idle()
    assert await instance.status() == {"status": "complete", "output": "ada"}


async def test_closing_with_a_sleeping_instance_does_not_wait_for_it(start_flow):
    import time

    mf = await start_flow(FLOW)
    await mf.env.FLOW.create({"id": "nap", "params": {"nap": True}})
    await mf.idle()
    started = time.monotonic()
    await mf.close()
    assert time.monotonic() - started < 5
