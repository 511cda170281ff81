"""The explorer's Workflows view: instances, each step with attempts and output, and the controls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pyflare import Pyflare
from pyflare.testing import introspect_workflow_instance

API = "/cdn-cgi/local/explorer/api/workflows"

CONFIG = """
name = "flows"
main = "src/entry.py"
compatibility_date = "2025-11-02"
compatibility_flags = ["python_workers"]

[[workflows]]
binding = "FLOW"
name = "flow"
class_name = "Flow"
"""

ENTRY = """
from workers import WorkflowEntrypoint, WorkerEntrypoint, Response

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("greet", config={"retries": {"limit": 1, "delay": 0}})
        async def greet(ctx):
            if ctx["attempt"] == 1:
                raise ValueError("first try fails")
            return "hello " + event.payload["name"]

        greeting = await greet()
        approval = await step.wait_for_event("approval", "approved", timeout="1 hour")
        return {"greeting": greeting, "by": approval["payload"]["by"]}

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""


async def wait_status(mf: Pyflare, instance_id: str, status: str) -> None:
    introspector = await introspect_workflow_instance(mf.env.FLOW, instance_id)
    await introspector.wait_for_status(status, timeout=5)


async def test_instances_steps_and_events(start_worker: Callable[..., Any]) -> None:
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY}, clock="manual")
    created = await mf.dispatch_fetch(f"{API}/flow/instances", method="POST",
                                      json={"instance_id": "order-1", "params": {"name": "ada"}})
    assert created.status_code == 201 and created.json()["result"]["id"] == "order-1"
    await wait_status(mf, "order-1", "waiting")
    [flow] = (await mf.dispatch_fetch(API)).json()["result"]
    assert flow["name"] == "flow" and flow["class_name"] == "Flow" and flow["script_name"] == "flows"
    [listed] = (await mf.dispatch_fetch(f"{API}/flow/instances")).json()["result"]
    assert listed["id"] == "order-1" and listed["status"] == "waiting"
    detail = (await mf.dispatch_fetch(f"{API}/flow/instances/order-1")).json()["result"]
    greet = next(s for s in detail["steps"] if s["name"] == "greet")
    assert len(greet["attempts"]) == 2 and greet["output"] == "hello ada"
    assert greet["attempts"][0]["error"]["message"] == "first try fails"
    sent = await mf.dispatch_fetch(f"{API}/flow/instances/order-1/events/approved", method="POST",
                                   json={"by": "bo"})
    assert sent.status_code == 200
    await wait_status(mf, "order-1", "complete")
    done = (await mf.dispatch_fetch(f"{API}/flow/instances/order-1")).json()["result"]
    assert done["output"] == {"greeting": "hello ada", "by": "bo"}


async def test_pause_resume_terminate(start_worker: Callable[..., Any]) -> None:
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY}, clock="manual")
    await mf.env.FLOW.create({"id": "x", "params": {"name": "n"}})
    await wait_status(mf, "x", "waiting")
    paused = await mf.dispatch_fetch(f"{API}/flow/instances/x/status", method="PATCH", json={"status": "pause"})
    assert paused.status_code == 200
    await asyncio.sleep(0)
    await wait_status(mf, "x", "paused")
    await mf.dispatch_fetch(f"{API}/flow/instances/x/status", method="PATCH", json={"status": "terminate"})
    await wait_status(mf, "x", "terminated")
    bad = await mf.dispatch_fetch(f"{API}/flow/instances/x/status", method="PATCH", json={"status": "explode"})
    assert bad.status_code == 400
    missing = await mf.dispatch_fetch(f"{API}/flow/instances/nope")
    assert missing.status_code == 404 and missing.json()["success"] is False
