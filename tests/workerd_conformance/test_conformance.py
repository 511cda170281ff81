"""pyflare against Miniflare (workerd): the differential conformance suite of benchmarks/conformance/.

Runs every hand-written sequence and a share of the generated ones (all of them with
``PYFLARE_CONFORMANCE_FULL=1``) on both sides, once per session, and fails on any difference that
benchmarks/conformance/known.py does not record as known and intended. Without node/npm (or when Miniflare
cannot be installed) it skips with one line; ``PYFLARE_CONFORMANCE=0`` skips it on purpose. Miniflare is
installed into ``$PYFLARE_CONFORMANCE_CACHE`` (default ``~/.cache/pyflare-conformance``). The full report:
``python3 benchmarks/bench_conformance.py`` (docs/conformance.md).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from conformance.compare import report  # noqa: E402
from conformance.harness import Unavailable  # noqa: E402
from conformance.run import Run, run_suite  # noqa: E402

CI_SHARE = 4  # without PYFLARE_CONFORMANCE_FULL, one generated sequence in CI_SHARE is run
BINDINGS = {"kv", "r2", "d1", "do-sqlite", "do-kv", "do-sql", "queues", "cache", "websockets"}


@pytest.fixture(scope="module")
def conformance() -> Run:
    if os.environ.get("PYFLARE_CONFORMANCE") == "0":
        pytest.skip("conformance suite skipped: PYFLARE_CONFORMANCE=0")
    full = os.environ.get("PYFLARE_CONFORMANCE_FULL") == "1"
    try:
        return asyncio.run(run_suite(generated_share=1 if full else CI_SHARE))
    except Unavailable as exc:
        pytest.skip(str(exc))


def test_every_difference_from_workerd_is_known_and_intended(conformance: Run) -> None:
    assert not conformance.comparison.unexplained, report(conformance.comparison, title=conformance.title)


def test_every_binding_is_compared(conformance: Run) -> None:
    assert set(conformance.comparison.operations) >= BINDINGS
    assert all(conformance.comparison.operations[binding] > 0 for binding in BINDINGS)
