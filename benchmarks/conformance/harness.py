"""Run operation sequences on Miniflare (workerd) and on pyflare, side by side.

Miniflare is installed from the npm registry (an exact version, :data:`MINIFLARE_VERSION`) into a cache
folder: ``$PYFLARE_CONFORMANCE_CACHE``, else ``~/.cache/pyflare-conformance``. It is never a dependency of
pyflare. ``driver.mjs`` starts it once with ``worker.mjs``; pyflare runs in this process with
``pyworker/`` (a Python worker with the same bindings). Both sides get the same sequences in the same
order and answer with descriptions of what a Python worker sees (see worker.mjs).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
MINIFLARE_VERSION = "4.20260730.0"
BATCH = 20  # sequences per request (one request runs them in order; keeps each request small)
SETTLE_HORIZON_SECONDS = 120
INSTALL_TIMEOUT_SECONDS = 900  # a first install downloads workerd (about 100 MB)


class Unavailable(RuntimeError):
    """Node, npm or Miniflare is missing: the suite cannot run here (one line says why)."""


def cache_folder() -> Path:
    configured = os.environ.get("PYFLARE_CONFORMANCE_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "pyflare-conformance"


def install_miniflare(folder: Path | None = None) -> Path:
    """The folder holding ``node_modules/miniflare`` at :data:`MINIFLARE_VERSION`, installed if missing.

    Two runs sharing the cache folder (two test sessions, a test and the report script) take turns: the
    install holds a lock file, and the second finds Miniflare installed."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise Unavailable("conformance suite skipped: node/npm not found on PATH")
    folder = (folder or cache_folder()) / f"miniflare-{MINIFLARE_VERSION}"
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / ".install.lock"):
        if _installed(folder):
            return folder
        (folder / "package.json").write_text('{"private": true, "type": "module"}\n')
        try:
            result = subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--save-exact",
                 f"miniflare@{MINIFLARE_VERSION}"],
                cwd=folder, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            raise Unavailable(f"conformance suite skipped: npm install miniflare@{MINIFLARE_VERSION} took over "
                              f"{INSTALL_TIMEOUT_SECONDS} s (is the npm registry reachable?)") from None
        if result.returncode != 0 or not _installed(folder):
            tail = result.stderr.strip().splitlines()[-1:] or ["(no output)"]
            raise Unavailable(f"conformance suite skipped: npm install miniflare@{MINIFLARE_VERSION} failed: "
                              f"{tail[0]}")
    return folder


def _installed(folder: Path) -> bool:
    package = folder / "node_modules" / "miniflare" / "package.json"
    try:
        return json.loads(package.read_text()).get("version") == MINIFLARE_VERSION
    except (OSError, ValueError):
        return False


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` while installing (where the OS has fcntl; elsewhere, no lock)."""
    try:
        import fcntl
    except ImportError:  # Windows: concurrent installs into one cache folder are not guarded
        yield
        return
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _split_at_settle(sequence: dict[str, Any]) -> list[list[dict[str, Any]]]:
    parts: list[list[dict[str, Any]]] = [[]]
    for op in sequence["ops"]:
        if op.get("settle"):
            parts.append([])
        else:
            parts[-1].append(op)
    return parts


def batches(sequences: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    """Sequences in requests of :data:`BATCH`; a ``heavy`` one (values of many MiB) in a request of its own,
    so no request of workerd's holds more than one of them."""
    chunk: list[dict[str, Any]] = []
    for sequence in sequences:
        if sequence.get("heavy"):
            if chunk:
                yield chunk
            yield [sequence]
            chunk = []
            continue
        chunk.append(sequence)
        if len(chunk) == BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class Outcome:
    """One side's answers for one sequence: a result per operation, or why the sequence failed whole."""

    results: list[dict[str, Any]] = field(default_factory=list)
    failed: str | None = None


class MiniflareSide:
    name = "miniflare"

    def __init__(self, folder: Path) -> None:
        self.log = folder / "driver.log"  # Miniflare's and workerd's own output, for when something breaks
        with self.log.open("w") as log:
            self._proc = subprocess.Popen(
                ["node", str(HERE / "driver.mjs"), str(folder)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                cwd=HERE,  # Miniflare names the worker's modules relative to the working folder: stay above them
            )
        line = ""
        while self._proc.stdout and not line.startswith("ready "):
            line = self._proc.stdout.readline()
            if not line:
                break
        if not line.startswith("ready "):
            self._proc.kill()
            raise Unavailable(f"conformance suite skipped: Miniflare did not start: {self.log_tail()}")
        self.url = line.split()[1]
        # Miniflare logs to stdout too: keep reading it, or a full pipe would block node (and workerd with it).
        threading.Thread(target=self._drain, daemon=True).start()
        # A fresh connection per request: a kept-alive one that workerd closes while idle would reset the
        # next request, and a batch cannot simply be sent again (its Durable Objects keep what it wrote).
        self._client = httpx.Client(timeout=300, limits=httpx.Limits(max_keepalive_connections=0))

    def _drain(self) -> None:
        assert self._proc.stdout is not None
        with self.log.open("a") as log:
            for line in self._proc.stdout:
                log.write(line)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace").strip()[-1500:]

    def run(self, sequences: list[dict[str, Any]]) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        for chunk in batches(sequences):
            try:
                answer = self._client.post(self.url, json={"sequences": chunk})
                answer.raise_for_status()
            except httpx.HTTPError as exc:
                ids = f"{chunk[0]['id']}..{chunk[-1]['id']}"
                raise RuntimeError(f"Miniflare failed running {ids}: {exc}\n{self.log_tail()}") from None
            for item in answer.json():
                out[item["id"]] = Outcome(item.get("results", []), item.get("failed"))
        return out

    def close(self) -> None:
        self._client.close()
        if self._proc.stdin:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()


class PyflareSide:
    """pyflare in this process, with the Python worker of ``pyworker/``. Queue sequences are run in parts:
    at each ``settle`` the harness delivers what is due (and moves the clock past delays), as the
    consumer would in time."""

    name = "pyflare"

    def __init__(self) -> None:
        from pyflare import Pyflare

        self.mf = Pyflare(HERE / "pyworker" / "wrangler.toml")

    async def start(self) -> None:
        await self.mf.start()

    async def _post(self, sequences: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answer = await self.mf.dispatch_fetch("/", method="POST", json={"sequences": sequences})
        if answer.status_code != 200:
            raise RuntimeError(f"the pyflare worker answered {answer.status_code}: {answer.text[:2000]}")
        return answer.json()

    async def run(self, sequences: list[dict[str, Any]]) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        plain = [s for s in sequences if not any(op.get("settle") for op in s["ops"])]
        for chunk in batches(plain):
            for item in await self._post(chunk):
                out[item["id"]] = Outcome(item.get("results", []), item.get("failed"))
        for sequence in sequences:
            if sequence in plain:
                continue
            outcome = Outcome()
            for index, part in enumerate(_split_at_settle(sequence)):
                if index:
                    await self.settle_queues()
                item = (await self._post([{**sequence, "ops": part, "binding": "none" if index else sequence.get("binding")}]))[0]
                outcome.results.extend(item.get("results", []))
                if item.get("failed"):
                    outcome.failed = item["failed"]
                    break
            out[sequence["id"]] = outcome
        return out

    async def settle_queues(self) -> None:
        from pyflare.testing.queues import drain, messages

        for _ in range(50):
            await drain(self.mf)
            now = self.mf.clock.time()
            # Messages due within a couple of minutes (retry delays) are waited for, as Miniflare waits in
            # real time; a message delayed by hours (a limits sequence) stays where it is.
            due = [m["availableAt"] for queue in ("work", "dlq", "batched") for m in messages(self.mf, queue)
                   if m["availableAt"] - now <= SETTLE_HORIZON_SECONDS]
            if not due:
                return
            self.mf.clock.set(max(min(due), now) + 0.001)

    async def close(self) -> None:
        await self.mf.close()


def python_path_note() -> str:
    import pyflare

    return str(Path(pyflare.__file__).resolve().parent)


def flatten(groups: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [sequence for group in groups for sequence in group]


__all__ = ["MINIFLARE_VERSION", "MiniflareSide", "Outcome", "PyflareSide", "Unavailable", "install_miniflare"]

if __name__ == "__main__":  # pragma: no cover - a manual check that Miniflare installs
    print(install_miniflare(), file=sys.stderr)
