"""step.sleep, step.sleep_until and step.wait_for_event, by pyflare's clock; pause and resume around them."""

from __future__ import annotations

import datetime as dt

import pytest
from workflow_helpers import settle, status_of

SLEEPER = """
import datetime
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        mode = event.payload.get("mode", "sleep")
        if mode == "sleep":
            await step.sleep("nap", event.payload.get("duration", "1 hour"))
        elif mode == "until":
            await step.sleep_until("nap", datetime.datetime.fromtimestamp(event.payload["at"], datetime.timezone.utc))
        elif mode == "until-ms":
            await step.sleep_until("nap", event.payload["at"] * 1000)
        elif mode == "event":
            received = await step.wait_for_event("approval", "approved", timeout=event.payload.get("timeout", "1 hour"))
            return {"payload": received["payload"], "type": received.type,
                    "timestamp": received.timestamp.timestamp()}
        elif mode == "event-caught":
            try:
                await step.wait_for_event("approval", "approved", timeout="10 minutes")
            except Exception as exc:
                return {"caught": type(exc).__name__, "message": str(exc)}
        return "woke"
"""


async def test_sleep_waits_for_the_clock(start_flow):
    mf = await start_flow(SLEEPER)
    instance = await mf.env.FLOW.create({"id": "s"})
    await settle()
    assert (await instance.status())["status"] == "waiting"
    mf.clock.advance(minutes=59)
    await settle()
    assert (await instance.status())["status"] == "waiting"
    mf.clock.advance(minutes=1)
    assert (await status_of(mf, "s", "complete"))["output"] == "woke"


@pytest.mark.parametrize(("duration", "seconds"), [(1500, 1.5), ("10 seconds", 10), ("2 days", 172800),
                                                    ("1 week", 604800)])
async def test_sleep_durations(start_flow, duration, seconds):
    mf = await start_flow(SLEEPER)
    await mf.env.FLOW.create({"id": "d", "params": {"duration": duration}})
    await settle()
    mf.clock.advance(seconds=seconds - 0.001)
    await settle()
    assert (await (await mf.env.FLOW.get("d")).status())["status"] == "waiting"
    mf.clock.advance(seconds=0.001)
    await status_of(mf, "d", "complete")


async def test_sleep_longer_than_a_year_is_refused(start_flow):
    mf = await start_flow(SLEEPER)
    await mf.env.FLOW.create({"id": "y", "params": {"duration": "366 days"}})
    assert (await status_of(mf, "y", "errored"))["error"]["name"] == "WorkflowFatalError"


@pytest.mark.parametrize("mode", ["until", "until-ms"])
async def test_sleep_until_a_datetime_or_epoch_milliseconds(start_flow, mode):
    mf = await start_flow(SLEEPER)
    at = mf.clock.time() + 3600
    await mf.env.FLOW.create({"id": "u", "params": {"mode": mode, "at": at}})
    await settle()
    mf.clock.advance(seconds=3599)
    await settle()
    assert (await (await mf.env.FLOW.get("u")).status())["status"] == "waiting"
    mf.clock.advance(seconds=1)
    await status_of(mf, "u", "complete")


async def test_sleep_until_the_past_is_an_error(start_flow):
    mf = await start_flow(SLEEPER)
    await mf.env.FLOW.create({"id": "p", "params": {"mode": "until", "at": mf.clock.time() - 60}})
    assert (await status_of(mf, "p", "errored"))["error"] == {
        "name": "ValueError", "message": "You can't sleep until a time in the past, time-traveler"}


async def test_an_event_sent_while_waiting_is_returned(start_flow):
    mf = await start_flow(SLEEPER)
    instance = await mf.env.FLOW.create({"id": "e", "params": {"mode": "event"}})
    await settle()
    assert (await instance.status())["status"] == "waiting"
    sent_at = mf.clock.time()
    await instance.send_event({"type": "approved", "payload": {"by": "ana"}})
    output = (await status_of(mf, "e", "complete"))["output"]
    assert output == {"payload": {"by": "ana"}, "type": "approved", "timestamp": pytest.approx(sent_at, abs=0.002)}


async def test_an_event_sent_before_the_wait_is_kept_for_it(start_flow):
    mf = await start_flow(SLEEPER)
    instance = await mf.env.FLOW.create({"id": "early", "params": {"mode": "event"}})
    await instance.send_event({"type": "other", "payload": 0})
    await instance.send_event({"type": "approved", "payload": 1})
    await instance.send_event({"type": "approved", "payload": 2})
    assert (await status_of(mf, "early", "complete"))["output"]["payload"] == 1


async def test_wait_for_event_times_out_by_the_clock(start_flow):
    mf = await start_flow(SLEEPER)
    await mf.env.FLOW.create({"id": "late", "params": {"mode": "event", "timeout": "30 minutes"}})
    await settle()
    mf.clock.advance(minutes=30)
    assert (await status_of(mf, "late", "errored"))["error"] == {
        "name": "WorkflowTimeoutError", "message": "Execution timed out after 1800000ms"}


async def test_wait_for_event_timeout_can_be_caught(start_flow):
    mf = await start_flow(SLEEPER)
    await mf.env.FLOW.create({"id": "c", "params": {"mode": "event-caught"}})
    await settle()
    mf.clock.advance(minutes=10)
    assert (await status_of(mf, "c", "complete"))["output"] == {
        "caught": "WorkflowTimeoutError", "message": "Execution timed out after 600000ms"}


async def test_wait_for_event_defaults_to_24_hours(start_flow):
    source = SLEEPER.replace('timeout=event.payload.get("timeout", "1 hour")', "")
    mf = await start_flow(source)
    await mf.env.FLOW.create({"id": "day", "params": {"mode": "event"}})
    await settle()
    mf.clock.advance(hours=23, minutes=59)
    await settle()
    assert (await (await mf.env.FLOW.get("day")).status())["status"] == "waiting"
    mf.clock.advance(minutes=1)
    assert (await status_of(mf, "day", "errored"))["error"]["message"] == "Execution timed out after 86400000ms"


async def test_pause_then_resume_does_not_count_the_paused_time(start_flow):
    mf = await start_flow(SLEEPER)
    instance = await mf.env.FLOW.create({"id": "pz"})
    await settle()
    mf.clock.advance(minutes=20)
    await instance.pause()
    assert (await instance.status())["status"] == "paused"
    mf.clock.advance(hours=5)  # the sleep would have ended; a paused instance does not wake
    await settle()
    assert (await instance.status())["status"] == "paused"
    await instance.resume()
    await settle()
    assert (await instance.status())["status"] == "waiting"
    mf.clock.advance(minutes=39)
    await settle()
    assert (await instance.status())["status"] == "waiting"
    mf.clock.advance(minutes=1)  # 40 more minutes make the hour
    await status_of(mf, "pz", "complete")


RUNNING_STEP = """
import asyncio
from workers import WorkflowEntrypoint

GATE = asyncio.Event()
RAN = []

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("long")
        async def long():
            RAN.append("long")
            await GATE.wait()
            return 1

        @step.do("after")
        async def after():
            RAN.append("after")
            return 2

        return [await long(), await after()]
"""


async def test_pause_waits_for_the_running_step_then_stops_before_the_next(start_flow):
    mf = await start_flow(RUNNING_STEP)
    module = mf.runtime.current().module
    instance = await mf.env.FLOW.create({"id": "wp"})
    await settle()
    await instance.pause()
    assert (await instance.status())["status"] == "waitingForPause"
    module.GATE.set()
    await status_of(mf, "wp", "paused")
    assert module.RAN == ["long"]
    await instance.resume()
    assert (await status_of(mf, "wp", "complete"))["output"] == [1, 2]
    assert module.RAN == ["long", "after"]  # the finished step was not run again


async def test_resume_while_waiting_for_pause_cancels_the_pause(start_flow):
    mf = await start_flow(RUNNING_STEP)
    module = mf.runtime.current().module
    instance = await mf.env.FLOW.create({"id": "rp"})
    await settle()
    await instance.pause()
    await instance.resume()
    assert (await instance.status())["status"] == "running"
    module.GATE.set()
    assert (await status_of(mf, "rp", "complete"))["output"] == [1, 2]


async def test_terminate_stops_a_sleeping_instance(start_flow):
    mf = await start_flow(SLEEPER)
    instance = await mf.env.FLOW.create({"id": "t"})
    await settle()
    await instance.terminate()
    assert (await instance.status())["status"] == "terminated"
    mf.clock.advance(hours=2)
    await settle()
    assert (await instance.status())["status"] == "terminated"


async def test_restart_runs_the_instance_from_the_beginning(start_flow):
    mf = await start_flow(RUNNING_STEP)
    module = mf.runtime.current().module
    module.GATE.set()
    instance = await mf.env.FLOW.create({"id": "again"})
    await status_of(mf, "again", "complete")
    await instance.restart()
    assert (await status_of(mf, "again", "complete"))["output"] == [1, 2]
    assert module.RAN == ["long", "after", "long", "after"]


async def test_sleep_in_a_created_instance_uses_the_creation_timestamp(start_flow):
    mf = await start_flow(SLEEPER)
    await mf.env.FLOW.create({"id": "ts"})
    await settle()
    row = mf.plugins[0].engine("flow").describe("ts")
    sleep = row["steps"][0]
    assert sleep["type"] == "sleep" and sleep["wakeAt"] - sleep["start"] == 3600_000
    assert dt.datetime.fromtimestamp(row["queued"] / 1000).year >= 2024
