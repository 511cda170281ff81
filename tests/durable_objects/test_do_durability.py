"""Every storage write pyflare dev acknowledged survives kill -9; alarms survive too."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
from tests.conftest import write_worker
from tests.core.test_cli_dev import DevProcess

from pyflare import Pyflare
from pyflare.testing import run_in_durable_object

CONFIG = """
name = "durable"
main = "src/entry.py"
compatibility_date = "2025-11-02"
[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"
[[durable_objects.bindings]]
name = "LEGACY"
class_name = "Legacy"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Counter"]
new_classes = ["Legacy"]
"""

ENTRY = """
from workers import DurableObject, WorkerEntrypoint, Response


class Counter(DurableObject):
    async def increment(self):
        n = (await self.ctx.storage.get("n") or 0) + 1
        await self.ctx.storage.put("n", n)
        self.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log (n INTEGER)")
        self.ctx.storage.sql.exec("INSERT INTO log VALUES (?)", n)
        if n == 1:
            await self.ctx.storage.setAlarm(1)  # long overdue: fires after any restart
        return n

    async def alarm(self, info):
        await self.ctx.storage.put("alarm ran", True)


class Legacy(DurableObject):
    async def add(self, i):
        await self.ctx.storage.put(f"key-{i}", i)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        n = await self.env.COUNTER.getByName("c").increment()
        await self.env.LEGACY.getByName("l").add(n)
        return Response(str(n))
"""


async def test_acknowledged_writes_survive_kill_9(tmp_path):
    config = write_worker(tmp_path / "w", CONFIG, {"src/entry.py": ENTRY})
    state = tmp_path / "state"
    dev = DevProcess(config, "--persist-to", str(state), "--no-reload")
    acked: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=dev.url, timeout=5) as client:
            while not stop.is_set():
                try:
                    acked.append(int(client.get("/").text))
                except Exception:  # the server was killed mid-request
                    return

    try:
        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for thread in threads:
            thread.start()
        # Bounded: under heavy load every client may time out (and stop) before 60 answers.
        deadline = time.monotonic() + 60
        while len(acked) < 60 and any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            threading.Event().wait(0.01)
        assert acked, "pyflare dev answered no request before the kill"
        os.kill(dev.proc.pid, signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join(10)
    finally:
        if dev.proc.poll() is None:
            dev.proc.kill()
        dev.proc.wait(10)
    assert dev.proc.returncode == -signal.SIGKILL
    last = max(acked)
    async with Pyflare(config, persist_to=state, clock="manual") as mf:
        counter = mf.env.COUNTER.getByName("c")
        n = await run_in_durable_object(counter, lambda obj, ctx: ctx.storage.get("n"))
        assert n >= last
        logged = await run_in_durable_object(
            counter, lambda obj, ctx: ctx.storage.sql.exec("SELECT count(*) AS c FROM log").one().c)
        assert logged >= last
        legacy = mf.env.LEGACY.getByName("l")
        stored = await run_in_durable_object(legacy, lambda obj, ctx: ctx.storage.list())
        assert all(f"key-{i}" in stored for i in acked)
        await mf.idle()
        assert await run_in_durable_object(counter, lambda obj, ctx: ctx.storage.get("alarm ran")) is True
