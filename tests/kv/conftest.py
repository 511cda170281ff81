"""Fixtures for KV tests: a started worker with one KV namespace on a manual clock."""

from __future__ import annotations

from typing import Any

import pytest

KV_CONFIG = """
name = "kv-test"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[kv_namespaces]]
binding = "KV"
id = "test-namespace"
"""

PLAIN_ENTRY = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""


@pytest.fixture
def kv_worker() -> tuple[str, dict[str, str]]:
    """``(config_toml, files)`` of a plain worker with one KV namespace, for tests that start their own."""
    return KV_CONFIG, {"src/entry.py": PLAIN_ENTRY}


@pytest.fixture
async def mf(start_worker: Any) -> Any:
    """A started Pyflare with ``env.KV``, fresh storage and a manual clock."""
    return await start_worker(KV_CONFIG, {"src/entry.py": PLAIN_ENTRY}, clock="manual")


@pytest.fixture
def kv(mf: Any) -> Any:
    return mf.env.KV
