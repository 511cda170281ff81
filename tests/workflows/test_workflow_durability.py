"""Durable replay: completed steps never run again after a restart or a kill -9, and sleeping or waiting
instances wake at the right time by pyflare's clock."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from tests.conftest import write_worker
from workflow_helpers import settle, status_of, workflow_config

from pyflare import Pyflare

JOURNALED = """
import asyncio, os
from workers import WorkflowEntrypoint, WorkerEntrypoint, Response

def note(path, text):
    with open(path, "a") as f:
        f.write(text + "\\n")

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        log = event.payload["log"]
        me = event.instanceId

        @step.do("first")
        async def first():
            note(log, me + ":first")
            return 1

        await first()
        mode = event.payload.get("mode")
        if mode == "block":
            @step.do("block")
            async def block():
                note(log, me + ":block-start")
                while not os.path.exists(event.payload["release"]):
                    await asyncio.sleep(0.01)
                return 2
            await block()
        elif mode == "event":
            got = await step.wait_for_event("go", "go", timeout="1 hour")
            note(log, me + ":event:" + str(got["payload"]))
        else:
            await step.sleep("nap", event.payload.get("nap", "1 hour"))

        @step.do("after")
        async def after():
            note(log, me + ":after")
            return 3

        return await after()

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        import json
        from urllib.parse import urlparse, parse_qs
        url = urlparse(request.url)
        if url.path == "/create":
            options = json.loads(await request.text())
            instance = await self.env.FLOW.create(options)
            return Response(instance.id)
        instance = await self.env.FLOW.get(url.path.split("/")[-1])
        return Response.json(await instance.status())
"""


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def test_an_in_process_restart_resumes_without_rerunning_finished_steps(worker_dir, tmp_path):
    config = worker_dir(workflow_config(), {"src/entry.py": JOURNALED})
    state, log = tmp_path / "state", tmp_path / "log"
    async with Pyflare(config, persist_to=state, clock="manual") as mf:
        await mf.env.FLOW.create({"id": "sleeper", "params": {"log": str(log)}})
        await mf.env.FLOW.create({"id": "waiter", "params": {"log": str(log), "mode": "event"}})
        await settle()
        assert (await (await mf.env.FLOW.get("sleeper")).status())["status"] == "waiting"
        slept_at = mf.clock.time()
    assert sorted(lines(log)) == ["sleeper:first", "waiter:first"]
    async with Pyflare(config, persist_to=state, clock="manual") as mf:
        await settle()
        waiter = await mf.env.FLOW.get("waiter")
        await waiter.send_event({"type": "go", "payload": 7})
        await status_of(mf, "waiter", "complete")
        # The sleep keeps its stored wake-up time: an hour after it started, not after the restart.
        mf.clock.set(slept_at + 3599)
        await settle()
        assert (await (await mf.env.FLOW.get("sleeper")).status())["status"] == "waiting"
        mf.clock.set(slept_at + 3600)
        assert (await status_of(mf, "sleeper", "complete"))["output"] == 3
    assert sorted(lines(log)) == ["sleeper:after", "sleeper:first", "waiter:after", "waiter:event:7",
                                  "waiter:first"]


async def test_a_sleep_that_ended_while_pyflare_was_stopped_wakes_at_start(worker_dir, tmp_path):
    config = worker_dir(workflow_config(), {"src/entry.py": JOURNALED})
    state, log = tmp_path / "state", tmp_path / "log"
    async with Pyflare(config, persist_to=state, clock="manual") as mf:
        await mf.env.FLOW.create({"id": "s", "params": {"log": str(log), "nap": "1 minute"}})
        await settle()
    from pyflare.kernel.clock import Clock

    later = Clock(manual=True, start=time.time() + 120)
    async with Pyflare(config, persist_to=state, clock=later) as mf:
        assert (await status_of(mf, "s", "complete"))["output"] == 3
    assert lines(log) == ["s:first", "s:after"]


async def test_paused_instances_stay_paused_across_a_restart(worker_dir, tmp_path):
    config = worker_dir(workflow_config(), {"src/entry.py": JOURNALED})
    state, log = tmp_path / "state", tmp_path / "log"
    async with Pyflare(config, persist_to=state, clock="manual") as mf:
        instance = await mf.env.FLOW.create({"id": "p", "params": {"log": str(log)}})
        await settle()
        await instance.pause()
    async with Pyflare(config, persist_to=state, clock="manual") as mf:
        instance = await mf.env.FLOW.get("p")
        mf.clock.advance(hours=2)
        await settle()
        assert (await instance.status())["status"] == "paused"
        await instance.resume()
        mf.clock.advance(hours=1)
        await status_of(mf, "p", "complete")


class Dev:
    def __init__(self, config: Path, state: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pyflare.cli", "dev", str(config), "--port", "0", "--persist-to", str(state),
             "--no-reload"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("Ready on "):
            self.proc.kill()
            raise AssertionError(f"no Ready line: {line!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.url = line.split("Ready on ", 1)[1].strip()

    def create(self, options: dict) -> str:
        return httpx.post(self.url + "/create", content=json.dumps(options), timeout=5).text

    def status(self, instance_id: str) -> dict:
        return httpx.get(f"{self.url}/status/{instance_id}", timeout=5).json()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=10)


def wait_for(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_of_pyflare_dev_loses_no_step_and_reruns_none(tmp_path):
    config = write_worker(tmp_path / "w", workflow_config(), {"src/entry.py": JOURNALED})
    state, log, release = tmp_path / "state", tmp_path / "log", tmp_path / "release"
    dev = Dev(config, state)
    try:
        dev.create({"id": "blocked", "params": {"log": str(log), "mode": "block", "release": str(release)}})
        dev.create({"id": "napping", "params": {"log": str(log), "nap": "1 second"}})
        wait_for(lambda: {"blocked:block-start", "napping:first"} <= set(lines(log)), "both instances to start")
        assert dev.status("napping")["status"] == "waiting"
    finally:
        dev.kill()
    release.touch()
    dev = Dev(config, state)
    try:
        wait_for(lambda: dev.status("blocked")["status"] == "complete", "the blocked instance to finish")
        wait_for(lambda: dev.status("napping")["status"] == "complete", "the sleeping instance to wake")
    finally:
        dev.kill()
    journal = lines(log)
    assert journal.count("blocked:first") == 1 and journal.count("napping:first") == 1  # never re-run
    assert journal.count("blocked:block-start") == 2  # the step cut short by the kill ran again
    assert journal.count("blocked:after") == 1 and journal.count("napping:after") == 1
    nap = asyncio.run(describe(config, state, "napping"))["steps"][1]
    assert nap["name"] == "nap" and nap["end"] - nap["start"] >= 1000  # the restart did not cut it short


async def describe(config: Path, state: Path, instance_id: str) -> dict:
    mf = Pyflare(config, persist_to=state)
    await mf.start(load_worker=False)
    try:
        return mf.plugins[0].engine("flow").describe(instance_id)
    finally:
        await mf.close()


async def test_each_instance_is_an_object_with_its_own_file_and_alarm(worker_dir, tmp_path):
    import sqlite3

    config = worker_dir(workflow_config(), {"src/entry.py": JOURNALED})
    state, log = tmp_path / "state", tmp_path / "log"
    async with Pyflare(config, persist_to=state, clock="manual") as mf:
        await mf.env.FLOW.create({"id": "obj", "params": {"log": str(log)}})
        await settle()
        engine = mf.plugins[0].engine("flow")
        address = engine.objects.address("obj")
        assert mf.objects.get_alarm(address) == engine.objects.storage("obj").earliest_wake()
    files = list((state / "do" / "flows-Workflow.flow").glob("*.sqlite"))
    assert [f.stem for f in files] == [address.id]
    with sqlite3.connect(files[0]) as db:
        assert [r[0] for r in db.execute("SELECT name FROM steps ORDER BY seq")] == ["first", "nap"]
    async with Pyflare(config, persist_to=state, clock="manual") as mf:
        await settle()
        engine = mf.plugins[0].engine("flow")
        assert engine.runners == {}  # a sleeping instance costs nothing until its alarm
        mf.clock.advance(hours=1)
        assert (await status_of(mf, "obj", "complete"))["output"] == 3


async def test_a_code_reload_reruns_live_instances_on_the_new_code(worker_dir, tmp_path):
    source = """
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("first")
        async def first():
            return "kept"

        @step.do("flaky", config={"retries": {"limit": 5, "delay": "1 minute", "backoff": "constant"}})
        async def flaky():
            raise ValueError("bug")

        return [await first(), await flaky()]
"""
    config = worker_dir(workflow_config(), {"src/entry.py": source})
    async with Pyflare(config, clock="manual") as mf:
        await mf.env.FLOW.create({"id": "fix-me"})
        await settle()
        assert (await (await mf.env.FLOW.get("fix-me")).status())["status"] == "waiting"
        (config.parent / "src" / "entry.py").write_text(source.replace('raise ValueError("bug")', 'return "fixed"'))
        mf.runtime.load()
        await settle()
        mf.clock.advance(minutes=1)  # the retry delay still applies
        assert (await status_of(mf, "fix-me", "complete"))["output"] == ["kept", "fixed"]
