"""Capture of pyflare's log lines for the cron tests."""

from __future__ import annotations

import logging
from typing import Any

import pytest


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
