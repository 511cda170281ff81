"""Workflows with ``schedules``: each cron firing starts an instance (id ``"<cron>-<scheduled ms>"``, as
Cloudflare names them, trigger ``cron``), on pyflare's clock and through the scheduled endpoint."""

from __future__ import annotations

import pytest
from workflow_helpers import workflow_config

from pyflare import Pyflare
from pyflare.bindings.workflows import WorkflowsPlugin
from pyflare.config import ConfigError

FLOW = """
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("report")
        async def report():
            return {"payload": dict(event["payload"]), "id": event["instanceId"]}
        return await report()

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("hi")

    async def scheduled(self, controller, env, ctx):
        await env.KV.put("handler-ran", controller.cron)
"""

KV = '[[kv_namespaces]]\nbinding = "KV"\nid = "kv"\n'


def at_minute(mf: Pyflare) -> int:
    """Milliseconds of the next whole 5 minutes on the clock."""
    now = mf.clock.time_ms()
    return now - now % 300_000 + 300_000


async def test_each_firing_on_the_clock_starts_an_instance(start_flow):
    mf = await start_flow(FLOW, workflow='schedules = "*/5 * * * *"', extra=KV)
    first = at_minute(mf)
    mf.clock.set(first / 1000 + 300)  # two firings: first and first + 5 minutes
    await mf.idle()
    for when in (first, first + 300_000):
        instance = await mf.env.FLOW.get(f"*/5 * * * *-{when}")
        status = await instance.status()
        assert status["status"] == "complete"
        assert status["output"] == {"payload": {}, "id": f"*/5 * * * *-{when}"}
    assert await mf.env.KV.get("handler-ran") is None  # the worker's own scheduled() is for [triggers] crons


async def test_several_schedules_and_the_instance_trigger(start_flow):
    mf = await start_flow(FLOW, workflow='schedules = ["0 * * * *", "30 * * * *"]')
    now = mf.clock.time_ms()
    hour = now - now % 3_600_000 + 3_600_000
    mf.clock.set(hour / 1000 + 1800)
    await mf.idle()
    engine = mf.plugin(WorkflowsPlugin).engine("flow")
    described = engine.describe(f"0 * * * *-{hour}")
    assert described["trigger"] == "cron" and described["status"] == "complete"
    assert engine.describe(f"30 * * * *-{hour + 1_800_000}")["status"] == "complete"


async def test_the_scheduled_endpoint_starts_the_workflow_of_that_cron(start_flow):
    mf = await start_flow(FLOW, workflow='schedules = "*/5 * * * *"', extra=KV)
    response = await mf.dispatch_fetch("/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*&time=1767225600000")
    assert (response.status_code, response.text) == (200, "ok")
    await mf.idle()
    instance = await mf.env.FLOW.get("*/5 * * * *-1767225600000")
    assert (await instance.status())["status"] == "complete"
    assert await mf.env.KV.get("handler-ran") is None
    # the same firing again does not start a second instance
    assert (await mf.dispatch_fetch("/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*&time=1767225600000")).text == "ok"


async def test_a_cron_that_is_also_a_trigger_runs_both(start_flow):
    mf = await start_flow(FLOW, workflow='schedules = "*/5 * * * *"', extra=KV + '[triggers]\ncrons = ["*/5 * * * *"]\n')
    result = await mf.scheduled(cron="*/5 * * * *", scheduled_time=1767225600000)
    assert result["outcome"] == "ok"
    await mf.idle()
    assert await mf.env.KV.get("handler-ran") == "*/5 * * * *"
    assert (await (await mf.env.FLOW.get("*/5 * * * *-1767225600000")).status())["status"] == "complete"


async def test_other_crons_still_reach_the_worker(start_flow):
    mf = await start_flow(FLOW, workflow='schedules = "*/5 * * * *"', extra=KV)
    assert (await mf.scheduled(cron="0 0 * * *"))["outcome"] == "ok"
    assert await mf.env.KV.get("handler-ran") == "0 0 * * *"


async def test_crons_off_fires_nothing_on_the_clock(start_flow):
    mf = await start_flow(FLOW, workflow='schedules = "*/5 * * * *"', crons=False)
    mf.clock.advance(hours=1)
    await mf.idle()
    assert mf.plugin(WorkflowsPlugin).engine("flow").index.status_counts() == {}


async def test_a_bad_cron_is_a_config_error_naming_the_key(start_flow):
    with pytest.raises(ConfigError, match=r'workflows\[0\]" bindings "schedules\[1\]"'):
        await start_flow(FLOW, workflow='schedules = ["*/5 * * * *", "61 * * * *"]')


async def test_schedules_on_another_workers_workflow_are_refused_as_wrangler_does(start_worker):
    config = workflow_config(workflow='script_name = "elsewhere"\nschedules = "*/5 * * * *"')
    with pytest.raises(ConfigError, match='Workflow "flow" has "schedules" configured but references external '
                                          'script "elsewhere". Configure schedules on the worker that defines'):
        await start_worker(config, {"src/entry.py": FLOW})


DEV_FLOW = FLOW.replace('''        return Response("hi")''', '''        from urllib.parse import parse_qs, urlparse
        instance = await self.env.FLOW.get(parse_qs(urlparse(request.url).query)["id"][0])
        return Response.json(await instance.status())''')


def test_under_pyflare_dev_the_scheduled_endpoint_starts_it(tmp_path):
    import time

    import httpx
    from tests.conftest import write_worker

    from pyflare.testing.server import PyflareServer

    config = write_worker(tmp_path / "w", workflow_config(workflow='schedules = "*/5 * * * *"', extra=KV),
                          {"src/entry.py": DEV_FLOW})
    with PyflareServer(config) as server:
        fired = httpx.get(server.url + "/cdn-cgi/handler/scheduled", params={"cron": "*/5 * * * *", "time": "1767225600000"})
        assert fired.text == "ok"
        deadline = time.monotonic() + 20
        while True:  # the instance runs in the server's real time: bounded wait for it to finish
            status = httpx.get(server.url + "/", params={"id": "*/5 * * * *-1767225600000"}).json()
            if status["status"] == "complete" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert status["output"]["id"] == "*/5 * * * *-1767225600000"
