"""Shared fixtures: build small workers on disk and start them with fresh isolated storage."""

from __future__ import annotations

import contextlib
import logging
import socket
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from pyflare import Pyflare
from pyflare.runtime.server import server_options

pytest_plugins = ["pytester"]


def pytest_configure(config: pytest.Config) -> None:
    """`pyflare dev` started by a test (or a PyflareServer joining a registry) must never announce itself in the
    developer's own dev registry: this session (each xdist process) has a registry folder of its own."""
    import os
    import tempfile

    os.environ["PYFLARE_REGISTRY_PATH"] = tempfile.mkdtemp(prefix="pyflare-test-registry-")


def write_worker(folder: Path, config: str, files: dict[str, str], *, config_name: str = "wrangler.toml") -> Path:
    """Write a config (TOML text unless ``config_name`` says otherwise) and the worker's files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / config_name).write_text(textwrap.dedent(config))
    for name, source in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return folder / config_name


@contextlib.asynccontextmanager
async def serve_on_loopback(app: Any, **options: Any) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port, on the test's own loop; yields its URL.

    For clients that need a socket (botocore, a browser, raw bytes) while the test keeps in-process access
    to the Pyflare behind the app. ``options`` go to ``uvicorn.Config``; ``http="h11"`` picks pyflare's h11
    protocol instead of its httptools one (both as ``pyflare dev`` runs them). The socket is
    an IPPROTO_TCP one, as ``pyflare dev`` listens (no Nagle delay); startup()/shutdown() skip serve()'s
    0.1 s polling loop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    options = {**server_options(options.pop("http", "auto")), **options}  # pyflare dev's protocols
    config = uvicorn.Config(app, lifespan="off", access_log=False, log_level="warning", **options)
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    await server.startup(sockets=[sock])
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.force_exit = True
        await server.shutdown(sockets=[sock])
        sock.close()


def s3_client(endpoint: str, key: str, secret: str) -> Any:
    """A boto3 S3 client for pyflare's R2 S3 endpoint (``<url>/cdn-cgi/local/r2/s3``), path-style, no retries."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                        region_name="auto", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


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
