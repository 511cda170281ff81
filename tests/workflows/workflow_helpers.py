"""Helpers for workflow tests: the config of a worker with one workflow binding, and waits."""

from __future__ import annotations

import asyncio
from typing import Any

from pyflare import Pyflare
from pyflare.testing import introspect_workflow_instance


def workflow_config(*, compat: str = "2025-11-02", flags: str = '"python_workers"', extra: str = "",
                    workflow: str = "") -> str:
    return f"""
    name = "flows"
    main = "src/entry.py"
    compatibility_date = "{compat}"
    compatibility_flags = [{flags}]

    [[workflows]]
    binding = "FLOW"
    name = "flow"
    class_name = "Flow"
    {workflow}
    {extra}
    """


async def status_of(mf: Pyflare, instance_id: str, status: str, binding: str = "FLOW") -> dict[str, Any]:
    """Wait (without moving the clock) until the instance has ``status``; returns its status()."""
    introspector = await introspect_workflow_instance(mf.env[binding], instance_id)
    await introspector.wait_for_status(status, timeout=5)
    instance = await mf.env[binding].get(instance_id)
    return await instance.status()


async def settle() -> None:
    """Let every runnable task run until it blocks (on the clock, an event or I/O)."""
    for _ in range(30):
        await asyncio.sleep(0)
