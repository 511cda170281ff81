"""Workflows: instances created and completed per second (three steps each), and the time to resume 1,000
persisted instances after a restart.

In-process Pyflare on the real clock, with durable storage in a temporary folder (every step's result is
committed to the instance's own SQLite file before the run goes on, since every instance is an object of
the object layer). Baselines in the same run: the same three steps as plain awaited coroutines that commit
one row per step (a) to one shared SQLite file - the floor of any durable step runner in Python - and (b)
to a SQLite file of their own per item (create, three commits, close) - the floor of per-instance storage.
The resume figure is set against creating and running the same number of fresh instances.

    python benchmarks/bench_workflows.py [--instances 1000] [--resume 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import textwrap
import time
from pathlib import Path

from pyflare import Pyflare
from pyflare.kernel.clock import Clock

CONFIG = """
name = "bench-workflows"
main = "src/entry.py"
compatibility_date = "2026-03-01"
compatibility_flags = ["python_workers"]
[[workflows]]
binding = "FLOW"
name = "flow"
class_name = "Flow"
"""

WORKER = """
from workers import WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def fetch_order():
            return {"order": event.payload["n"], "items": [1, 2, 3]}

        @step.do()
        async def charge(fetch_order):
            return {"charged": sum(fetch_order["items"])}

        if event.payload.get("nap"):
            await step.sleep("nap", "1 hour")

        @step.do()
        async def ship(fetch_order, charge):
            return {"shipped": fetch_order["order"], "total": charge["charged"]}

        return await ship()
"""


def make_worker(root: Path) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "wrangler.toml").write_text(textwrap.dedent(CONFIG))
    (root / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    return root / "wrangler.toml"


async def wait_all(mf: Pyflare, ids: list[str], timeout: float = 600) -> None:
    engine = mf.plugins[0].engine("flow")
    deadline = time.perf_counter() + timeout
    pending = set(ids)
    while pending:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{len(pending)} instances did not complete")
        await asyncio.sleep(0.005)
        done = {i for i in pending if engine.current_status(i) == "complete"}
        if done:
            pending -= done
    failed = [r.id for r in engine.index.instances() if r.status != "complete"]
    if failed:
        raise RuntimeError(f"{len(failed)} instances did not complete, e.g. {failed[0]}")


async def workflow_rate(count: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        config = make_worker(Path(tmp))
        async with Pyflare(config, persist_to=Path(tmp) / "state") as mf:
            started = time.perf_counter()
            ids = []
            for n in range(count):
                ids.append((await mf.env.FLOW.create({"params": {"n": n}})).id)
                if n % 50 == 0:
                    await asyncio.sleep(0)
            await wait_all(mf, ids)
            return count / (time.perf_counter() - started)


async def baseline_rate(count: int) -> float:
    """Three awaited steps per item, each result committed as one row (WAL, synchronous=NORMAL)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "steps.sqlite", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE steps (item INTEGER, name TEXT, output TEXT, PRIMARY KEY (item, name))")

        async def step(item: int, name: str, value: dict) -> dict:
            db.execute("INSERT INTO steps VALUES (?, ?, ?)", (item, name, json.dumps(value)))
            return value

        async def run(n: int) -> None:
            order = await step(n, "fetch_order", {"order": n, "items": [1, 2, 3]})
            charge = await step(n, "charge", {"charged": sum(order["items"])})
            await step(n, "ship", {"shipped": order["order"], "total": charge["charged"]})

        started = time.perf_counter()
        await asyncio.gather(*(run(n) for n in range(count)))
        rate = count / (time.perf_counter() - started)
        db.close()
        return rate


async def per_file_rate(count: int) -> float:
    """Three awaited steps per item, committed to a SQLite file of the item's own, closed at the end."""
    with tempfile.TemporaryDirectory() as tmp:
        async def run(n: int) -> None:
            db = sqlite3.connect(Path(tmp) / f"{n}.sqlite", isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE steps (name TEXT PRIMARY KEY, output TEXT)")
            order = {"order": n, "items": [1, 2, 3]}
            for name, value in (("fetch_order", order), ("charge", {"charged": 6}), ("ship", {"shipped": n})):
                db.execute("INSERT INTO steps VALUES (?, ?)", (name, json.dumps(value)))
                await asyncio.sleep(0)
            db.close()

        started = time.perf_counter()
        await asyncio.gather(*(run(n) for n in range(count)))
        return count / (time.perf_counter() - started)


async def resume_times(count: int) -> tuple[float, float]:
    """(seconds to run ``count`` fresh instances, seconds for ``count`` persisted sleeping instances to
    finish after a restart once their sleep is over)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = make_worker(Path(tmp))
        state = Path(tmp) / "state"
        async with Pyflare(config, persist_to=state, clock="manual") as mf:
            started = time.perf_counter()
            ids = [(await mf.env.FLOW.create({"params": {"n": n}})).id for n in range(count)]
            await wait_all(mf, ids)
            fresh = time.perf_counter() - started
            nappers = [(await mf.env.FLOW.create({"id": f"nap-{n}", "params": {"n": n, "nap": True}})).id
                       for n in range(count)]
            engine = mf.plugins[0].engine("flow")
            while any(engine.current_status(i) != "waiting" for i in nappers):
                await asyncio.sleep(0.005)
            woke_at = mf.clock.time() + 3600
        later = Clock(manual=True, start=woke_at)  # pyflare restarts after the hour is over
        started = time.perf_counter()
        async with Pyflare(config, persist_to=state, clock=later) as mf:
            await wait_all(mf, nappers)
            resumed = time.perf_counter() - started
        return fresh, resumed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--resume", type=int, default=1000)
    args = parser.parse_args()
    baseline = await baseline_rate(args.instances)
    per_file = await per_file_rate(args.instances)
    rate = await workflow_rate(args.instances)
    fresh, resumed = await resume_times(args.resume)
    print(f"three-step instances per run: {args.instances}")
    print(f"{'(a) 3 steps, 3 commits to one shared file':48} {baseline:>10,.0f} items/s")
    print(f"{'(b) 3 steps, 3 commits to a file per item':48} {per_file:>10,.0f} items/s")
    print(f"{'pyflare workflow: create + run to complete':48} {rate:>10,.0f} instances/s   "
          f"({rate / baseline:.3f} x (a), {rate / per_file:.2f} x (b))")
    print(f"{'run ' + str(args.resume) + ' fresh instances (baseline)':48} {fresh:>10.2f} s")
    print(f"{'resume ' + str(args.resume) + ' persisted instances after restart':48} {resumed:>10.2f} s   "
          f"({resumed / fresh:.2f} x baseline)")


if __name__ == "__main__":
    asyncio.run(main())
