"""Fixture starting a worker with queue bindings on a manual clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from queue_worker import CONSUMER, config

from pyflare import Pyflare


@pytest.fixture
def start_queues(start_worker: Callable[..., Any]) -> Callable[..., Any]:
    """``await start_queues(consumer=consumer_block(...))`` -> a started Pyflare on a manual clock."""

    async def start(*, consumer: str = "", producers: str = "", compat: str = "2025-01-01",
                    source: str = CONSUMER, **kwargs: Any) -> Pyflare:
        kwargs.setdefault("clock", "manual")
        return await start_worker(config(consumer=consumer, producers=producers, compat=compat),
                                  {"src/entry.py": source}, **kwargs)

    return start


