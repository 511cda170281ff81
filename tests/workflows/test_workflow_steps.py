"""step.do: both SDK signatures, dependencies, ctx, retries with backoff, timeouts, and the failure texts."""

from __future__ import annotations

import pytest
from workflow_helpers import settle, status_of

from pyflare.testing import introspect_workflow_instance

LEGACY = """
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("dependency 1")
        async def first():
            return 2

        @step.do("dependency 2")
        async def second():
            return 3

        @step.do("final step", depends=[first, second], concurrent=True)
        async def combine(a=None, b=None):
            return {"product": a * b}

        return await combine()
"""


async def test_legacy_depends_form_before_2026_02_25(start_flow):
    mf = await start_flow(LEGACY)
    instance = await mf.env.FLOW.create({"id": "one"})
    status = await status_of(mf, instance.id, "complete")
    assert status == {"status": "complete", "output": {"product": 6}}
    assert status.output.product == 6


IMPLICIT = """
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def base_value():
            return 10

        @step.do()
        async def derived(base_value, ctx):
            return {"value": base_value + 5, "step": ctx["step"]["name"], "attempt": ctx["attempt"]}

        return await derived()
"""


async def test_implicit_form_from_2026_02_25_names_steps_by_parameter(start_flow):
    mf = await start_flow(IMPLICIT, compat="2026-03-01")
    instance = await mf.env.FLOW.create({"id": "implicit"})
    status = await status_of(mf, instance.id, "complete")
    assert status["output"] == {"value": 15, "step": "derived", "attempt": 1}


async def test_implicit_form_by_flag_on_an_older_date(start_flow):
    mf = await start_flow(IMPLICIT, flags='"python_workers", "python_workflows_implicit_dependencies"')
    instance = await mf.env.FLOW.create()
    assert (await status_of(mf, instance.id, "complete"))["output"]["value"] == 15


async def test_legacy_form_refuses_parameters_without_depends(start_flow):
    source = IMPLICIT.replace("@step.do()", '@step.do("named")')  # implicit style under the legacy signature
    mf = await start_flow(source)
    instance = await mf.env.FLOW.create()
    status = await status_of(mf, instance.id, "errored")
    assert status["error"] == {"name": "TypeError",
                               "message": "Step has 1 non-ctx parameter(s) but no 'depends' list provided"}


async def test_implicit_form_refuses_unknown_parameters(start_flow):
    source = IMPLICIT.replace("async def derived(base_value, ctx)", "async def derived(other)")
    mf = await start_flow(source, compat="2026-03-01")
    instance = await mf.env.FLOW.create()
    status = await status_of(mf, instance.id, "errored")
    assert status["error"]["message"] == "Received unexpected parameter other"


async def test_depends_length_must_match(start_flow):
    source = LEGACY.replace("depends=[first, second]", "depends=[first]")
    mf = await start_flow(source)
    instance = await mf.env.FLOW.create()
    status = await status_of(mf, instance.id, "errored")
    assert status["error"]["message"] == "Step declares 2 non-ctx parameter(s) but 'depends' has 1 item(s)"


COUNTED = """
from workers import WorkflowEntrypoint
from workers.workflows import NonRetryableError

CALLS = []

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        mode = event.payload.get("mode")
        config = event.payload.get("config")

        @step.do("flaky", config=config)
        async def flaky(ctx):
            CALLS.append(ctx["attempt"])
            if mode == "non-retryable":
                raise NonRetryableError("card declined")
            if ctx["attempt"] <= event.payload.get("fail", 0):
                raise ValueError(f"attempt {ctx['attempt']} failed")
            return {"attempt": ctx["attempt"]}

        if mode == "catch":
            try:
                await flaky()
            except ValueError as exc:
                return {"caught": str(exc)}
        return await flaky()
"""


def calls(mf):
    return mf.runtime.current().module.CALLS


async def test_retries_back_off_exponentially_by_the_clock(start_flow):
    mf = await start_flow(COUNTED)
    config = {"retries": {"limit": 3, "delay": "10 seconds", "backoff": "exponential"}}
    instance = await mf.env.FLOW.create({"id": "r", "params": {"fail": 3, "config": config}})
    await settle()
    assert calls(mf) == [1]
    assert (await instance.status())["status"] == "waiting"
    mf.clock.advance(seconds=9.9)
    await settle()
    assert calls(mf) == [1]
    mf.clock.advance(seconds=0.1)  # 10 s after the first failure
    await settle()
    assert calls(mf) == [1, 2]
    mf.clock.advance(seconds=19)
    await settle()
    assert calls(mf) == [1, 2]
    mf.clock.advance(seconds=1)  # 20 s: 10 * 2^1
    await settle()
    mf.clock.advance(seconds=40)  # 40 s: 10 * 2^2
    status = await status_of(mf, "r", "complete")
    assert calls(mf) == [1, 2, 3, 4]
    assert status["output"] == {"attempt": 4}


@pytest.mark.parametrize(("backoff", "waits"), [("constant", [5, 5]), ("linear", [5, 10])])
async def test_constant_and_linear_backoff(start_flow, backoff, waits):
    mf = await start_flow(COUNTED)
    config = {"retries": {"limit": 2, "delay": 5000, "backoff": backoff}}
    await mf.env.FLOW.create({"id": "b", "params": {"fail": 2, "config": config}})
    await settle()
    for expected, wait in enumerate(waits, start=2):
        mf.clock.advance(seconds=wait - 0.001)
        await settle()
        assert len(calls(mf)) == expected - 1
        mf.clock.advance(seconds=0.001)
        await settle()
        assert len(calls(mf)) == expected
    assert (await status_of(mf, "b", "complete"))["output"] == {"attempt": 3}


async def test_default_retries_are_five_with_exponential_one_second_backoff(start_flow):
    mf = await start_flow(COUNTED)
    await mf.env.FLOW.create({"id": "d", "params": {"fail": 99}})
    await settle()
    for wait in (1, 2, 4, 8, 16):
        mf.clock.advance(seconds=wait)
        await settle()
    status = await status_of(mf, "d", "errored")
    assert calls(mf) == [1, 2, 3, 4, 5, 6]
    assert status["error"] == {"name": "ValueError", "message": "attempt 6 failed"}


async def test_an_exhausted_step_raises_into_run_where_it_can_be_caught(start_flow):
    mf = await start_flow(COUNTED)
    config = {"retries": {"limit": 0, "delay": 0}}
    await mf.env.FLOW.create({"id": "c", "params": {"fail": 1, "mode": "catch", "config": config}})
    assert (await status_of(mf, "c", "complete"))["output"] == {"caught": "attempt 1 failed"}


async def test_non_retryable_error_stops_at_once_with_the_generic_message(start_flow):
    mf = await start_flow(COUNTED)
    config = {"retries": {"limit": 5, "delay": 0, "backoff": "constant"}}
    await mf.env.FLOW.create({"id": "n", "params": {"mode": "non-retryable", "config": config}})
    status = await status_of(mf, "n", "errored")
    assert calls(mf) == [1]
    assert status["error"] == {
        "name": "WorkflowFatalError",
        "message": "The execution of the Workflow instance was terminated, as a step threw an NonRetryableError "
                   "and it was not handled",
    }
    attempts = mf.plugins[0].engine("flow").describe("n")["steps"][0]["attempts"]
    assert attempts[0]["error"]["message"] == 'Step threw a NonRetryableError with message "card declined"'


async def test_non_retryable_error_message_reaches_status_from_2026_05_14(start_flow):
    mf = await start_flow(COUNTED, compat="2026-06-01")
    await mf.env.FLOW.create({"id": "n", "params": {"mode": "non-retryable"}})
    status = await status_of(mf, "n", "errored")
    assert calls(mf) == [1]
    assert status["error"] == {"name": "NonRetryableError", "message": "card declined"}


TIMEOUT = """
import asyncio
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("slow", config={"timeout": "1 minute", "retries": {"limit": 1, "delay": 0}})
        async def slow(ctx):
            if ctx["attempt"] == 1:
                await asyncio.Event().wait()  # never finishes by itself
            return "second try"

        return await slow()
"""


async def test_an_attempt_past_its_timeout_fails_and_is_retried(start_flow):
    mf = await start_flow(TIMEOUT)
    await mf.env.FLOW.create({"id": "t"})
    await settle()
    mf.clock.advance(seconds=60)
    assert (await status_of(mf, "t", "complete"))["output"] == "second try"
    attempts = mf.plugins[0].engine("flow").describe("t")["steps"][0]["attempts"]
    assert attempts[0]["error"] == {"name": "WorkflowTimeoutError", "message": "Execution timed out after 60000ms"}


CONFIGURED = """
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do(event.payload["name"], config=event.payload.get("config"))
        async def s():
            return 1

        return await s()
"""


@pytest.mark.parametrize("config", [
    {"retries": {"limit": 1}},                              # delay missing
    {"retries": {"limit": -1, "delay": 0}},
    {"retries": {"limit": 1, "delay": 0, "backoff": "random"}},
    {"retries": {"limit": 1, "delay": "soon"}},
    {"retries": {"limit": 1, "delay": 0, "jitter": True}},  # unknown key
    {"timeout": 0},
    {"timeout": "forever"},
    {"retry": {}},
])
async def test_step_config_is_checked_strictly(start_flow, config):
    mf = await start_flow(CONFIGURED)
    await mf.env.FLOW.create({"id": "x", "params": {"name": "charge", "config": config}})
    status = await status_of(mf, "x", "errored")
    assert status["error"] == {
        "name": "WorkflowFatalError",
        "message": 'Step config for "charge" is in a invalid format. '
                   "See https://developers.cloudflare.com/workflows/build/sleeping-and-retrying/",
    }


async def test_step_names_longer_than_256_or_with_control_characters_are_refused(start_flow):
    mf = await start_flow(CONFIGURED)
    await mf.env.FLOW.create({"id": "ok", "params": {"name": "n" * 256}})
    await mf.env.FLOW.create({"id": "long", "params": {"name": "n" * 257}})
    await mf.env.FLOW.create({"id": "tab", "params": {"name": "a\tb"}})
    assert (await status_of(mf, "ok", "complete"))["output"] == 1
    long = await status_of(mf, "long", "errored")
    assert long["error"]["message"] == f'Step name "{"n" * 257}" exceeds max length (256 chars) or invalid characters found'
    assert (await status_of(mf, "tab", "errored"))["error"]["name"] == "WorkflowFatalError"


MANY = """
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        for n in range(event.payload["steps"]):
            @step.do(f"step {n}")
            async def s():
                return n
            await s()
        return "done"
"""


async def test_the_step_limit_comes_from_limits_steps(start_flow):
    mf = await start_flow(MANY, workflow="limits = { steps = 3 }")
    await mf.env.FLOW.create({"id": "three", "params": {"steps": 3}})
    await mf.env.FLOW.create({"id": "four", "params": {"steps": 4}})
    assert (await status_of(mf, "three", "complete"))["output"] == "done"
    assert (await status_of(mf, "four", "errored"))["error"] == {
        "name": "WorkflowFatalError",
        "message": "The limit of 3 steps has been reached. This limit can be changed in your worker configuration.",
    }


RETURNS = """
import datetime
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        kind = event.payload["kind"]

        @step.do("produce")
        async def produce():
            if kind == "object":
                return object()
            if kind == "big":
                return "x" * (1024 * 1024 + 1)
            return {"when": datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc), "raw": b"\\x00\\x01",
                    "pair": (1, 2)}

        value = await produce()
        return {"type": type(value["when"]).__name__, "raw": list(value["raw"]), "pair": value["pair"],
                "attr": value.pair}
"""


async def test_step_results_keep_datetimes_bytes_and_attribute_access(start_flow):
    mf = await start_flow(RETURNS)
    await mf.env.FLOW.create({"id": "ok", "params": {"kind": "values"}})
    status = await status_of(mf, "ok", "complete")
    assert status["output"] == {"type": "datetime", "raw": [0, 1], "pair": [1, 2], "attr": [1, 2]}


async def test_a_result_that_cannot_be_stored_errors_the_instance(start_flow):
    mf = await start_flow(RETURNS)
    await mf.env.FLOW.create({"id": "obj", "params": {"kind": "object"}})
    await mf.env.FLOW.create({"id": "big", "params": {"kind": "big"}})
    assert (await status_of(mf, "obj", "errored"))["error"] == {
        "name": "WorkflowFatalError",
        "message": 'The execution of the Workflow instance was terminated, as the step "produce" returned a value '
                   "which is not serialisable",
    }
    assert (await status_of(mf, "big", "errored"))["error"] == {
        "name": "WorkflowInternalError", "message": "Step produce-1 output is too large. Maximum allowed size is 1MiB."}


async def test_a_dependency_runs_once_for_every_step_that_depends_on_it(start_flow):
    source = """
from workers import WorkflowEntrypoint
CALLS = []

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("shared")
        async def shared():
            CALLS.append(1)
            return len(CALLS)

        @step.do("left", depends=[shared])
        async def left(value):
            return value

        @step.do("right", depends=[shared])
        async def right(value):
            return value

        # Awaiting a step directly runs it again, as a second call of that name (as on Cloudflare).
        return [await left(), await right(), await shared()]
"""
    mf = await start_flow(source)
    await mf.env.FLOW.create({"id": "deps"})
    assert (await status_of(mf, "deps", "complete"))["output"] == [1, 1, 2]
    names = [(s["name"], s["count"]) for s in mf.plugins[0].engine("flow").describe("deps")["steps"]]
    assert names == [("shared", 1), ("left", 1), ("right", 1), ("shared", 2)]


async def test_event_fields(start_flow):
    source = """
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        return {"payload": event.payload, "id": event["instanceId"], "name": event.workflowName,
                "timestamp": event.timestamp.timestamp()}
"""
    mf = await start_flow(source)
    created_at = mf.clock.time()
    await mf.env.FLOW.create({"id": "meta", "params": {"tag": "xyz"}})
    output = (await status_of(mf, "meta", "complete"))["output"]
    assert output == {"payload": {"tag": "xyz"}, "id": "meta", "name": "flow",
                      "timestamp": pytest.approx(created_at, abs=0.002)}
    introspector = await introspect_workflow_instance(mf.env.FLOW, "meta")
    assert await introspector.get_output() == output


async def test_ctx_carries_the_resolved_config_with_production_defaults(start_flow):
    source = """
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("defaults")
        async def defaults(ctx):
            return ctx.config

        @step.do("custom", config={"retries": {"limit": 1, "delay": "2 seconds"}, "timeout": 5000})
        async def custom(ctx):
            return {"limit": ctx.config.retries.limit, "backoff": ctx.config.retries.backoff,
                    "timeout": ctx.config.timeout}

        return [await defaults(), await custom()]
"""
    mf = await start_flow(source)
    await mf.env.FLOW.create({"id": "cfg"})
    assert (await status_of(mf, "cfg", "complete"))["output"] == [
        {"retries": {"limit": 5, "delay": 1000, "backoff": "exponential"}, "timeout": "10 minutes"},
        {"limit": 1, "backoff": "exponential", "timeout": 5000},
    ]


async def test_a_compatibility_date_before_python_workflows_warns(start_flow, pyflare_log):
    mf = await start_flow(LEGACY, compat="2025-06-01")
    assert "Python Workflows need compatibility_date >= 2025-09-20" in pyflare_log.text
    await mf.env.FLOW.create({"id": "old"})
    await status_of(mf, "old", "complete")
