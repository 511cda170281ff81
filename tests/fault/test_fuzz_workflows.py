"""Hypothesis over the Workflows binding: only the documented errors, and every instance created can be
read back (get, status)."""

from __future__ import annotations

from typing import Any

import pytest
from fuzzing import Driver, any_text, anything, maybe
from hypothesis import given
from hypothesis import strategies as st

from pyflare.bindings.workflows.errors import WorkflowError
from pyflare.kernel.jserrors import RangeError

CONFIG = """
name = "fuzz-wf"
main = "src/entry.py"
compatibility_date = "2025-11-02"

[[workflows]]
binding = "FLOW"
name = "flow"
class_name = "Flow"
"""

ENTRY = """
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        return await step.wait_for_event("go", "go", timeout="1 hour")

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""

DOCUMENTED = (WorkflowError, TypeError, ValueError, RangeError)
ids = st.one_of(st.text("abc-_09", min_size=1, max_size=8), any_text, st.sampled_from(["", "x" * 101]), anything)


@pytest.fixture
def flow(worker_dir: Any) -> Any:
    d = Driver(worker_dir(CONFIG, {"src/entry.py": ENTRY}))
    yield d, d.mf.env.FLOW
    d.close()


def call(d: Any, coro: Any) -> Any:
    try:
        return d.run(coro)
    except DOCUMENTED:
        return None


def test_create_get_and_events(flow: Any) -> None:
    d, binding = flow

    @given(maybe(ids), maybe(anything), maybe(any_text), anything)
    def check(instance_id: Any, params: Any, event_type: Any, payload: Any) -> None:
        options = {} if instance_id is None else {"id": instance_id}
        if params is not None:
            options["params"] = params
        instance = call(d, binding.create(options))
        if instance is None:
            return
        again = d.run(binding.get(instance.id))
        d.run(again.status())
        call(d, again.send_event({"type": event_type, "payload": payload}))
        d.run(again.status())

    check()


def test_create_batch_and_get(flow: Any) -> None:
    d, binding = flow

    @given(st.one_of(st.lists(st.fixed_dictionaries({}, optional={"id": ids, "params": anything}), max_size=3),
                     anything), ids)
    def check(batch: Any, instance_id: Any) -> None:
        created = call(d, binding.create_batch(batch))
        for instance in created or []:
            d.run(d.run(binding.get(instance.id)).status())
        call(d, binding.get(instance_id))

    check()
