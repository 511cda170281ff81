"""Per-test worker cost: what the ``pyflare`` pytest fixture pays for a fresh, isolated worker.

Two workers, each started the way the fixture starts them (config path, ``persist_to=None``, manual
clock), sent one request, and closed, many times in a row on one event loop:
- hello: a one-line worker without bindings (the baseline);
- five bindings: KV, R2, D1, a queue with a consumer and a dead-letter queue, and a cron trigger; its
  request touches every storage binding, so each test's storage is really created, and the run checks that
  no test sees the previous test's data.
Prints milliseconds per fixture and the ratio to the hello baseline (target for five bindings: < 5 ms).
Run: ``python benchmarks/bench_fixture.py [--runs 200]`` (with another interpreter to measure another
install, e.g. ``/path/to/venv/bin/python benchmarks/bench_fixture.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import textwrap
import time
from pathlib import Path

from harness import HERE

HELLO = HERE / "workers" / "hello" / "wrangler.toml"

CONFIG = """
name = "bench-five"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[kv_namespaces]]
binding = "KV"
id = "cache"

[[r2_buckets]]
binding = "BUCKET"
bucket_name = "files"

[[d1_databases]]
binding = "DB"
database_name = "app"
database_id = "00000000-0000-0000-0000-000000000001"

[[queues.producers]]
binding = "JOBS"
queue = "jobs"

[[queues.consumers]]
queue = "jobs"
max_batch_size = 10
max_retries = 2
dead_letter_queue = "jobs-dlq"

[triggers]
crons = ["*/5 * * * *"]
"""

ENTRY = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        seen = await self.env.KV.get("seen")
        await self.env.KV.put("seen", "yes")
        await self.env.BUCKET.put("file", "data")
        await self.env.DB.prepare("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)").run()
        await self.env.JOBS.send({"n": 1})
        return Response(seen or "fresh")

    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            message.ack()

    async def scheduled(self, controller, env, ctx):
        pass
"""


async def per_fixture_ms(config: Path, runs: int, expect: str | None = None) -> tuple[float, float]:
    """Mean (wall, CPU) milliseconds per fixture; ``expect`` is the body every fresh worker must answer."""
    from pyflare import Pyflare

    async def one() -> str:
        mf = Pyflare(config, persist_to=None, clock="manual")
        await mf.start()
        try:
            return (await mf.dispatch_fetch("/")).text
        finally:
            await mf.close()

    for _ in range(3):  # the first loads pay for imports and bytecode compilation once
        await one()
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(runs):
        text = await one()
        if expect is not None and text != expect:
            raise SystemExit(f"storage leaked between fixtures: the worker answered {text!r}, not {expect!r}")
    return (time.perf_counter() - started) * 1000 / runs, (time.process_time() - cpu) * 1000 / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-five-") as tmp:
        project = Path(tmp) / "five"
        (project / "src").mkdir(parents=True)
        (project / "wrangler.toml").write_text(CONFIG)
        (project / "src" / "entry.py").write_text(textwrap.dedent(ENTRY))
        hello = asyncio.run(per_fixture_ms(HELLO, args.runs))
        five = asyncio.run(per_fixture_ms(project / "wrangler.toml", args.runs, expect="fresh"))
    print(f"fresh pyflare fixture (start, one request, close), mean of {args.runs}; wall ms (CPU ms: what the "
          "process itself spent, steady when other work shares the machine)")
    print(f"  hello (baseline)       {hello[0]:6.2f} ms  (CPU {hello[1]:5.2f} ms)")
    print(f"  five bindings          {five[0]:6.2f} ms  (CPU {five[1]:5.2f} ms)  {five[0] / hello[0]:.1f}x hello; "
          f"target < 5 ms")


if __name__ == "__main__":
    main()
