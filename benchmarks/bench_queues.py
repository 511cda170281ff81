"""Queues throughput: messages per second from send() to ack() through a consumer that acks each message.

In-process Pyflare on the real clock (max_batch_timeout 0.05 s, so partial batches leave quickly), with
durable storage in a temporary folder. Baseline in the same run: the same number of put/get pairs through a
plain in-memory ``asyncio.Queue`` (no persistence, no batching, no handler) - the floor of any Python queue.

    python benchmarks/bench_queues.py [--messages 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import textwrap
import time
from pathlib import Path

from pyflare import Pyflare

CONFIG = """
name = "bench-queues"
main = "src/entry.py"
compatibility_date = "2025-01-01"
[[queues.producers]]
binding = "Q"
queue = "bench"
[[queues.consumers]]
queue = "bench"
max_batch_size = {batch_size}
max_batch_timeout = 0.05
"""

WORKER = """
from workers import WorkerEntrypoint

ACKED = [0]
DONE = None

class Default(WorkerEntrypoint):
    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            message.ack()
        ACKED[0] += len(batch.messages)
        if DONE is not None and ACKED[0] >= DONE[1]:
            DONE[0].set()
"""


async def pyflare_rate(count: int, batch_size: int, send_batch: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "src").mkdir()
        (root / "wrangler.toml").write_text(textwrap.dedent(CONFIG.format(batch_size=batch_size)))
        (root / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
        async with Pyflare(root / "wrangler.toml", persist_to=root / "state") as mf:
            module = mf.runtime.worker.module
            done = asyncio.Event()
            module.DONE = (done, count)
            started = time.perf_counter()
            if send_batch:
                for start in range(0, count, 100):
                    await mf.env.Q.sendBatch([{"body": {"n": i}} for i in range(start, min(count, start + 100))])
                    await asyncio.sleep(0)
            else:
                for i in range(count):
                    await mf.env.Q.send({"n": i})
                    if i % 10 == 0:
                        await asyncio.sleep(0)
            await asyncio.wait_for(done.wait(), timeout=120)
            return count / (time.perf_counter() - started)


async def asyncio_queue_rate(count: int) -> float:
    queue: asyncio.Queue[dict] = asyncio.Queue()
    started = time.perf_counter()

    async def consumer() -> None:
        for _ in range(count):
            await queue.get()
            queue.task_done()

    task = asyncio.create_task(consumer())
    for i in range(count):
        await queue.put({"n": i})
    await task
    return count / (time.perf_counter() - started)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args()
    n = args.messages
    baseline = await asyncio_queue_rate(n)
    rows = [
        ("send() x N, batches of 10", await pyflare_rate(n, 10, send_batch=False)),
        ("sendBatch(100) , batches of 10", await pyflare_rate(n, 10, send_batch=True)),
        ("sendBatch(100) , batches of 100", await pyflare_rate(n, 100, send_batch=True)),
    ]
    print(f"messages per run: {n}")
    print(f"{'asyncio.Queue put/get (baseline)':36} {baseline:>12,.0f} msgs/s")
    for name, rate in rows:
        print(f"{'pyflare ' + name:36} {rate:>12,.0f} msgs/s   ({rate / baseline:.3f} x baseline)")


if __name__ == "__main__":
    asyncio.run(main())
