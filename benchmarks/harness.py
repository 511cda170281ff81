"""Shared benchmark plumbing: start a server, wait for its first 200, drive it with wrk, read peak RSS.

Baselines live here too: a raw ASGI app on uvicorn + httptools + uvloop (the fastest a Python server
gets on this machine) and Miniflare, installed from the npm registry into a temporary folder when
``node``/``npm`` exist (never a dependency of pyflare).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    startup_s: float
    startup_cpu_s: float = 0.0  # CPU time the server had used when its first 200 arrived

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]

    def rss_mb(self) -> float:
        """Resident memory now (VmRSS), summed over the server and the processes it started."""
        total = 0
        for pid in self.tree():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"VmRSS:\s+(\d+) kB", status)
            total += int(found.group(1)) if found else 0
        return total / 1024

    def tree(self) -> list[int]:
        """The server's pid and its descendants'."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except OSError:
                    continue
                children.setdefault(parent, []).append(int(entry.name))
        pids, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo.extend(children.get(pid, []))
        return pids

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and every process it started (workerd under
        node): unlike requests/s this barely moves when other work shares the machine."""
        tick = os.sysconf("SC_CLK_TCK")
        children: dict[int, list[int]] = {}
        stats: dict[int, list[str]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        total, todo = 0, [self.proc.pid]
        while todo:
            pid = todo.pop()
            fields = stats.get(pid)
            if fields is not None:
                total += int(fields[11]) + int(fields[12])  # utime, stime
            todo.extend(children.get(pid, []))
        return total / tick

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start(cmd: list[str], port: int, path: str = "/", cwd: Path | None = None, timeout: float = 30,
          env: dict[str, str] | None = None) -> Server:
    """Start ``cmd`` and poll until ``path`` answers 200; the time taken is start-to-first-200."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    with httpx.Client() as client:
        while time.perf_counter() - started < timeout:
            try:
                if client.get(url + path, timeout=1).status_code == 200:
                    server = Server(proc, url, time.perf_counter() - started)
                    server.startup_cpu_s = server.cpu_seconds()
                    return server
            except httpx.TransportError:
                pass
            time.sleep(0.002)
    proc.kill()
    raise RuntimeError(f"{cmd} did not answer 200 within {timeout}s")


def pyflare_dev(config: Path, port: int, *extra: str, python: str = sys.executable) -> list[str]:
    """``pyflare dev`` for ``config``; ``python`` picks the interpreter (e.g. a venv of an older pyflare)."""
    return [python, "-m", "pyflare.cli", "dev", str(config), "--port", str(port), "--no-reload", *extra]


def uvicorn_app(app: str, port: int, app_dir: Path, fast: bool = True) -> list[str]:
    """uvicorn serving ``module:app``; ``fast`` forces httptools + uvloop, else h11 + asyncio."""
    stack = ["--http", "httptools", "--loop", "uvloop"] if fast else ["--http", "h11", "--loop", "asyncio"]
    return [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--app-dir", str(app_dir),
            "--log-level", "warning", "--no-access-log", *stack]


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int = 0
    cpu_us: float = 0.0  # server CPU time per request (see Server.cpu_seconds), when measured

    def best(self, other: Load) -> Load:
        return self if self.rps >= other.rps else other


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, seconds: int = 5, threads: int = 2, connections: int = 32, script: Path | None = None) -> Load:
    """Run wrk against ``url`` (bounded in time, loopback only) and parse its figures."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed for this benchmark: apt-get install -y wrk")
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses from {url}:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return Load(rps, p50, p99, requests)


def measured(server: Server, url: str, seconds: int, script: Path | None = None) -> Load:
    """wrk against ``url`` with the server's CPU time per request recorded too."""
    before = server.cpu_seconds()
    load = wrk(url, seconds=seconds, script=script)
    load.cpu_us = (server.cpu_seconds() - before) * 1e6 / max(load.requests, 1)
    return load


def env_without_pythonpath() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline else "n/a"


MINIFLARE_VERSION = "4"


def miniflare_dir() -> Path | None:
    """A temporary folder with Miniflare installed from the npm registry, or None (with a message) if
    node/npm are missing or the install fails. Reused across runs of the same machine (in /tmp)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        print("Miniflare baseline skipped: node/npm not found on PATH")
        return None
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"pyflare-bench-miniflare{MINIFLARE_VERSION}"
    if not (folder / "node_modules" / "miniflare").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text('{"private": true, "type": "module"}\n')
        result = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", f"miniflare@{MINIFLARE_VERSION}"],
            cwd=folder, capture_output=True, text=True,
        )
        if result.returncode != 0:
            print(f"Miniflare baseline skipped: npm install failed:\n{result.stderr.strip()[-2000:]}")
            return None
    return folder


MINIFLARE_SERVER = """
import { Miniflare } from "miniflare";
import { readFileSync } from "node:fs";
const [port, script, persist, extra] = process.argv.slice(2);
const mf = new Miniflare({
  host: "127.0.0.1", port: Number(port), modules: true, script: readFileSync(script, "utf8"),
  kvNamespaces: ["KV"], d1Databases: ["DB"], kvPersist: persist, d1Persist: persist,
  ...(extra ? JSON.parse(readFileSync(extra, "utf8")) : {}),
});
await mf.ready;
console.log("ready");
"""


def miniflare(folder: Path, script: Path, port: int, options: dict | None = None) -> list[str]:
    """The command that serves the JS module worker ``script`` with Miniflare (KV binding KV, D1 binding DB,
    plus any Miniflare ``options``, e.g. ``durableObjects``; ``"<persist>"`` in a value is the state folder)."""
    server = folder / "serve.mjs"
    server.write_text(MINIFLARE_SERVER)
    persist = script.parent / "miniflare-state"
    command = ["node", str(server), str(port), str(script), str(persist)]
    if options:
        extra = script.parent / "miniflare-options.json"
        extra.write_text(json.dumps(options).replace('"<persist>"', json.dumps(str(persist))))
        command.append(str(extra))
    return command
