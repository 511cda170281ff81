"""File descriptors stay bounded whatever the number of Durable Objects or workflow instances in use: the
object layer keeps at most ``max_open_files`` object files open (a quarter of a low descriptor limit), least
recently used closed first, live objects included, files in a transaction or mid-cursor spared. Each case
runs in a child process whose limit is 128 descriptors, soft and hard, so raising it cannot help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

CONFIG = """
name = "fds"
main = "src/entry.py"
compatibility_date = "2025-11-01"

[[durable_objects.bindings]]
name = "OBJ"
class_name = "Obj"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Obj"]

[[workflows]]
binding = "FLOW"
name = "flow"
class_name = "Flow"
"""

ENTRY = """
from workers import DurableObject, Response, WorkerEntrypoint, WorkflowEntrypoint

class Obj(DurableObject):
    async def bump(self):
        n = (await self.ctx.storage.get("n") or 0) + 1
        await self.ctx.storage.put("n", n)
        self.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (x)")
        return n

    async def cursor_across_awaits(self, others):
        self.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS r (x)")
        for i in range(3):
            self.ctx.storage.sql.exec("INSERT INTO r VALUES (?)", i)
        seen = []
        for row in self.ctx.storage.sql.exec("SELECT x FROM r ORDER BY x"):
            seen.append(row["x"])
            for name in others:  # other objects are used meanwhile: this file must stay open
                await self.env.OBJ.getByName(name).bump()
        return seen

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("one")
        async def one():
            return 1
        await one()
        await step.sleep("nap", "1 hour")

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""

CHILD = """
import asyncio, json, os, resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))
from pyflare import Pyflare

def open_descriptors():
    return sum(1 for fd in range(128) if _is_open(fd))

def _is_open(fd):
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True

async def main():
    failures = []
    async with Pyflare(sys.argv[1], persist_to=sys.argv[2]) as mf:
        peak = 0
        for i in range(int(sys.argv[3])):
            try:
                await mf.env.OBJ.getByName(f"o{i}").bump()
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
            peak = max(peak, open_descriptors())
        cursor = await mf.env.OBJ.getByName("reader").cursor_across_awaits([f"x{i}" for i in range(40)])
        for i in range(int(sys.argv[4])):
            await mf.env.FLOW.create(id=f"i{i}")
        for _ in range(200):
            await mf.idle()
            statuses = {(await (await mf.env.FLOW.get(f"i{i}")).status())["status"] for i in range(int(sys.argv[4]))}
            if statuses <= {"waiting"}:
                break
            await asyncio.sleep(0.05)
        counts = [await mf.env.OBJ.getByName(f"o{i}").bump() for i in range(0, int(sys.argv[3]), 50)]
        print(json.dumps({"failures": failures[:3], "failed": len(failures), "peak": peak, "cursor": cursor,
                          "statuses": sorted(statuses), "counts": counts, "open_files": mf.objects.open_files(),
                          "cap": mf.objects.max_open_files, "now": open_descriptors()}))

asyncio.run(main())
"""


def test_300_objects_and_100_sleeping_instances_under_ulimit_128(worker_dir: Any, tmp_path: Path) -> None:
    config = worker_dir(CONFIG, {"src/entry.py": ENTRY})
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.run([sys.executable, "-c", textwrap.dedent(CHILD), str(config), str(tmp_path / "state"),
                            "300", "100"], capture_output=True, text=True, env=env, timeout=600)
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["failed"] == 0, report["failures"]
    assert report["cap"] == 16  # a quarter of 128 descriptors, at three per file... and the floor of 16
    assert report["open_files"] <= report["cap"]
    assert report["peak"] < 128 and report["now"] < 128
    assert report["cursor"] == [0, 1, 2]  # its file was spared while 40 other objects came and went
    assert report["statuses"] == ["waiting"]  # every instance ran its step and sleeps; none failed to open
    assert report["counts"] == [2] * 6  # every object's first write is there, and a second one lands


def test_pyflare_dev_raises_the_soft_limit_and_says_so(worker_dir: Any) -> None:
    config = worker_dir(CONFIG, {"src/entry.py": ENTRY})
    script = ("import resource, sys\n"
              "resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
              "from pyflare.cli import main\n"
              "sys.exit(main(['dev', sys.argv[1], '--port', '0', '--no-reload', '--verbose', '--no-persist']))\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    process = subprocess.Popen([sys.executable, "-c", script, str(config)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        assert "Ready on" in process.stdout.readline()
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert "open files limit raised from 64 to " in err
    assert "Durable Object and workflow instance files open at once" in err
