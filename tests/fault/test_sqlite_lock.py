"""Another process holding a database's write lock delays only the requests that need that database:
the wait happens off the event loop's critical path (storage's Database.run), never inside SQLite."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pyflare import Pyflare

CONFIG = """
name = "locks"
main = "src/entry.py"
compatibility_date = "2025-11-01"

[[d1_databases]]
binding = "A"
database_name = "a"

[[d1_databases]]
binding = "B"
database_name = "b"

[[kv_namespaces]]
binding = "KV"
id = "kv"
"""

ENTRY = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.rsplit("/", 1)[-1]
        if path == "write-a":
            await self.env.A.prepare("INSERT INTO t VALUES ('worker')").run()
        elif path == "read-a":
            row = await self.env.A.prepare("SELECT COUNT(*) AS n FROM t").first()
            return Response(str(row.n))
        elif path == "write-b":
            await self.env.B.prepare("INSERT INTO t VALUES ('worker')").run()
        elif path == "kv":
            await self.env.KV.put("k", "v")
        return Response("ok")
"""

# Holds the write lock of a database (as `pyflare d1 execute` with a long statement would) until told.
HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO t VALUES ('other process')")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
"""


@pytest.fixture
async def mf(worker_dir: Any, tmp_path: Path) -> Any:
    async with Pyflare(worker_dir(CONFIG, {"src/entry.py": ENTRY}), persist_to=tmp_path / "state") as mf:
        for binding in (mf.env.A, mf.env.B):
            await binding.exec("CREATE TABLE t (v TEXT)")
        yield mf


def hold_lock(mf: Any) -> subprocess.Popen:
    path = mf.storage.root / "d1" / "a.sqlite"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def release(holder: subprocess.Popen) -> None:
    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.wait(timeout=10) == 0


async def test_a_locked_database_delays_only_the_request_that_writes_it(mf):
    holder = hold_lock(mf)
    try:
        blocked = asyncio.create_task(mf.dispatch_fetch("/write-a"))
        await asyncio.sleep(0.01)  # the write has met the lock and is waiting
        started = time.perf_counter()
        others = await asyncio.gather(mf.dispatch_fetch("/write-b"), mf.dispatch_fetch("/kv"),
                                      mf.dispatch_fetch("/read-a"))
        elapsed = time.perf_counter() - started
        assert [r.status_code for r in others] == [200, 200, 200]
        assert others[2].text == "0"  # WAL readers see the last commit and never wait
        assert not blocked.done()
        # Before the fix every request waited for the 5 s busy timeout on the event loop.
        assert elapsed < 1.0
    finally:
        release(holder)
    assert (await blocked).status_code == 200
    assert (await mf.dispatch_fetch("/read-a")).text == "2"


async def test_a_lock_held_past_the_busy_timeout_fails_only_that_request(mf):
    from pyflare.bindings.d1 import D1Error

    db_a = mf.env.A._store.db
    db_a.busy_timeout = 0.2
    holder = hold_lock(mf)
    try:
        with pytest.raises(D1Error, match=r"^D1_ERROR: database is locked: SQLITE_BUSY"):
            await mf.env.A.prepare("INSERT INTO t VALUES ('late')").run()
        assert (await mf.dispatch_fetch("/write-b")).status_code == 200
    finally:
        release(holder)
    await mf.env.A.prepare("INSERT INTO t VALUES ('now')").run()  # the file is usable again
    assert (await mf.env.A.prepare("SELECT COUNT(*) AS n FROM t").first()).n == 2


# Holds the Cache API's database as another process sharing the state folder (pyflare dev, a test session) would.
CACHE_HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
"""


async def test_a_cache_put_waits_for_another_process_holding_the_cache_and_then_lands(mf):
    from workers import Request, Response

    cache = mf.caches
    await cache.default.put(Request("https://example.com/warm"), Response("w", headers={"cache-control": "max-age=60"}))
    holder = subprocess.Popen([sys.executable, "-c", CACHE_HOLDER, str(mf.storage.root / "cache" / "cache.sqlite")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    try:
        put = asyncio.create_task(cache.default.put(
            Request("https://example.com/a"), Response("cached", headers={"cache-control": "max-age=60"})))
        await asyncio.sleep(0.05)  # the put has met the lock: it waits instead of raising "database is locked"
        assert not put.done()
        assert (await cache.default.match(Request("https://example.com/warm"))) is not None  # readers do not wait
    finally:
        release(holder)
    await put
    hit = await cache.default.match(Request("https://example.com/a"))
    assert hit is not None and await hit.text() == "cached"
