"""KV benchmark: reads and writes through ``pyflare dev`` under wrk, against a baseline in the same run.

Miniflare, measured in the same run, is the baseline of ``benchmarks/bench_http.py``.

In one run: a baseline (a worker route returning a constant body), a KV read workload (GET that reads one
key) and a KV write workload (POST, sent by a wrk Lua script, that writes a key), each with
``wrk -t2 -c32 -d<seconds>s`` over loopback; then the direct cost of one point read on the KV table via
synchronous sqlite3 against aiosqlite (the reason bindings call SQLite synchronously on the loop).
Run: ``python benchmarks/bench_kv.py [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import textwrap
import time
from pathlib import Path

from harness import free_port, pyflare_dev, start, wrk

CONFIG = """
name = "bench-kv"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[kv_namespaces]]
binding = "KV"
id = "bench"
"""

ENTRY = """
from workers import Response, WorkerEntrypoint

VALUE = "x" * 256
written = 0


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        global written
        path = request.url.split("/", 3)[-1]
        if path == "read":
            value = await self.env.KV.get("bench-key")
            if value is None:
                await self.env.KV.put("bench-key", VALUE)
                value = VALUE
            return Response(value)
        if path == "write":
            written += 1
            await self.env.KV.put(f"key-{written % 1000}", await request.text())
            return Response("ok")
        return Response("ok")
"""

POST_SCRIPT = """
wrk.method = "POST"
wrk.body = string.rep("y", 256)
wrk.headers["Content-Type"] = "text/plain"
"""


def point_read_costs(rows: int = 10_000, reads: int = 20_000) -> tuple[float, float]:
    """Microseconds per point read of the KV table: sync sqlite3 vs aiosqlite, same file, same query."""
    import aiosqlite

    from pyflare.bindings.kv.store import _LATEST, SCHEMA

    folder = Path(tempfile.mkdtemp(prefix="bench-kv-"))
    path = folder / "kv.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA)
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO kv_entries (key, visible_at, value) VALUES (?, 0, ?)",
        ((f"key-{i:06d}", b"x" * 256) for i in range(rows)),
    )
    db.execute("COMMIT")
    keys = [f"key-{(i * 7919) % rows:06d}" for i in range(reads)]
    now = time.time()

    started = time.perf_counter()
    for key in keys:
        db.execute(_LATEST, (key, now)).fetchone()
    sync_us = (time.perf_counter() - started) * 1e6 / reads
    db.close()

    async def run_async() -> float:
        async with aiosqlite.connect(path) as adb:
            started = time.perf_counter()
            for key in keys:
                async with adb.execute(_LATEST, (key, now)) as cursor:
                    await cursor.fetchone()
            return (time.perf_counter() - started) * 1e6 / reads

    async_us = asyncio.run(run_async())
    return sync_us, async_us


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-kv-") as tmp:
        root = Path(tmp)
        (root / "src").mkdir()
        (root / "wrangler.toml").write_text(CONFIG)
        (root / "src" / "entry.py").write_text(textwrap.dedent(ENTRY))
        script = root / "post.lua"
        script.write_text(POST_SCRIPT)

        port = free_port()
        server = start(pyflare_dev(root / "wrangler.toml", port), port, path="/read")
        try:
            for path in ("/", "/read"):
                wrk(server.url + path, seconds=1)  # warm-up
            wrk(server.url + "/write", seconds=1, script=script)
            baseline = wrk(server.url + "/", seconds=args.seconds)
            reads = wrk(server.url + "/read", seconds=args.seconds)
            writes = wrk(server.url + "/write", seconds=args.seconds, script=script)
        finally:
            server.stop()
        rows = sqlite3.connect(root / ".pyflare" / "state" / "kv" / "bench.sqlite").execute(
            "SELECT COUNT(*) FROM kv_entries"
        ).fetchone()[0]

    sync_us, async_us = point_read_costs()

    print(f"KV through pyflare dev (wrk -t2 -c32 -d{args.seconds}s, loopback)")
    print(f"  baseline  GET /       {baseline.rps:9.0f} req/s  p50 {baseline.p50_ms:6.2f} ms  p99 {baseline.p99_ms:6.2f} ms")
    print(f"  KV read   GET /read   {reads.rps:9.0f} req/s  p50 {reads.p50_ms:6.2f} ms  p99 {reads.p99_ms:6.2f} ms")
    print(f"  KV write  POST /write {writes.rps:9.0f} req/s  p50 {writes.p50_ms:6.2f} ms  p99 {writes.p99_ms:6.2f} ms")
    print(f"  keys stored after the run: {rows}")
    print("Ratios")
    print("  (against Miniflare measured in the same run: benchmarks/bench_http.py)")
    print(f"  read  / baseline:  {reads.rps / baseline.rps:5.2f}")
    print(f"  write / baseline:  {writes.rps / baseline.rps:5.2f}")
    print("Point read of the KV table (10k rows, 20k reads)")
    print(f"  sync sqlite3: {sync_us:6.1f} us/read")
    print(f"  aiosqlite:    {async_us:6.1f} us/read  ({async_us / sync_us:.0f}x slower)")


if __name__ == "__main__":
    main()
