"""Where a D1 database lives, what survives restarts and kill -9, and concurrent access."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap

from pyflare import Pyflare


async def test_database_is_one_sqlite_file_named_after_database_name(project, tmp_path):
    state = tmp_path / "state"
    async with Pyflare(project, persist_to=state, clock="manual") as mf:
        await mf.env.DB.exec("CREATE TABLE t (a);\nINSERT INTO t VALUES ('hello');")
        assert mf.storage.database("d1", "test-db").path == state / "d1" / "test-db.sqlite"
    assert (state / "d1" / "test-db.sqlite").is_file()


async def test_sqlite3_shell_can_read_the_database(project, tmp_path):
    state = tmp_path / "state"
    async with Pyflare(project, persist_to=state, clock="manual") as mf:
        await mf.env.DB.exec("CREATE TABLE t (a);\nINSERT INTO t VALUES ('hello');")
        path = state / "d1" / "test-db.sqlite"
        if shutil.which("sqlite3"):
            out = subprocess.run(["sqlite3", str(path), "SELECT a FROM t"], capture_output=True, text=True, check=True)
            assert out.stdout.strip() == "hello"
        else:  # pragma: no cover
            assert sqlite3.connect(path).execute("SELECT a FROM t").fetchall() == [("hello",)]


async def test_data_survives_a_restart(project, tmp_path):
    state = tmp_path / "state"
    async with Pyflare(project, persist_to=state, clock="manual") as mf:
        await mf.env.DB.exec("CREATE TABLE t (a);\nINSERT INTO t VALUES (1);")
    async with Pyflare(project, persist_to=state, clock="manual") as mf:
        assert await mf.env.DB.prepare("SELECT a FROM t").first("a") == 1


async def test_fresh_storage_starts_empty_for_every_instance(project):
    async with Pyflare(project, clock="manual") as mf:
        await mf.env.DB.exec("CREATE TABLE t (a);")
    async with Pyflare(project, clock="manual") as mf:
        tables = await mf.env.DB.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").raw()
        assert tables == []


async def test_binding_and_database_name_reach_the_same_file(project):
    from pyflare.testing.d1 import d1_store

    async with Pyflare(project, clock="manual") as mf:
        assert d1_store(mf, "DB") is d1_store(mf, "test-db")


async def test_database_without_name_uses_its_binding(worker_dir, tmp_path):
    config = 'name = "x"\nmain = "src/entry.py"\n[[d1_databases]]\nbinding = "MAIN"\n'
    project = worker_dir(config, {"src/entry.py": "x = 1\n"})
    async with Pyflare(project, persist_to=tmp_path / "s", clock="manual") as mf:
        await mf.env.MAIN.exec("CREATE TABLE t (a)")
    assert (tmp_path / "s" / "d1" / "MAIN.sqlite").is_file()


async def test_acknowledged_writes_survive_kill_9(project, tmp_path):
    state = tmp_path / "state"
    script = textwrap.dedent(f"""
        import asyncio, os, sys
        from pyflare import Pyflare

        async def main():
            mf = Pyflare({str(project)!r}, persist_to={str(state)!r}, clock="manual")
            await mf.start()
            db = mf.env.DB
            await db.exec("CREATE TABLE t (n INTEGER)")
            for n in range(200):
                await db.batch([db.prepare("INSERT INTO t VALUES (?)").bind(n),
                                db.prepare("INSERT INTO t VALUES (?)").bind(-n)])
                print(n, flush=True)
            sys.stdout.write("done\\n"); sys.stdout.flush()
            await asyncio.sleep(60)

        asyncio.run(main())
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    acknowledged = -1
    try:
        for line in proc.stdout:
            if line.strip() == "done":
                break
            acknowledged = int(line)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert acknowledged == 199
    async with Pyflare(project, persist_to=state, clock="manual") as mf:
        row = await mf.env.DB.prepare("SELECT count(*) AS n, sum(n) AS total FROM t").first()
    assert row == {"n": 400, "total": 0}


async def test_concurrent_requests_never_see_half_a_batch(users):
    await users.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER);\n"
                     "INSERT INTO accounts VALUES (1, 100), (2, 0);")
    seen: list[int] = []

    async def transfer(amount: int) -> None:
        await users.batch([
            users.prepare("UPDATE accounts SET balance = balance - ? WHERE id = 1").bind(amount),
            users.prepare("UPDATE accounts SET balance = balance + ? WHERE id = 2").bind(amount),
        ])

    async def audit() -> None:
        for _ in range(50):
            seen.append(await users.prepare("SELECT sum(balance) AS s FROM accounts").first("s"))
            await asyncio.sleep(0)

    await asyncio.gather(audit(), *(transfer(1) for _ in range(50)), audit())
    assert set(seen) == {100}
    assert await users.prepare("SELECT balance FROM accounts WHERE id = 2").first("balance") == 50


async def test_concurrent_writers_from_two_processes_all_land(project, tmp_path):
    state = tmp_path / "state"
    async with Pyflare(project, persist_to=state, clock="manual") as mf:
        db = mf.env.DB
        await db.exec("CREATE TABLE t (who TEXT, n INTEGER)")
        script = textwrap.dedent(f"""
            import asyncio
            from pyflare import Pyflare

            async def main():
                async with Pyflare({str(project)!r}, persist_to={str(state)!r}, clock="manual") as mf:
                    db = mf.env.DB
                    for n in range(100):
                        await db.batch([db.prepare("INSERT INTO t VALUES ('child', ?)").bind(n)] * 2)
                        await asyncio.sleep(0.001)

            asyncio.run(main())
        """)
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script)
        parent_batches = 0
        overlapped = False
        while proc.returncode is None:
            await db.batch([db.prepare("INSERT INTO t VALUES ('parent', ?)").bind(parent_batches)] * 2)
            parent_batches += 1
            child = await db.prepare("SELECT count(*) AS c FROM t WHERE who = 'child'").first("c")
            overlapped = overlapped or 0 < child < 200
            try:
                await asyncio.wait_for(proc.wait(), 0.002)
            except asyncio.TimeoutError:
                pass
        assert proc.returncode == 0
        rows = await db.prepare("SELECT who, count(*) AS c FROM t GROUP BY who ORDER BY who").raw()
    assert overlapped
    assert rows == [["child", 200], ["parent", 2 * parent_batches]]
