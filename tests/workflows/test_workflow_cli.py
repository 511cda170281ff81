"""``pyflare workflows``: reading and changing local instances, with and without ``pyflare dev`` running."""

from __future__ import annotations

import asyncio
import json
import time

from test_workflow_durability import Dev, wait_for
from tests.conftest import write_worker
from workflow_helpers import settle, status_of, workflow_config

from pyflare import Pyflare
from pyflare.cli import main

FLOW = """
from workers import WorkflowEntrypoint, WorkerEntrypoint, Response

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("greet", config={"retries": {"limit": 1, "delay": 0}})
        async def greet(ctx):
            if ctx["attempt"] == 1:
                raise ValueError("first try fails")
            return "hello " + event.payload.get("name", "?")

        greeting = await greet()
        approval = await step.wait_for_event("approval", "approved", timeout="1 hour")
        return {"greeting": greeting, "approved_by": approval["payload"]["by"]}

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        instance = await self.env.FLOW.get(request.url.rsplit("/", 1)[-1])
        return Response.json(await instance.status())
"""


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def stored_status(config, state, instance_id: str) -> str:
    async def read() -> str:
        mf = Pyflare(config, persist_to=state)
        await mf.start(load_worker=False)
        try:
            return (await (await mf.env.FLOW.get(instance_id)).status())["status"]
        finally:
            await mf.close()

    return asyncio.run(read())


def test_cli_without_a_server_changes_the_stored_state(tmp_path, capsys):
    config = write_worker(tmp_path / "w", workflow_config(), {"src/entry.py": FLOW})
    state = str(tmp_path / "state")
    opts = ("--config", str(config), "--persist-to", state)
    code, out, _ = run_cli(capsys, "workflows", "list", *opts)
    assert code == 0 and "│ flow " in out and "│ Flow " in out
    code, out, _ = run_cli(capsys, "workflows", "instances", "list", "flow", *opts)
    assert code == 0 and 'There are no instances in workflow "flow"' in out
    code, out, _ = run_cli(capsys, "workflows", "trigger", "flow", '{"name": "ana"}', "--id", "t1", *opts)
    assert code == 0 and out.strip() == '🚀 Workflow instance "t1" has been queued successfully'
    code, out, _ = run_cli(capsys, "workflows", "instances", "list", "flow", "--json", *opts)
    assert [i["id"] for i in json.loads(out)] == ["t1"] and json.loads(out)[0]["status"] == "queued"
    code, _, err = run_cli(capsys, "workflows", "trigger", "flow", "--id", "t1", *opts)
    assert code == 1 and "(instance.already_exists) Instance already exists" in err
    code, _, err = run_cli(capsys, "workflows", "trigger", "flow", "{nope", *opts)
    assert code == 2 and "Error while parsing instance parameters" in err
    code, out, _ = run_cli(capsys, "workflows", "instances", "terminate", "flow", "latest", *opts)
    assert code == 0 and 'The instance "t1" from flow was terminated successfully' in out
    assert stored_status(config, state, "t1") == "terminated"
    code, _, err = run_cli(capsys, "workflows", "terminate", "flow", "t1", *opts)
    assert code == 1 and "(instance.cannot_terminate) Cannot terminate instance since its on a finite state" in err
    run_cli(capsys, "workflows", "trigger", "flow", "--id", "t2", *opts)
    run_cli(capsys, "workflows", "trigger", "flow", "--id", "t3", *opts)
    code, out, _ = run_cli(capsys, "workflows", "describe", "flow", *opts)
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert code == 0 and "Class Name: Flow" in lines and "queued: 2" in lines and "terminated: 1" in lines
    code, _, err = run_cli(capsys, "workflows", "instances", "terminate-all", "flow", "--status", "complete", *opts)
    assert code == 2 and 'Provided status "complete" is not valid' in err
    code, out, _ = run_cli(capsys, "workflows", "instances", "terminate-all", "flow", *opts)
    assert code == 0 and '2 instances from Workflow "flow" were terminated' in out
    assert stored_status(config, state, "t3") == "terminated"
    code, _, err = run_cli(capsys, "workflows", "pause", "flow", "nope", *opts)
    assert code == 1 and "(instance.not_found) Instance not found" in err
    code, _, err = run_cli(capsys, "workflows", "instances", "list", "nope", *opts)
    assert code == 2 and 'no workflow named "nope"' in err


def test_cli_acts_through_a_running_pyflare_dev(tmp_path, capsys):
    config = write_worker(tmp_path / "w", workflow_config(), {"src/entry.py": FLOW})
    state = tmp_path / "state"
    opts = ("--config", str(config), "--persist-to", str(state))
    dev = Dev(config, state)
    try:
        code, out, _ = run_cli(capsys, "workflows", "trigger", "flow", '{"name": "ana"}', "--id", "live", *opts)
        assert code == 0
        status = lambda: httpx_status(dev, "live")  # noqa: E731
        wait_for(lambda: status() == "waiting", "the instance to wait for its event")
        code, out, _ = run_cli(capsys, "workflows", "instances", "describe", "flow", "live", *opts)
        assert code == 0
        lines = [" ".join(line.split()) for line in out.splitlines()]
        assert "Status: ⏰ Waiting" in lines
        assert 'Output: "hello ana"' in lines
        assert "ValueError: first try fails" in out  # the failed first attempt, in the attempts table
        assert "Event Type: approved" in lines
        code, out, _ = run_cli(capsys, "workflows", "instances", "send-event", "flow", "live", "--type", "approved",
                               "--payload", '{"by": "bo"}', *opts)
        assert code == 0 and '📤 The event with type "approved" and payload "{"by": "bo"}" was sent' in out
        wait_for(lambda: status() == "complete", "the event to complete the instance")
        code, out, _ = run_cli(capsys, "workflows", "instances", "describe", "flow", "--json", *opts)
        info = json.loads(out.split("\n", 1)[1])  # after 'Latest instance is "live"'
        assert info["output"] == {"greeting": "hello ana", "approved_by": "bo"}
        assert [len(s.get("attempts", [])) for s in info["steps"]] == [2, 0]
    finally:
        dev.kill()


def httpx_status(dev: Dev, instance_id: str) -> str:
    import httpx

    try:
        return httpx.get(f"{dev.url}/status/{instance_id}", timeout=5).json()["status"]
    except (httpx.HTTPError, ValueError, KeyError):
        time.sleep(0.02)
        return ""


def test_an_event_sent_while_pyflare_is_stopped_is_delivered_when_it_starts(tmp_path, capsys):
    config = write_worker(tmp_path / "w", workflow_config(), {"src/entry.py": FLOW})
    state = tmp_path / "state"

    async def first_run() -> None:
        async with Pyflare(config, persist_to=state, clock="manual") as mf:
            await mf.env.FLOW.create({"id": "later", "params": {"name": "cy"}})
            await settle()
            mf.clock.advance(seconds=1)  # the first attempt's retry delay (0 ms) is over
            await settle()
            assert (await (await mf.env.FLOW.get("later")).status())["status"] == "waiting"

    asyncio.run(first_run())
    code, _, _ = run_cli(capsys, "workflows", "send-event", "flow", "later", "--type", "approved",
                         "--payload", '{"by": "dee"}', "--config", str(config), "--persist-to", str(state))
    assert code == 0
    assert stored_status(config, state, "later") == "waiting"  # nothing runs it without pyflare dev

    async def second_run() -> dict:
        async with Pyflare(config, persist_to=state, clock="manual") as mf:
            return await status_of(mf, "later", "complete")

    assert asyncio.run(second_run())["output"] == {"greeting": "hello cy", "approved_by": "dee"}
