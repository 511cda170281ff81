"""Two `pyflare dev` processes under load, each restarted once: what was sent, answered and lost.

The example in examples/multi-process (a copy, with fresh state): `users` (a Durable Object class, the consumer of
a queue, D1) and `gateway` (binding them with `script_name` / the queue producer), each its own `pyflare dev`
with a private dev registry. Clients send, for the whole run:
- `POST /users/<id>/visit`: an RPC to the user's counter object in `users`, then a queue message, answered 200
  with the new count only when both are done;
- `POST /users/<id>/event`: a queue message only, answered 202 once it is stored in gateway's state.
A third of the way in, `users` is stopped (SIGTERM) and started again; two thirds in, `gateway` is. Visits that
need `users` while it is down get 503 with wrangler's text; requests while `gateway` is down are refused at
connect. At the end the script waits for the queue to drain and counts, per kind:
- sent, answered (2xx: acknowledged), refused (an error answer or no connection);
- lost: acknowledged but missing: a visit whose increment is not in its counter (the counters must hold at
  least the acknowledged visits; more means an answer was lost after the work was done), or an acknowledged
  message that never reached the consumer's table (duplicates, from at-least-once delivery, are counted apart).
It exits with status 1 if anything acknowledged was lost.

Run: ``python benchmarks/load_multi_process.py [--seconds 30] [--clients 8] [--users 20] [--json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "multi-process"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dev:
    """One `pyflare dev` of the example, on a fixed port (kept across its restart)."""

    def __init__(self, folder: Path, port: int, registry: Path, log: Path) -> None:
        self.folder, self.port, self.registry, self.log = folder, port, registry, log
        self.ready = log.with_suffix(".ready")
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 90.0) -> float:
        self.ready.unlink(missing_ok=True)
        started = time.monotonic()
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONUNBUFFERED": "1"}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pyflare", "dev", str(self.folder), "--port", str(self.port), "--no-reload",
                 "--registry-dir", str(self.registry), "--ready-file", str(self.ready)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        while not self.ready.is_file():  # bounded wait for its Ready line
            if self.process.poll() is not None:
                raise RuntimeError(f"pyflare dev {self.folder.name} exited:\n{self.log.read_text()}")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"pyflare dev {self.folder.name} not ready after {timeout:.0f}s:\n"
                                   f"{self.log.read_text()}")
            time.sleep(0.02)
        return time.monotonic() - started

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@dataclass
class Tally:
    sent: int = 0
    answered: int = 0
    refused: int = 0
    reasons: collections.Counter[str] = field(default_factory=collections.Counter)


@dataclass
class Run:
    visits: Tally = field(default_factory=Tally)
    events: Tally = field(default_factory=Tally)
    acked_visits: collections.Counter[str] = field(default_factory=collections.Counter)  # per user
    acked_messages: set[str] = field(default_factory=set)  # request ids whose message was acknowledged
    restarts: list[str] = field(default_factory=list)


async def client(number: int, url: str, users: int, stop: asyncio.Event, run: Run) -> None:
    rng = random.Random(number)
    sequence = 0
    async with httpx.AsyncClient(timeout=30.0) as http:
        while not stop.is_set():
            sequence += 1
            user = f"u{rng.randrange(users)}"
            request_id = f"c{number}-{sequence}"
            kind, tally = ("visit", run.visits) if rng.random() < 0.7 else ("event", run.events)
            tally.sent += 1
            try:
                response = await http.post(f"{url}/users/{user}/{kind}", headers={"x-request-id": request_id})
            except httpx.TransportError as exc:  # gateway down: not acknowledged
                tally.refused += 1
                tally.reasons[type(exc).__name__] += 1
                await asyncio.sleep(0.02)
                continue
            if response.status_code in (200, 202):
                tally.answered += 1
                run.acked_messages.add(request_id)
                if kind == "visit":
                    run.acked_visits[user] += 1
            else:
                tally.refused += 1
                reason = response.json().get("error", "") if response.status_code == 503 else response.text[:80]
                tally.reasons[f"{response.status_code} {reason}"] += 1
                await asyncio.sleep(0.02)


async def drive(gateway: Dev, users_dev: Dev, seconds: float, clients: int, users: int) -> Run:
    run = Run()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(client(n, gateway.url, users, stop, run)) for n in range(clients)]
    loop = asyncio.get_running_loop()
    await asyncio.sleep(seconds / 3)
    code = await loop.run_in_executor(None, users_dev.stop)
    took = await loop.run_in_executor(None, users_dev.start)
    run.restarts.append(f"users stopped (exit {code}) and ready again after {took:.1f}s")
    await asyncio.sleep(seconds / 3)
    code = await loop.run_in_executor(None, gateway.stop)
    took = await loop.run_in_executor(None, gateway.start)
    run.restarts.append(f"gateway stopped (exit {code}) and ready again after {took:.1f}s")
    await asyncio.sleep(seconds / 3)
    stop.set()
    await asyncio.gather(*tasks)
    return run


def settle(gateway: Dev, users_dev: Dev, run: Run, timeout: float = 120.0) -> dict[str, object]:
    """Wait for every acknowledged message to reach the consumer (bounded), then count what is where."""
    deadline = time.monotonic() + timeout
    delivered: set[str] = set()
    while time.monotonic() < deadline:
        delivered = set(httpx.get(f"{users_dev.url}/events", timeout=30).json())
        if run.acked_messages <= delivered:
            break
        time.sleep(0.2)
    stats = httpx.get(f"{users_dev.url}/stats", timeout=30).json()
    counts = {user: httpx.get(f"{gateway.url}/counters/{user}", timeout=30).json()["visits"]
              for user in run.acked_visits}
    lost_visits = sum(max(0, acked - counts[user]) for user, acked in run.acked_visits.items())
    extra_visits = sum(max(0, counts[user] - acked) for user, acked in run.acked_visits.items())
    lost_messages = len(run.acked_messages - delivered)
    return {
        "visits": {"sent": run.visits.sent, "answered": run.visits.answered, "refused": run.visits.refused,
                   "lost": lost_visits, "done_but_unanswered": extra_visits,
                   "refusals": dict(run.visits.reasons.most_common(4))},
        "events": {"sent": run.events.sent, "answered": run.events.answered, "refused": run.events.refused,
                   "refusals": dict(run.events.reasons.most_common(4))},
        "messages": {"acknowledged": len(run.acked_messages), "delivered": len(delivered & run.acked_messages),
                     "lost": lost_messages, "redelivered": int(stats["deliveries"]) - int(stats["events"])},
        "restarts": run.restarts,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pyflare-load-"))
    try:
        shutil.copytree(EXAMPLE, work / "app", ignore=shutil.ignore_patterns(".pyflare"))
        registry = work / "registry"
        users_dev = Dev(work / "app" / "users", free_port(), registry, work / "users.log")
        gateway = Dev(work / "app" / "gateway", free_port(), registry, work / "gateway.log")
        users_dev.start()
        gateway.start()
        try:
            run = asyncio.run(drive(gateway, users_dev, args.seconds, args.clients, args.users))
            report = settle(gateway, users_dev, run)
        finally:
            for dev in (gateway, users_dev):
                if dev.process is not None and dev.process.poll() is None:
                    dev.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(report))
    else:
        for name in ("visits", "events", "messages"):
            print(f"{name:9} " + "  ".join(f"{k}={v}" for k, v in report[name].items()))  # type: ignore[union-attr]
        for line in report["restarts"]:  # type: ignore[union-attr]
            print(f"restart   {line}")
    lost = report["visits"]["lost"] + report["messages"]["lost"]  # type: ignore[index]
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
