"""Fixture starting a worker with queue bindings on a manual clock."""

from __future__ import annotations

import logging
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


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def pyflare_log() -> Any:
    """Messages logged on the "pyflare" logger during the test (works even if another test stopped it
    propagating to the root logger, as ``pyflare dev`` does)."""
    logger = logging.getLogger("pyflare")
    handler = _Records()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)
