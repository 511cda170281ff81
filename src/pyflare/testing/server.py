"""A real ``pyflare dev`` in a subprocess on a free port, for clients that need a socket (browsers, requests,
another process): the ``pyflare_server`` fixture, and usable on its own::

    with PyflareServer("wrangler.toml") as server:
        httpx.get(server.url + "/")

The server starts with temporary state (``--no-persist``) unless ``persist_to`` is given, listens on
127.0.0.1 on a port the OS picks (so parallel test processes under pytest-xdist never collide), and is
ready when ``pyflare dev --ready-file`` writes its URL. Its output goes to ``server.log_path``, shown if it
fails to start. ``apply_migrations=True`` applies every D1 database's migrations before it is ready
(``pyflare dev --apply-migrations``). Each server has a dev registry of its own; servers given the same
``registry=`` folder reach each other's workers (service bindings, Durable Objects, queues, workflows of
other processes; docs/multi-process.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType


class ServerFailed(RuntimeError):
    """``pyflare dev`` exited or did not become ready in time; the message holds its output."""


class PyflareServer:
    """``pyflare dev`` for ``config`` (a path or a list of paths: several workers, the first served)."""

    def __init__(
        self,
        config: str | Path | list[str | Path],
        *,
        persist_to: str | Path | None = None,
        environment: str | None = None,
        vars: dict[str, str] | None = None,
        args: list[str] | None = None,
        timeout: float = 60.0,
        apply_migrations: bool = False,
        registry: str | Path | None = None,
    ) -> None:
        configs = config if isinstance(config, (list, tuple)) else [config]
        self.configs = [Path(c) for c in configs]
        self.persist_to = Path(persist_to) if persist_to is not None else None
        self.environment = environment
        self.vars = vars or {}
        self.args = args or []
        self.timeout = timeout
        self.apply_migrations = apply_migrations
        self.registry = Path(registry) if registry is not None else None
        self.url = ""
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._folder = Path(tempfile.mkdtemp(prefix="pyflare-server-"))
        self.log_path = self._folder / "pyflare-dev.log"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "pyflare", "dev"]
        for config in self.configs:
            cmd += ["-c", str(config)]
        cmd += ["--ip", "127.0.0.1", "--port", "0", "--no-reload", "--ready-file", str(self._folder / "ready")]
        cmd += ["--persist-to", str(self.persist_to)] if self.persist_to is not None else ["--no-persist"]
        if self.environment:
            cmd += ["--env", self.environment]
        for key, value in self.vars.items():
            cmd += ["--var", f"{key}:{value}"]
        if self.apply_migrations:
            cmd.append("--apply-migrations")
        # Hermetic unless asked: a registry folder of its own, so it neither joins the developer's running
        # `pyflare dev` sessions nor is reached by them.
        cmd += ["--registry-dir", str(self.registry if self.registry is not None else self._folder / "registry")]
        return cmd + self.args

    def start(self) -> PyflareServer:
        ready = self._folder / "ready"
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        log.close()
        deadline = time.monotonic() + self.timeout
        while not ready.is_file():
            if self.process.poll() is not None:
                raise ServerFailed(f"pyflare dev exited with status {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ServerFailed(f"pyflare dev was not ready after {self.timeout:.0f}s:\n{self.output()}")
            time.sleep(0.01)
        self.url = ready.read_text(encoding="utf-8").strip()
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def output(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (a clean stop that loses nothing acknowledged), then kill if it hangs; the exit status."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self._folder, ignore_errors=True)
        return process.returncode

    def __enter__(self) -> PyflareServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<PyflareServer {self.url or 'not started'}>"
