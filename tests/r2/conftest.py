"""R2 test helpers: a worker with one bucket bound as BUCKET, and its store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pyflare.bindings.r2 import R2Plugin

CONFIG = """
name = "r2-test"
main = "src/entry.py"
compatibility_date = "2025-01-01"
compatibility_flags = ["python_workers"]

[[r2_buckets]]
binding = "BUCKET"
bucket_name = "my-bucket"
"""

ENTRY = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""


@pytest.fixture
def config(worker_dir: Callable[..., Any]) -> Any:
    """The path of a worker config with the bucket (for tests that open Pyflare themselves)."""
    return worker_dir(CONFIG, {"src/entry.py": ENTRY})


@pytest.fixture
async def mf(start_worker: Callable[..., Any]) -> Any:
    return await start_worker(CONFIG, {"src/entry.py": ENTRY}, clock="manual")


@pytest.fixture
def bucket(mf: Any) -> Any:
    return mf.env.BUCKET


@pytest.fixture
def store(mf: Any) -> Any:
    return mf.plugin(R2Plugin).stores["my-bucket"]


@pytest.fixture
def small_parts(store: Any) -> Any:
    """Shrink the 5 MiB minimum part size so multipart tests stay small."""
    store.min_part_size = 10
    return store


@pytest.fixture
def start_r2_worker(start_worker: Callable[..., Any]) -> Callable[..., Any]:
    """``await start_r2_worker(entry_source, **Pyflare_kwargs)``: a worker with BUCKET bound."""

    async def start(source: str, **kwargs: Any) -> Any:
        return await start_worker(CONFIG, {"src/entry.py": source}, **kwargs)

    return start
