"""pyflare.testing's workflow helpers: run instances to completion under test control, in milliseconds."""

from __future__ import annotations

import pytest
from workflow_helpers import settle

from pyflare.testing import introspect_workflow, introspect_workflow_instance

PIPELINE = """
from workers import WorkflowEntrypoint

CALLS = []

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("charge", config={"retries": {"limit": 3, "delay": "1 minute", "backoff": "exponential"}})
        async def charge(ctx):
            CALLS.append(("charge", ctx["attempt"]))
            if ctx["attempt"] <= 3:
                raise ConnectionError("gateway busy")
            return {"charged": event.payload["amount"]}

        receipt = await charge()
        await step.sleep("cool-off", "24 hours")
        approval = await step.wait_for_event("approval", "approved", timeout="7 days")

        @step.do("ship")
        async def ship():
            CALLS.append(("ship", 1))
            return {"shipped": True, "by": approval["payload"]["by"]}

        return {"receipt": receipt, "shipment": await ship()}
"""


def calls(mf):
    return mf.runtime.current().module.CALLS


async def test_a_day_of_sleep_and_three_retries_run_in_milliseconds(start_flow):
    # A real clock: were any sleep or retry delay really waited for, the waits below would time out.
    mf = await start_flow(PIPELINE, clock=None)
    async with await introspect_workflow_instance(mf.env.FLOW, "order-1") as instance:
        async def fast(m):
            await m.disable_sleeps()
            await m.disable_retry_delays()
            await m.mock_event({"type": "approved", "payload": {"by": "ana"}})

        await instance.modify(fast)
        await mf.env.FLOW.create({"id": "order-1", "params": {"amount": 42}})
        assert await instance.wait_for_step_result({"name": "charge"}) == {"charged": 42}
        await instance.wait_for_status("complete")
        assert await instance.get_output() == {"receipt": {"charged": 42}, "shipment": {"shipped": True, "by": "ana"}}
    assert calls(mf) == [("charge", 1), ("charge", 2), ("charge", 3), ("charge", 4), ("ship", 1)]


async def test_the_same_run_by_advancing_the_manual_clock(start_flow):
    mf = await start_flow(PIPELINE)
    instance = await mf.env.FLOW.create({"id": "o", "params": {"amount": 1}})
    await settle()
    for minutes in (1, 2, 4):  # three retries, exponential from one minute
        mf.clock.advance(minutes=minutes)
        await settle()
    mf.clock.advance(hours=24)
    await settle()
    await instance.send_event({"type": "approved", "payload": {"by": "bo"}})
    introspector = await introspect_workflow_instance(mf.env.FLOW, "o")
    await introspector.wait_for_status("complete")
    assert (await introspector.get_output())["shipment"]["by"] == "bo"


async def test_mock_step_result_skips_the_step(start_flow):
    mf = await start_flow(PIPELINE)
    instance = await introspect_workflow_instance(mf.env.FLOW, "m")

    async def mocks(m):
        await m.mock_step_result({"name": "charge"}, {"charged": "mocked"})
        await m.disable_sleeps()
        await m.force_event_timeout({"name": "approval"})

    await instance.modify(mocks)
    await mf.env.FLOW.create({"id": "m", "params": {"amount": 1}})
    await instance.wait_for_status("errored")
    assert calls(mf) == []
    assert await instance.wait_for_step_result("charge") == {"charged": "mocked"}
    assert await instance.get_error() == {"name": "WorkflowTimeoutError", "message": "Execution timed out after 604800000ms"}


async def test_mock_step_error_for_some_attempts(start_flow):
    mf = await start_flow(PIPELINE.replace('if ctx["attempt"] <= 3:', "if False:"))
    instance = await introspect_workflow_instance(mf.env.FLOW, "e")

    async def mocks(m):
        await m.mock_step_error({"name": "charge"}, TimeoutError("mocked outage"), times=2)
        await m.disable_retry_delays()
        await m.disable_sleeps()
        await m.mock_event({"type": "approved", "payload": {"by": "x"}})

    await instance.modify(mocks)
    await mf.env.FLOW.create({"id": "e", "params": {"amount": 5}})
    await instance.wait_for_status("complete")
    assert calls(mf) == [("charge", 3), ("ship", 1)]  # attempts 1 and 2 raised the mocked error
    attempts = mf.plugins[0].engine("flow").describe("e")["steps"][0]["attempts"]
    assert [a["error"] for a in attempts] == [{"name": "TimeoutError", "message": "mocked outage"}] * 2 + [None]


async def test_mock_step_error_every_attempt_fails_the_step(start_flow):
    mf = await start_flow(PIPELINE)
    instance = await introspect_workflow_instance(mf.env.FLOW, "f")

    async def mocks(m):
        await m.mock_step_error({"name": "charge"}, RuntimeError("always"))
        await m.disable_retry_delays()

    await instance.modify(mocks)
    await mf.env.FLOW.create({"id": "f", "params": {"amount": 5}})
    with pytest.raises(RuntimeError, match="always"):
        await instance.wait_for_step_result({"name": "charge"})
    await instance.wait_for_status("errored")
    assert await instance.get_error() == {"name": "RuntimeError", "message": "always"}


async def test_force_step_timeout(start_flow):
    mf = await start_flow(PIPELINE)
    instance = await introspect_workflow_instance(mf.env.FLOW, "to")

    async def mocks(m):
        await m.force_step_timeout({"name": "charge"})
        await m.disable_retry_delays()

    await instance.modify(mocks)
    await mf.env.FLOW.create({"id": "to", "params": {"amount": 5}})
    await instance.wait_for_status("errored")
    assert (await instance.get_error())["message"] == "Execution timed out after 600000ms"


async def test_mocking_a_step_twice_is_refused(start_flow):
    mf = await start_flow(PIPELINE)
    instance = await introspect_workflow_instance(mf.env.FLOW, "twice")

    async def mocks(m):
        await m.mock_step_result({"name": "charge"}, 1)
        await m.mock_step_result({"name": "charge"}, 2)

    with pytest.raises(RuntimeError, match="Trying to mock step 'charge' multiple times!"):
        await instance.modify(mocks)


async def test_wait_for_status_gives_up_with_a_hint(start_flow):
    mf = await start_flow(PIPELINE)
    instance = await introspect_workflow_instance(mf.env.FLOW, "stuck")
    await mf.env.FLOW.create({"id": "stuck", "params": {"amount": 1}})
    with pytest.raises(TimeoutError, match="status: waiting.*advance the clock"):
        await instance.wait_for_status("complete", timeout=0.05)


async def test_introspect_workflow_applies_to_every_new_instance(start_flow):
    mf = await start_flow(PIPELINE)
    async with await introspect_workflow(mf.env.FLOW) as introspector:
        async def fast(m):
            await m.disable_sleeps()
            await m.disable_retry_delays()
            await m.mock_event({"type": "approved", "payload": {"by": "all"}})

        await introspector.modify_all(fast)
        await mf.env.FLOW.create_batch([{"id": "a", "params": {"amount": 1}}, {"id": "b", "params": {"amount": 2}}])
        instances = await introspector.get()
        assert [i.id for i in instances] == ["a", "b"]
        for instance in instances:
            await instance.wait_for_status("complete")
