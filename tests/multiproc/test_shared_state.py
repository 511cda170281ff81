"""Several processes on one state folder: KV, R2, D1, Queues and the Cache lose nothing under concurrent use; each
Durable Object has one live instance across the processes (one hosts the class, the others reach it through
it), and a host killed with ``kill -9`` is taken over without losing an acknowledged write."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare

CLIENT = Path(__file__).with_name("shared_state_client.py")

CONFIG = """
name = "shared"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]
[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Counter"]
[[kv_namespaces]]
binding = "KV"
id = "kv"
[[r2_buckets]]
binding = "BUCKET"
bucket_name = "files"
[[d1_databases]]
binding = "DB"
database_name = "shared-db"
database_id = "00000000-0000-0000-0000-0000000000aa"
[[queues.producers]]
binding = "JOBS"
queue = "jobs"
[[queues.consumers]]
queue = "jobs"
max_batch_size = 10
max_batch_timeout = 0
[pyflare]
apply_migrations = true
"""

ENTRY = """
import os
from urllib.parse import parse_qs, urlparse
from js import Request, caches
from workers import DurableObject, Response, WorkerEntrypoint

BUILT = []

class Counter(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        BUILT.append(1)

    async def increment(self):
        n = (await self.ctx.storage.get("n") or 0) + 1
        await self.ctx.storage.put("n", n)
        return {"value": n, "host": os.getpid(), "built": len(BUILT)}

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        q = parse_qs(urlparse(request.url).query)
        key = f"{q['tag'][0]}-{q['n'][0]}"
        result = dict(await self.env.COUNTER.getByName("c").increment())
        await self.env.KV.put(key, "kv")
        await self.env.BUCKET.put(key, b"r2" * 100)
        await self.env.DB.prepare("INSERT INTO rows (key) VALUES (?)").bind(key).run()
        await self.env.JOBS.send({"key": key})
        cache = await caches.open("shared")
        await cache.put(Request.new(f"https://cache/{key}"), Response("cached", headers={"cache-control": "max-age=3600"}))
        return Response.json({**result, "key": key, "me": os.getpid()})

    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            await env.DB.prepare("INSERT INTO delivered (key, pid) VALUES (?, ?)").bind(message.body["key"], os.getpid()).run()
        batch.ackAll()
"""

MIGRATION = "CREATE TABLE rows (key TEXT PRIMARY KEY);\nCREATE TABLE delivered (key TEXT, pid INTEGER);\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_worker(tmp_path / "w", CONFIG, {"src/entry.py": ENTRY, "migrations/0000_init.sql": MIGRATION})


class Client:
    """One process running shared_state_client.py: ``count`` requests, each acknowledged one a JSON line."""

    def __init__(self, config: Path, state: Path, tag: str, count: int, pause: float = 0.0) -> None:
        self.tag = tag
        self.process = subprocess.Popen([sys.executable, str(CLIENT), str(config), str(state), tag, str(count),
                                         str(pause)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[dict] = []

    def read_until(self, event: str, timeout: float = 60.0) -> None:
        """Read lines until one of ``event`` (bounded: the process prints it or the test fails)."""
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(json.loads(line))
            if self.lines[-1]["event"] == event:
                return
        raise AssertionError(f"{self.tag}: no {event!r} line; stderr:\n{self.process.stderr.read() if self.process.stderr else ''}")

    def finish(self, timeout: float = 120.0) -> None:
        self.read_until("done", timeout)
        assert self.process.wait(timeout) == 0

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        assert self.process.stdout is not None
        for line in self.process.stdout.read().splitlines():  # what it acknowledged before it died
            self.lines.append(json.loads(line))

    @property
    def acks(self) -> list[dict]:
        return [line for line in self.lines if line["event"] == "ack"]


async def final_state(config: Path, state: Path) -> dict:
    async with Pyflare(config, persist_to=state) as mf:
        await mf.idle()
        from pyflare.testing import drain

        await drain(mf)
        listed = await mf.env.KV.list()
        objects = await mf.env.BUCKET.list()
        rows = (await mf.env.DB.prepare("SELECT key FROM rows").all()).results
        delivered = (await mf.env.DB.prepare("SELECT key FROM delivered").all()).results
        counter = mf.objects.storage(mf.env.COUNTER._address(mf.env.COUNTER.idFromName("c"))).get("n")
        cache = await mf.caches.open("shared")
        cached = [key for key in [k["name"] for k in listed["keys"]]
                  if await cache.match(f"https://cache/{key}") is not None]
        return {"kv": {k["name"] for k in listed["keys"]}, "r2": {o.key for o in objects.objects},
                "d1": {r["key"] for r in rows}, "delivered": [r["key"] for r in delivered], "counter": counter,
                "cached": set(cached)}


async def test_two_processes_share_everything_and_one_hosts_each_object(project: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = Client(project, state, "a", 40, pause=0.01)
    first.read_until("ready")
    second = Client(project, state, "b", 40, pause=0.01)
    first.finish()
    second.finish()
    acks = first.acks + second.acks
    values = [ack["value"] for ack in acks]
    assert sorted(values) == list(range(1, 81))  # each increment saw the one before: one live instance
    # while both ran, the second process's calls were hosted by the first
    hosted_by_first = {ack["host"] for ack in second.acks if ack["host"] != ack["me"]}
    assert hosted_by_first <= {first.acks[0]["me"]}
    assert all(ack["built"] == 1 for ack in first.acks)  # the first process built the object once
    keys = {ack["key"] for ack in acks}
    final = await final_state(project, state)
    assert final["counter"] == 80
    assert final["kv"] == keys and final["r2"] == keys and final["d1"] == keys and final["cached"] == keys
    assert sorted(final["delivered"]) == sorted(keys)  # every message delivered once, by one of the processes


async def test_a_host_killed_mid_run_is_taken_over_and_nothing_acknowledged_is_lost(project: Path,
                                                                                   tmp_path: Path) -> None:
    state = tmp_path / "state"
    host = Client(project, state, "host", 10_000, pause=0.005)
    host.read_until("ready")
    other = Client(project, state, "other", 60, pause=0.01)
    while len(other.lines) < 15:  # the other process is being served by the host now
        other.read_until("ack")
    host.kill()
    other.finish()
    acked = len(host.acks) + len(other.acks)
    values = sorted(ack["value"] for ack in host.acks + other.acks)
    assert len(set(values)) == len(values)
    final = await final_state(project, state)
    # every acknowledged increment is there; at most the one in flight when the host died came on top
    assert acked <= final["counter"] <= acked + 1
    assert {ack["key"] for ack in host.acks + other.acks} <= final["kv"] & final["d1"] & final["r2"]
    assert {ack["key"] for ack in other.acks} <= set(final["delivered"])
    took_over = [ack for ack in other.acks if ack["host"] == ack["me"]]
    assert took_over, "the surviving process never hosted the counter"
