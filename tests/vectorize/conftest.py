"""Fixtures for Vectorize tests: a worker bound to declared indexes, searched with NumPy and without."""

from __future__ import annotations

from typing import Any

import pytest

from pyflare.bindings.vectorize import search

PLAIN_ENTRY = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""


def index_config(dimensions: int = 4, metric: str = "cosine", extra: str = "") -> str:
    """A config binding ``env.VECTORS`` to an index "docs" of the given shape (no metadata indexes)."""
    return f"""
name = "vectorize-test"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[vectorize]]
binding = "VECTORS"
index_name = "docs"

[pyflare.vectorize.docs]
dimensions = {dimensions}
metric = "{metric}"
{extra}
"""


# index "docs": 4 dimensions, cosine, metadata indexes on category, year, draft and author.name
INDEX_CONFIG = index_config(extra='metadata_indexes = { category = "string", year = "number", draft = "boolean", '
                                  '"author.name" = "string" }')


@pytest.fixture(params=["numpy", "python"])
def backend(request: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with NumPy's search and with the pure-Python one."""
    if request.param == "numpy":
        pytest.importorskip("numpy")
    monkeypatch.setattr(search, "PREFER_NUMPY", request.param == "numpy")
    return request.param


@pytest.fixture
def vectorize_worker() -> tuple[str, dict[str, str]]:
    return INDEX_CONFIG, {"src/entry.py": PLAIN_ENTRY}


@pytest.fixture
async def mf(start_worker: Any, backend: str) -> Any:
    """A started Pyflare with ``env.VECTORS`` (index "docs": 4 dimensions, cosine), fresh storage, manual clock."""
    return await start_worker(INDEX_CONFIG, {"src/entry.py": PLAIN_ENTRY}, clock="manual")


@pytest.fixture
def index(mf: Any) -> Any:
    return mf.env.VECTORS


@pytest.fixture
def make_index(start_worker: Any, backend: str) -> Any:
    """``await make_index(dimensions=, metric=, extra=)`` -> ``env.VECTORS`` of a fresh worker."""

    async def make(dimensions: int = 4, metric: str = "cosine", extra: str = "") -> Any:
        mf = await start_worker(index_config(dimensions, metric, extra), {"src/entry.py": PLAIN_ENTRY}, clock="manual")
        return mf.env.VECTORS

    return make
