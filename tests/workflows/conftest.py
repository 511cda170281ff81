"""Fixture for workflow tests: a worker with one workflow binding, on a manual clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from workflow_helpers import workflow_config

from pyflare import Pyflare


@pytest.fixture
def start_flow(start_worker: Callable[..., Any]) -> Callable[..., Any]:
    """``await start_flow(source, compat=..., **Pyflare_kwargs)`` -> a started Pyflare on a manual clock."""

    async def start(source: str, *, compat: str = "2025-11-02", flags: str = '"python_workers"', extra: str = "",
                    workflow: str = "", files: dict[str, str] | None = None, **kwargs: Any) -> Pyflare:
        kwargs.setdefault("clock", "manual")
        return await start_worker(workflow_config(compat=compat, flags=flags, extra=extra, workflow=workflow),
                                  {"src/entry.py": source, **(files or {})}, **kwargs)

    return start
