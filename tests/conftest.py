"""Shared fixtures: build small workers on disk and start them with fresh isolated storage."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from pyflare import Pyflare

pytest_plugins = ["pytester"]


def write_worker(folder: Path, config: str, files: dict[str, str], *, config_name: str = "wrangler.toml") -> Path:
    """Write a config (TOML text unless ``config_name`` says otherwise) and the worker's files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / config_name).write_text(textwrap.dedent(config))
    for name, source in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return folder / config_name


@pytest.fixture
def worker_dir(tmp_path: Path) -> Callable[..., Path]:
    """``worker_dir(config_toml, {"src/entry.py": source})`` -> path of the config file."""

    def make(config: str, files: dict[str, str], **kwargs: object) -> Path:
        return write_worker(tmp_path / "worker", config, files, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
async def start_worker(worker_dir: Callable[..., Path]) -> AsyncIterator[Callable[..., object]]:
    """``await start_worker(config_toml, files, **Pyflare_kwargs)`` -> a started Pyflare, closed after the test."""
    started: list[Pyflare] = []

    async def start(config: str, files: dict[str, str], **kwargs: object) -> Pyflare:
        mf = Pyflare(worker_dir(config, files), **kwargs)  # type: ignore[arg-type]
        await mf.start()
        started.append(mf)
        return mf

    yield start
    for mf in started:
        await mf.close()


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
