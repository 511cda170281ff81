"""examples/multi-process as two ``pyflare dev`` processes joined by a dev registry: a service binding (fetch and
RPC), Durable Objects of the other worker (fetch and RPC), a queue consumed by the other worker and a workflow it
runs all cross the processes; while the other process is stopped its bindings say so with wrangler's text and
queue messages wait; when it is back everything works again and nothing acknowledged is lost. Also the load
script of the issue's "Done means" (benchmarks/load_multi_process.py), run short, and the peer endpoint's guard.

Waits here are real time on purpose (bounded): they wait for other processes, not for pyflare's clock."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from pyflare.peers import RegistryFolder

ROOT = Path(__file__).resolve().parents[2]
LOAD_SCRIPT = ROOT / "benchmarks" / "load_multi_process.py"
MISSING = 'Worker "users" not found. Make sure it is running locally.'


def load_script() -> Any:
    spec = importlib.util.spec_from_file_location("load_multi_process", LOAD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f}s: {what}")
        time.sleep(0.05)


def visits_line(gateway: Any) -> str:
    """The mode the gateway's banner (or its latest live line) gives env.VISITS, as wrangler prints it."""
    lines = [line for line in gateway.log.read_text().splitlines()
             if line.startswith("env.VISITS (VisitCounter, defined in users) ")]
    return lines[-1].split("Durable Object")[-1].strip() if lines else ""


def test_bindings_cross_two_pyflare_dev_processes_and_survive_a_restart(tmp_path: Path) -> None:
    load = load_script()
    shutil.copytree(ROOT / "examples" / "multi-process", tmp_path / "app", ignore=shutil.ignore_patterns(".pyflare"))
    registry = tmp_path / "registry"
    users = load.Dev(tmp_path / "app" / "users", load.free_port(), registry, tmp_path / "users.log")
    gateway = load.Dev(tmp_path / "app" / "gateway", load.free_port(), registry, tmp_path / "gateway.log")
    users.start()
    gateway.start()
    try:
        with httpx.Client(base_url=gateway.url, timeout=30) as http:
            # Durable Object RPC, then the queue: acknowledged answers.
            assert http.post("/users/ada/visit", headers={"x-request-id": "v1"}).json() == {"user": "ada", "visits": 1}
            assert http.post("/users/ada/visit", headers={"x-request-id": "v2"}).json()["visits"] == 2
            # The object's own fetch, through a stub in the other process.
            counter = http.get("/counters/ada").json()
            assert counter["visits"] == 2 and counter["method"] == "GET"
            # Service binding: fetch (answered by users, which reads its object and its D1) and RPC.
            assert http.get("/whoami").json() == {"worker": "users", "classes": ["VisitCounter"],
                                                  "queues": ["visit-events"]}
            # a request body streaming in is read whole and carried over (200 KB)
            assert http.post("/users/ada", content=b"x" * 200_000).json()["user"] == "ada"
            wait_for(lambda: http.get("/users/ada").json() == {"user": "ada", "visits": 2, "events": 2},
                     "both visit events consumed by users")
            # A workflow whose class lives in users: created from gateway, run there, its status asked from here.
            instance = http.post("/users/ada/welcome").json()["instance"]
            status = wait_for(lambda: (s := http.get(f"/welcome/{instance}").json())["status"] == "complete" and s,
                              "the welcome workflow completes in users")
            assert status["output"] == {"welcomed": "ada"}

            # users stops: gateway says so, with wrangler's text, and keeps queue messages.
            assert users.stop() == 0
            wait_for(lambda: visits_line(gateway) == "local [not connected]", "the banner line changes")
            assert http.get("/users/ada").status_code == 503
            assert http.get("/users/ada").text == MISSING
            assert http.post("/users/ada/visit").json() == {"error": MISSING}
            assert http.post("/users/ada/event", headers={"x-request-id": "e1"}).status_code == 202
            assert http.post("/users/bob/event", headers={"x-request-id": "e2"}).status_code == 202

            users.start()  # same state folder: the counter and the waiting events are there
            wait_for(lambda: http.get("/users/ada").status_code == 200, "users reachable again")
            wait_for(lambda: visits_line(gateway) == "local [connected]", "the banner line changes back")
            assert http.post("/users/ada/visit", headers={"x-request-id": "v3"}).json()["visits"] == 3
            delivered = wait_for(lambda: {"v1", "v2", "v3", "e1", "e2"} <= set(s := httpx.get(
                f"{users.url}/events", timeout=30).json()) and s, "the waiting events delivered")
            assert sorted(delivered) == ["e1", "e2", "v1", "v2", "v3"]
    finally:
        for dev in (gateway, users):
            if dev.process is not None and dev.process.poll() is None:
                dev.stop()


def test_the_registry_folder_holds_live_workers_and_a_private_secret_and_the_peer_endpoint_wants_it(
        tmp_path: Path) -> None:
    load = load_script()
    shutil.copytree(ROOT / "examples" / "multi-process" / "users", tmp_path / "users",
                    ignore=shutil.ignore_patterns(".pyflare"))
    registry = tmp_path / "registry"
    users = load.Dev(tmp_path / "users", load.free_port(), registry, tmp_path / "users.log")
    users.start()
    try:
        entry = json.loads((registry / "users.json").read_text())
        assert entry["url"] == users.url and entry["pid"] == users.process.pid
        assert entry["queues"] == ["visit-events"] and entry["classes"] == ["VisitCounter"]
        assert entry["workflows"] == {"welcome": "Welcome"}
        assert stat.S_IMODE(os.stat(registry).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(registry / "secret").st_mode) == 0o600
        secret = (registry / "secret").read_text().strip()
        call = f"{users.url}/cdn-cgi/local/peers/v1/call"
        body = b'{"worker": "users", "method": "describe", "args": []}'
        for token in ("", "0" * len(secret)):  # no token, or a wrong one: refused before anything runs
            refused = httpx.post(call, content=body, headers={"x-pyflare-peer-token": token}, timeout=30)
            assert refused.status_code == 403 and "token" in refused.text
        ping = httpx.get(f"{users.url}/cdn-cgi/local/peers/v1/ping", timeout=30,
                         headers={"x-pyflare-peer-token": secret, "x-pyflare-peer-instance": entry["instance"]})
        assert ping.json() == {"instance": entry["instance"]}
        users.process.kill()  # kill -9: the kernel drops its lock, so the entry is stale at once
        users.process.wait()
        assert "users" not in RegistryFolder(registry).entries()
        assert not (registry / "users.json").exists()  # the reader removed the stale file
    finally:
        if users.process is not None and users.process.poll() is None:
            users.stop()


def test_the_load_script_restarts_both_processes_under_load_and_loses_nothing_acknowledged() -> None:
    result = subprocess.run([sys.executable, str(LOAD_SCRIPT), "--seconds", "4", "--clients", "3", "--users", "3",
                             "--json"], capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    for kind in ("visits", "events"):
        counts = report[kind]
        assert counts["sent"] == counts["answered"] + counts["refused"] and counts["answered"] > 0, report
    assert report["visits"]["lost"] == 0 and report["messages"]["lost"] == 0
    assert report["messages"]["acknowledged"] == report["visits"]["answered"] + report["events"]["answered"]
    assert report["messages"]["delivered"] == report["messages"]["acknowledged"]
    assert [line.split()[0] for line in report["restarts"]] == ["users", "gateway"]
