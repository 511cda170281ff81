"""Fixtures for workflow tests: a worker with one workflow binding on a manual clock, and waits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

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


@pytest.fixture
def start_flow(start_worker: Callable[..., Any]) -> Callable[..., Any]:
    """``await start_flow(source, compat=..., **Pyflare_kwargs)`` -> a started Pyflare on a manual clock."""

    async def start(source: str, *, compat: str = "2025-11-02", flags: str = '"python_workers"', extra: str = "",
                    workflow: str = "", files: dict[str, str] | None = None, **kwargs: Any) -> Pyflare:
        kwargs.setdefault("clock", "manual")
        return await start_worker(workflow_config(compat=compat, flags=flags, extra=extra, workflow=workflow),
                                  {"src/entry.py": source, **(files or {})}, **kwargs)

    return start


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
