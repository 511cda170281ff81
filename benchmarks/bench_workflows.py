"""Workflows: instances created and completed per second (three steps each), and the time to resume 1,000
persisted instances after a restart.

In-process Pyflare on the real clock, with durable storage in a temporary folder (every step's result is
committed to the instance's own SQLite file before the run goes on, since every instance is an object of
the object layer). Baselines in the same run: the same three steps as plain awaited coroutines that commit
one row per step (a) to one shared SQLite file - the floor of any durable step runner in Python - and (b)
to a SQLite file of their own per item (create, three commits, close) - the floor of per-instance storage.
The resume figure is set against creating and running the same number of fresh instances.

Over HTTP (``--http N``, default 300; 0 skips it): ``pyflare dev`` against Miniflare 4 (installed from npm into
a temporary folder when node is there) on the same three-step workflow in JavaScript, both persisting to disk:
N instances created through ``POST /create`` (16 requests in flight), then each instance's status polled
through ``GET /status`` until it is complete; instances per second from the first create to the last
completion. Target (issue 27): at least 2,000 instances/s in process, at least 5x Miniflare over HTTP, and
1,000 persisted instances resumed in under 1 s.

    python benchmarks/bench_workflows.py [--instances 1000] [--resume 1000] [--http 300]
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

import httpx
from harness import free_port, miniflare, miniflare_dir, pyflare_dev, start

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


HTTP_ROUTES = """

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        query = parse_qs(url.query)
        if url.path == "/create":
            instance = await self.env.FLOW.create({"params": {"n": int(query["n"][0])}})
            return Response(instance.id)
        if url.path == "/status":
            instance = await self.env.FLOW.get(query["id"][0])
            return Response.json(await instance.status())
        return Response("ok")
"""

JS_WORKER = """
import { WorkflowEntrypoint } from "cloudflare:workers";

export class Flow extends WorkflowEntrypoint {
  async run(event, step) {
    const order = await step.do("fetch_order", async () => ({ order: event.payload.n, items: [1, 2, 3] }));
    const charge = await step.do("charge", async () => ({ charged: order.items.reduce((a, b) => a + b, 0) }));
    return await step.do("ship", async () => ({ shipped: order.order, total: charge.charged }));
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/create") {
      const instance = await env.FLOW.create({ params: { n: Number(url.searchParams.get("n")) } });
      return new Response(instance.id);
    }
    if (url.pathname === "/status") {
      const instance = await env.FLOW.get(url.searchParams.get("id"));
      return Response.json(await instance.status());
    }
    return new Response("ok");
  },
};
"""


def make_worker(root: Path) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "wrangler.toml").write_text(textwrap.dedent(CONFIG))
    (root / "src" / "entry.py").write_text(
        "from urllib.parse import parse_qs, urlparse\n\nfrom workers import Response, WorkerEntrypoint\n"
        + textwrap.dedent(WORKER) + HTTP_ROUTES)
    return root / "wrangler.toml"


async def http_rate(base: str, count: int, in_flight: int = 16) -> float:
    """Instances per second over HTTP: ``count`` creates, then status polls until every one is complete."""
    limit = asyncio.Semaphore(in_flight)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        async def create(n: int) -> str:
            async with limit:
                response = await client.post("/create", params={"n": n})
                response.raise_for_status()
                return response.text

        async def completed(instance: str) -> None:
            while True:
                async with limit:
                    response = await client.get("/status", params={"id": instance})
                status = response.json()["status"]
                if status == "complete":
                    return
                if status in ("errored", "terminated"):
                    raise RuntimeError(f"instance {instance} ended {status}: {response.text}")
                await asyncio.sleep(0.01)

        started = time.perf_counter()
        ids = await asyncio.gather(*(create(n) for n in range(count)))
        await asyncio.gather(*(completed(instance) for instance in ids))
        return count / (time.perf_counter() - started)


def http_rates(count: int) -> tuple[float, float | None]:
    """(pyflare dev, Miniflare or None) instances per second over HTTP, both persisting to disk."""
    with tempfile.TemporaryDirectory(prefix="bench-workflows-http-") as tmp:
        root = Path(tmp)
        config = make_worker(root / "py")
        port = free_port()
        server = start(pyflare_dev(config, port, "--persist-to", str(root / "py-state")), port)
        try:
            asyncio.run(http_rate(server.url, 10))  # warm-up
            pyflare_rate = asyncio.run(http_rate(server.url, count))
        finally:
            server.stop()
        folder = miniflare_dir()
        if folder is None:
            return pyflare_rate, None
        script = root / "js" / "worker.mjs"
        script.parent.mkdir()
        script.write_text(JS_WORKER)
        options = {"compatibilityDate": "2025-11-01", "workflowsPersist": "<persist>",
                   "workflows": {"FLOW": {"name": "flow", "className": "Flow"}}}
        port = free_port()
        server = start(miniflare(folder, script, port, options), port, timeout=60)
        try:
            asyncio.run(http_rate(server.url, 10))  # warm-up
            mf_rate = asyncio.run(http_rate(server.url, count))
        finally:
            server.stop()
        return pyflare_rate, mf_rate


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


async def in_process(args: argparse.Namespace) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--resume", type=int, default=1000)
    parser.add_argument("--http", type=int, default=300, help="instances over HTTP against Miniflare (0: skip)")
    args = parser.parse_args()
    asyncio.run(in_process(args))
    if args.http:
        pyflare_rate, mf_rate = http_rates(args.http)
        print(f"over HTTP, {args.http} instances (POST /create, then GET /status until complete; 16 in flight):")
        print(f"{'  pyflare dev':48} {pyflare_rate:>10,.0f} instances/s")
        if mf_rate is not None:
            print(f"{'  Miniflare 4':48} {mf_rate:>10,.0f} instances/s   (pyflare {pyflare_rate / mf_rate:.2f}x; "
                  f"target >= 5x)")


if __name__ == "__main__":
    main()
