"""Fault and fuzz tests: hypothesis over every binding method's arguments and over config files, and
kill -9 of a real ``pyflare dev`` under concurrent writes.

The fuzz tests run a few hundred examples per method by default (fast enough for CI). A longer run:
``PYFLARE_FUZZ=long python3 -m pytest tests/fault`` (thousands of examples per method), or any
hypothesis profile with ``--hypothesis-profile``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from fuzzing import Driver
from hypothesis import HealthCheck, settings

# CI runs the same examples every time (derandomize), so a failure there is reproducible, never luck; the
# long profile explores new examples on each run and keeps failures in .hypothesis/ to replay them.
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("PYFLARE_FUZZ", "ci"))


@pytest.fixture
def driver(worker_dir: Any) -> Iterator[Any]:
    """``driver(config_toml)`` -> a :class:`Driver` for a plain worker with that config."""
    made: list[Driver] = []
    entry = "from workers import Response\ndef on_fetch(request):\n    return Response('ok')\n"

    def make(config: str) -> Driver:
        made.append(Driver(worker_dir(config, {"src/entry.py": entry})))
        return made[-1]

    yield make
    for item in made:
        item.close()
