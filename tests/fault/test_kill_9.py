"""kill -9 of a real ``pyflare dev`` under concurrent writes to every binding that stores data (KV, R2, D1,
Queues, Durable Objects, Workflows): every write that was acknowledged is there after a restart, every
SQLite file passes its integrity check, and no R2 blob is left without an object."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import threading
from pathlib import Path

import httpx
from tests.conftest import write_worker
from tests.core.test_cli_dev import DevProcess

from pyflare import Pyflare
from pyflare.bindings.r2 import R2Plugin
from pyflare.testing import messages, run_in_durable_object

CONFIG = """
name = "kill9"
main = "src/entry.py"
compatibility_date = "2025-11-02"

[[kv_namespaces]]
binding = "KV"
id = "kv"

[[r2_buckets]]
binding = "BUCKET"
bucket_name = "bucket"

[[d1_databases]]
binding = "DB"
database_name = "db"

[[queues.producers]]
binding = "QUEUE"
queue = "jobs"

[[durable_objects.bindings]]
name = "STORE"
class_name = "Store"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Store"]

[[workflows]]
binding = "FLOW"
name = "flow"
class_name = "Flow"
"""

ENTRY = """
from workers import DurableObject, Response, WorkerEntrypoint, WorkflowEntrypoint


class Store(DurableObject):
    async def put(self, n):
        await self.ctx.storage.put(f"k{n}", n)
        self.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log (n INTEGER)")
        self.ctx.storage.sql.exec("INSERT INTO log VALUES (?)", n)


class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        await step.sleep("wait", "1 hour")


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        kind, n = request.url.rsplit("/", 2)[-2:]
        n = int(n)
        if kind == "kv":
            await self.env.KV.put(f"k{n}", f"v{n}")
        elif kind == "r2":
            await self.env.BUCKET.put(f"k{n}", f"v{n}" * 5000)
        elif kind == "d1":
            await self.env.DB.batch([
                self.env.DB.prepare("CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY)"),
                self.env.DB.prepare("INSERT INTO t VALUES (?)").bind(n),
            ])
        elif kind == "q":
            await self.env.QUEUE.send(f"m{n}")
        elif kind == "do":
            await self.env.STORE.getByName("one").put(n)
        elif kind == "wf":
            await self.env.FLOW.create({"id": f"wf-{n}"})
        return Response("ok")
"""

KINDS = ("kv", "r2", "d1", "q", "do", "wf")
WRITERS = 6
ACKS_BEFORE_KILL = 180


def test_acknowledged_writes_of_every_binding_survive_kill_9(tmp_path: Path) -> None:
    import asyncio

    config = write_worker(tmp_path / "w", CONFIG, {"src/entry.py": ENTRY})
    state = tmp_path / "state"
    dev = DevProcess(config, "--persist-to", str(state), "--no-reload")
    acked: list[tuple[str, int]] = []
    counter = itertools.count()
    lock = threading.Lock()

    def writer() -> None:
        with httpx.Client(base_url=dev.url, timeout=10) as client:
            while True:
                with lock:
                    n = next(counter)
                kind = KINDS[n % len(KINDS)]
                try:
                    response = client.get(f"/{kind}/{n}")
                except httpx.HTTPError:  # killed mid-request: not acknowledged
                    return
                if response.status_code == 200:
                    acked.append((kind, n))

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    try:
        for thread in threads:
            thread.start()
        while len(acked) < ACKS_BEFORE_KILL and dev.proc.poll() is None:
            threading.Event().wait(0.005)
        os.kill(dev.proc.pid, signal.SIGKILL)
        for thread in threads:
            thread.join(15)
    finally:
        if dev.proc.poll() is None:
            dev.proc.kill()
        dev.proc.wait(10)
    assert dev.proc.returncode == -signal.SIGKILL
    assert len(acked) >= ACKS_BEFORE_KILL

    for path in state.rglob("*.sqlite"):
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",), path

    asyncio.run(check_after_restart(config, state, sorted(acked)))


async def check_after_restart(config: Path, state: Path, acked: list[tuple[str, int]]) -> None:
    async with Pyflare(config, persist_to=state, clock="manual") as mf:
        env = mf.env
        queued = {m.body for m in messages(mf, "jobs")}
        store = env.STORE.getByName("one")
        in_object = dict(await run_in_durable_object(store, lambda obj, ctx: ctx.storage.list()))
        d1_rows = {row["n"] for row in (await env.DB.prepare("SELECT n FROM t").all()).results}
        for kind, n in acked:
            if kind == "kv":
                assert await env.KV.get(f"k{n}") == f"v{n}", f"KV k{n} lost"
            elif kind == "r2":
                got = await env.BUCKET.get(f"k{n}")
                assert got is not None and await got.text() == f"v{n}" * 5000, f"R2 k{n} lost"
            elif kind == "d1":
                assert n in d1_rows, f"D1 row {n} lost"
            elif kind == "q":
                assert f"m{n}" in queued, f"queue message m{n} lost"
            elif kind == "do":
                assert in_object.get(f"k{n}") == n, f"Durable Object key k{n} lost"
            elif kind == "wf":
                instance = await env.FLOW.get(f"wf-{n}")
                assert (await instance.status())["status"] != "unknown", f"workflow wf-{n} lost"
        # Whatever was in flight is whole or absent, and no blob is left over.
        listed = (await env.BUCKET.list()).objects
        for obj in listed:
            assert await (await env.BUCKET.get(obj.key)).text() == f"v{obj.key[1:]}" * 5000
        bucket_store = mf.plugin(R2Plugin).stores["bucket"]
        assert len(list(bucket_store.blobs.folder.iterdir())) == len(listed)
