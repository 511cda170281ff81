"""The binding: create/create_batch/get, instance ids, status() shape and values, control errors."""

from __future__ import annotations

import re

import pytest
from workflow_helpers import settle, status_of, workflow_config

from pyflare.bindings.workflows import WorkflowError

ECHO = """
from workers import WorkflowEntrypoint, WorkerEntrypoint, Response

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("echo")
        async def echo():
            return {"echo": event.payload}

        return await echo()

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        instance = await self.env.FLOW.create()
        return Response(instance.id)
"""

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


async def test_create_returns_before_the_run_starts(start_flow):
    mf = await start_flow(ECHO)
    instance = await mf.env.FLOW.create({"id": "first", "params": {"n": 1}})
    assert instance.id == "first"
    assert await instance.status() == {"status": "queued", "output": None}
    assert await status_of(mf, "first", "complete") == {"status": "complete", "output": {"echo": {"n": 1}}}


async def test_create_without_options_gives_a_uuid_and_empty_params(start_flow):
    mf = await start_flow(ECHO)
    instance = await mf.env.FLOW.create()
    assert UUID.match(instance.id)
    assert (await status_of(mf, instance.id, "complete"))["output"] == {"echo": {}}


async def test_create_takes_keyword_arguments_too(start_flow):
    mf = await start_flow(ECHO)
    instance = await mf.env.FLOW.create(id="kw", params={"a": 1})
    assert (await status_of(mf, instance.id, "complete"))["output"] == {"echo": {"a": 1}}


@pytest.mark.parametrize("bad", ["", "-starts-with-dash", "has space", "has:colon", "a" * 101, "ünï", 42])
async def test_invalid_instance_ids_are_refused(start_flow, bad):
    mf = await start_flow(ECHO)
    with pytest.raises(WorkflowError, match=re.escape("(instance.invalid_id) Instance has invalid id")):
        await mf.env.FLOW.create({"id": bad})


async def test_longest_and_simplest_valid_ids(start_flow):
    mf = await start_flow(ECHO)
    for good in ("a" * 100, "_", "0-a_B"):
        assert (await mf.env.FLOW.create({"id": good})).id == good


async def test_an_id_cannot_be_used_twice_even_after_the_instance_ended(start_flow):
    mf = await start_flow(ECHO)
    await mf.env.FLOW.create({"id": "dup"})
    await status_of(mf, "dup", "complete")
    with pytest.raises(WorkflowError) as info:
        await mf.env.FLOW.create({"id": "dup"})
    assert str(info.value) == "(instance.already_exists) Instance already exists"


async def test_get_unknown_instance(start_flow):
    mf = await start_flow(ECHO)
    with pytest.raises(WorkflowError) as info:
        await mf.env.FLOW.get("nope")
    assert str(info.value) == "(instance.not_found) Instance not found"


async def test_create_batch_is_all_or_nothing(start_flow):
    mf = await start_flow(ECHO)
    instances = await mf.env.FLOW.create_batch([{"id": "b1", "params": {"n": 1}}, {"id": "b2", "params": {"n": 2}}])
    assert [i.id for i in instances] == ["b1", "b2"]
    assert (await status_of(mf, "b2", "complete"))["output"] == {"echo": {"n": 2}}
    with pytest.raises(WorkflowError, match="already exists"):
        await mf.env.FLOW.createBatch([{"id": "b3"}, {"id": "b1"}])
    with pytest.raises(WorkflowError):
        await mf.env.FLOW.get("b3")  # nothing of the failed batch was created
    with pytest.raises(WorkflowError, match="batchCreate should have at least 1 instance"):
        await mf.env.FLOW.create_batch([])
    with pytest.raises(WorkflowError, match="100 instances"):
        await mf.env.FLOW.create_batch([{} for _ in range(101)])


async def test_params_over_one_mebibyte_are_refused(start_flow):
    mf = await start_flow(ECHO)
    with pytest.raises(WorkflowError, match="1MiB"):
        await mf.env.FLOW.create({"params": {"blob": "x" * (1024 * 1024)}})


async def test_terminating_a_finished_instance_is_an_error(start_flow):
    mf = await start_flow(ECHO)
    instance = await mf.env.FLOW.create({"id": "done"})
    await status_of(mf, "done", "complete")
    with pytest.raises(WorkflowError) as info:
        await instance.terminate()
    assert str(info.value) == "(instance.cannot_terminate) Cannot terminate instance since its on a finite state"


async def test_send_event_checks_the_type(start_flow):
    mf = await start_flow(ECHO)
    instance = await mf.env.FLOW.create({"id": "ev"})
    with pytest.raises(WorkflowError, match="event.invalid_type"):
        await instance.send_event({"type": "has space", "payload": 1})
    with pytest.raises(WorkflowError, match="event.invalid_type"):
        await instance.send_event({"payload": 1})


async def test_status_of_an_errored_instance_has_name_and_message(start_flow):
    source = """
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        raise KeyError("missing")
"""
    mf = await start_flow(source)
    await mf.env.FLOW.create({"id": "bad"})
    status = await status_of(mf, "bad", "errored")
    assert status == {"status": "errored", "output": None, "error": {"name": "KeyError", "message": "'missing'"}}
    assert status.error.name == "KeyError"


async def test_the_worker_creates_instances_through_its_env(start_flow):
    mf = await start_flow(ECHO)
    response = await mf.dispatch_fetch("/")
    assert UUID.match(response.text)
    await status_of(mf, response.text, "complete")


async def test_a_missing_workflow_class_errors_the_instance(start_flow):
    mf = await start_flow(ECHO.replace("class Flow(", "class Other("))
    await mf.env.FLOW.create({"id": "x"})
    status = await status_of(mf, "x", "errored")
    assert "exports no class 'Flow'" in status["error"]["message"]


async def test_a_workflow_of_a_worker_not_running_here_is_a_config_error(start_worker):
    from pyflare.config import ConfigError

    with pytest.raises(ConfigError, match='workflows\\[0\\].script_name: no worker named "billing" is running'):
        await start_worker(workflow_config(workflow='script_name = "billing"'), {"src/entry.py": ECHO})


async def test_a_worker_can_bind_a_workflow_defined_by_another_worker(tmp_path):
    from tests.conftest import write_worker

    from pyflare import Pyflare

    runner = write_worker(tmp_path / "runner", workflow_config(), {"src/entry.py": ECHO})
    caller = write_worker(tmp_path / "caller", """
    name = "caller"
    main = "src/entry.py"
    compatibility_date = "2025-11-02"

    [[workflows]]
    binding = "REMOTE"
    name = "flow"
    class_name = "Flow"
    script_name = "flows"
    """, {"src/entry.py": "from workers import Response\n"
                          "async def on_fetch(request, env):\n"
                          "    instance = await env.REMOTE.create({'id': 'from-caller', 'params': {'x': 1}})\n"
                          "    return Response(instance.id)\n"})
    async with Pyflare([caller, runner], clock="manual") as mf:
        assert (await mf.dispatch_fetch("/")).text == "from-caller"
        flows = mf.worker("flows")
        assert (await status_of(flows, "from-caller", "complete"))["output"] == {"echo": {"x": 1}}


async def test_instances_start_in_creation_order(start_flow):
    mf = await start_flow(ECHO)
    for n in range(5):
        await mf.env.FLOW.create({"id": f"i{n}"})
    await settle()
    engine = mf.plugins[0].engine("flow")
    assert [row.id for row in engine.index.instances(newest_first=False)] == [f"i{n}" for n in range(5)]


async def test_options_converted_with_to_js_work_as_in_cloudflares_docs(start_flow):
    source = ECHO.replace("""        instance = await self.env.FLOW.create()
        return Response(instance.id)""", """        from js import Object
        from pyodide.ffi import to_js
        instance = await self.env.FLOW.create(to_js({"id": "js", "params": {"n": 7}},
                                                    dict_converter=Object.fromEntries))
        await instance.send_event(to_js({"type": "ping", "payload": 1}, dict_converter=Object.fromEntries))
        return Response(instance.id)""")
    mf = await start_flow(source)
    assert (await mf.dispatch_fetch("/")).text == "js"
    assert (await status_of(mf, "js", "complete"))["output"] == {"echo": {"n": 7}}
