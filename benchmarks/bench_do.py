"""Durable Objects benchmark: a named counter object incremented through a stub on every request.

In one run, with ``wrk -t2 -c32 -d<seconds>s`` over loopback:
- pyflare dev: a worker route that returns a constant (baseline), and the counter route: each request calls
  ``await env.COUNTER.getByName("bench").increment()`` (an RPC call into one object, which reads and writes
  its SQLite storage) and returns the count;
- Miniflare 4 (installed from npm into a temp folder on first use): the same counter in JavaScript, also
  persisting to disk, also SQLite-backed; and once more with Miniflare's in-memory storage.
Then, in-process, the cost of one RPC call through a stub against a plain Python method call on the same
instance. Run: ``python benchmarks/bench_do.py [--seconds 5]``.
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

from harness import free_port, miniflare, miniflare_dir, pyflare_dev, ratio, start, wrk

TARGET = 8.0  # pyflare increments/s over Miniflare's (issue 27)
RPC_TARGET = 2.0  # an RPC increment over the same increment awaited directly inside the object

CONFIG = """
name = "bench-do"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Counter"]
"""

ENTRY = """
from workers import DurableObject, Response, WorkerEntrypoint


class Counter(DurableObject):
    async def increment(self):
        count = (await self.ctx.storage.get("count") or 0) + 1
        await self.ctx.storage.put("count", count)
        return count

    def noop(self):
        return 1

    async def async_noop(self):
        return 1


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/plain"):
            return Response("ok")
        return Response(str(await self.env.COUNTER.getByName("bench").increment()))
"""

MINIFLARE_WORKER = """
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  async increment() {
    const count = ((await this.ctx.storage.get("count")) ?? 0) + 1;
    await this.ctx.storage.put("count", count);
    return count;
  }
}

export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === "/plain") return new Response("ok");
    const stub = env.COUNTER.get(env.COUNTER.idFromName("bench"));
    return new Response(String(await stub.increment()));
  },
};
"""


def rpc_vs_method(calls: int = 20_000) -> tuple[float, float, float, float, float]:
    """Microseconds per call: plain method call, awaited async method call, RPC call through a stub, RPC
    increment (with storage), and the same increment awaited directly inside the object (the same storage
    work without the RPC). Storage persists to a temporary folder, as under ``pyflare dev``."""
    from pyflare import Pyflare
    from pyflare.testing import run_in_durable_object

    async def run() -> tuple[float, float, float, float, float]:
        with tempfile.TemporaryDirectory(prefix="bench-do-") as tmp:
            root = Path(tmp)
            (root / "src").mkdir()
            (root / "wrangler.toml").write_text(CONFIG)
            (root / "src" / "entry.py").write_text(textwrap.dedent(ENTRY))
            async with Pyflare(root / "wrangler.toml", clock="manual", persist_to=root / "state") as mf:
                stub = mf.env.COUNTER.getByName("bench")
                instance = await run_in_durable_object(stub, lambda obj, ctx: obj)
                started = time.perf_counter()
                for _ in range(calls):
                    instance.noop()
                plain = (time.perf_counter() - started) * 1e6 / calls
                started = time.perf_counter()
                for _ in range(calls):
                    await instance.async_noop()
                awaited = (time.perf_counter() - started) * 1e6 / calls
                started = time.perf_counter()
                for _ in range(calls):
                    await stub.noop()
                rpc = (time.perf_counter() - started) * 1e6 / calls
                started = time.perf_counter()
                for _ in range(calls):
                    await stub.increment()
                increment = (time.perf_counter() - started) * 1e6 / calls

                async def increments(obj: object, ctx: object) -> float:
                    started = time.perf_counter()
                    for _ in range(calls):
                        await obj.increment()  # type: ignore[attr-defined]
                    return (time.perf_counter() - started) * 1e6 / calls

                direct = await run_in_durable_object(stub, increments)
                return plain, awaited, rpc, increment, direct

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()

    mf_folder = miniflare_dir()
    with tempfile.TemporaryDirectory(prefix="bench-do-") as tmp:
        root = Path(tmp)
        (root / "src").mkdir()
        (root / "wrangler.toml").write_text(CONFIG)
        (root / "src" / "entry.py").write_text(textwrap.dedent(ENTRY))

        port = free_port()
        server = start(pyflare_dev(root / "wrangler.toml", port), port, path="/plain")
        try:
            wrk(server.url + "/", seconds=1)  # warm-up
            baseline = wrk(server.url + "/plain", seconds=args.seconds)
            counter = wrk(server.url + "/", seconds=args.seconds)
            final = int(__import__("httpx").get(server.url + "/").text)
        finally:
            server.stop()
        state = root / ".pyflare" / "state" / "do" / "bench-do-Counter"
        (db_file,) = state.glob("*.sqlite")
        stored = json.loads(sqlite3.connect(db_file).execute("SELECT value FROM _cf_KV").fetchone()[0])

        mf_baseline = mf_counter = mf_memory = None
        if mf_folder is not None:
            (root / "worker.mjs").write_text(MINIFLARE_WORKER)
            options = {"compatibilityDate": "2025-01-01", "durableObjectsPersist": "<persist>",
                       "durableObjects": {"COUNTER": {"className": "Counter", "useSQLite": True}}}
            port = free_port()
            server = start(miniflare(mf_folder, root / "worker.mjs", port, options), port, path="/plain", timeout=60)
            try:
                wrk(server.url + "/", seconds=1)  # warm-up
                mf_baseline = wrk(server.url + "/plain", seconds=args.seconds)
                mf_counter = wrk(server.url + "/", seconds=args.seconds)
            finally:
                server.stop()
            # The same without persistence (Miniflare's in-memory default): what a test run would see.
            del options["durableObjectsPersist"]
            port = free_port()
            server = start(miniflare(mf_folder, root / "worker.mjs", port, options), port, path="/plain", timeout=60)
            try:
                wrk(server.url + "/", seconds=1)  # warm-up
                mf_memory = wrk(server.url + "/", seconds=args.seconds)
            finally:
                server.stop()

    plain_us, awaited_us, rpc_us, increment_us, direct_us = rpc_vs_method()

    print(f"Durable Object counter (wrk -t2 -c32 -d{args.seconds}s, loopback, both persisting to disk)")
    print(f"  pyflare   baseline GET /plain {baseline.rps:9.0f} req/s  p50 {baseline.p50_ms:6.2f} ms  "
          f"p99 {baseline.p99_ms:6.2f} ms")
    print(f"  pyflare   counter  GET /      {counter.rps:9.0f} req/s  p50 {counter.p50_ms:6.2f} ms  "
          f"p99 {counter.p99_ms:6.2f} ms")
    if mf_baseline is not None and mf_counter is not None:
        print(f"  Miniflare baseline GET /plain {mf_baseline.rps:9.0f} req/s  p50 {mf_baseline.p50_ms:6.2f} ms  "
              f"p99 {mf_baseline.p99_ms:6.2f} ms")
        print(f"  Miniflare counter  GET /      {mf_counter.rps:9.0f} req/s  p50 {mf_counter.p50_ms:6.2f} ms  "
              f"p99 {mf_counter.p99_ms:6.2f} ms")
        print(f"  Miniflare counter, in-memory  {mf_memory.rps:9.0f} req/s  p50 {mf_memory.p50_ms:6.2f} ms  "
              f"p99 {mf_memory.p99_ms:6.2f} ms")
    print(f"  pyflare count after the run: {final} (stored: {stored}; no increment lost)")
    print("Ratios")
    if mf_baseline is not None and mf_counter is not None:
        print(f"  counter: pyflare / Miniflare = {ratio(counter.rps, mf_counter.rps)}  (target {TARGET:.0f}x)")
        print(f"  counter: pyflare / Miniflare in-memory = {ratio(counter.rps, mf_memory.rps)}")
        print(f"  counter / baseline: Miniflare {ratio(mf_counter.rps, mf_baseline.rps)}")
    print(f"  counter / baseline: pyflare {ratio(counter.rps, baseline.rps)}")
    print("In-process call cost (20k calls)")
    print(f"  plain Python method call:       {plain_us:7.2f} us")
    print(f"  awaited async method call:      {awaited_us:7.2f} us")
    print(f"  RPC call through a stub:        {rpc_us:7.2f} us  ({rpc_us / plain_us:.0f}x the plain call, "
          f"{rpc_us / awaited_us:.0f}x the awaited one)")
    print(f"  increment awaited in the object: {direct_us:6.2f} us  (the same storage r+w, no RPC)")
    print(f"  RPC increment (storage r+w):    {increment_us:7.2f} us  ({increment_us / direct_us:.2f}x the direct "
          f"increment; target <= {RPC_TARGET:.0f}x)")


if __name__ == "__main__":
    main()
