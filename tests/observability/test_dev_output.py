"""What ``pyflare dev`` prints about events that fail and retry, and which worker it reloaded."""

from __future__ import annotations

import logging

from tests.observability.shop import SHOP_CONFIG, SHOP_ENTRY
from tests.workflows.workflow_helpers import settle, status_of

from pyflare.cli.dev import reloaded_text

FLOW_CONFIG = """
name = "flows"
main = "src/entry.py"
compatibility_date = "2025-11-02"
compatibility_flags = ["python_workers"]
[[workflows]]
binding = "FLOW"
name = "flow"
class_name = "Flow"
"""

FLOW_ENTRY = """
from workers import WorkflowEntrypoint
class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("charge", config={"retries": {"limit": 1, "delay": "10 seconds"}})
        async def charge():
            raise ConnectionError("gateway busy")
        await charge()
"""


def test_reload_names_the_worker_when_several_run():
    assert reloaded_text(["users"], 1) == "Reloaded worker"
    assert reloaded_text(["users"], 2) == "Reloaded worker users"
    assert reloaded_text(["users", "orders"], 3) == "Reloaded workers users, orders"


async def test_workflow_step_failures_and_retries_are_logged_and_traced(start_worker, caplog):
    caplog.set_level(logging.INFO, logger="pyflare")
    mf = await start_worker(FLOW_CONFIG, {"src/entry.py": FLOW_ENTRY}, clock="manual")
    await mf.env.FLOW.create({"id": "order-1"})
    await settle()
    mf.clock.advance(10)
    await status_of(mf, "order-1", "errored")
    text = caplog.text
    assert ('Workflow "flow" instance order-1: step "charge" attempt 1 of 2 failed: ConnectionError: gateway busy; '
            "retrying in 10s") in text
    assert 'Workflow "flow" instance order-1: step "charge" failed after 2 attempts: ConnectionError: gateway busy' in text
    assert 'Workflow "flow" instance order-1 errored: ConnectionError: gateway busy' in text
    attempts = await mf.traces.list(trigger="workflow")
    assert [t.name for t in attempts] == ['flow step "charge" attempt 2', 'flow step "charge" attempt 1']
    assert all(t.outcome == "exception" for t in attempts)
    assert attempts[1].root.attributes["cloudflare.workflow.instance_id"] == "order-1"


async def test_queue_retries_and_alarm_retries_are_logged(start_worker, caplog):
    caplog.set_level(logging.INFO, logger="pyflare")
    mf = await start_worker(SHOP_CONFIG, {"src/entry.py": SHOP_ENTRY}, clock="manual")
    await mf.env.ORDERS.send({"order": 1, "fail": True})
    mf.clock.advance(1)
    await mf.idle()
    assert 'on queue "orders" (attempt 2 of 2)...' in caplog.text and "Retrying message" in caplog.text
    await mf.dispatch_fetch("/alarm")
    mf.clock.advance(2)
    await mf.idle()
    assert "failed (retry 1 of" in caplog.text and "RuntimeError: alarm failed" in caplog.text
