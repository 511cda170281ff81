"""A request body cut short by the client (it disconnects mid-body) is never stored as if complete:
the worker's body read fails, as on Cloudflare, for every binding a worker might store it in."""

from __future__ import annotations

import asyncio

import pytest

CONFIG = """
name = "bodies"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[kv_namespaces]]
binding = "KV"
id = "kv"

[[r2_buckets]]
binding = "BUCKET"
bucket_name = "files"

[[d1_databases]]
binding = "DB"
database_name = "db"
database_id = "00000000-0000-0000-0000-000000000001"
"""

ENTRY = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        kind, key = request.url.split("/")[-2:]
        try:
            if kind == "kv":
                await self.env.KV.put(key, await request.text())
            elif kind == "r2":
                await self.env.BUCKET.put(key, request.body)
            elif kind == "d1":
                await self.env.DB.prepare("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT)").run()
                await self.env.DB.prepare("INSERT INTO t VALUES (?, ?)").bind(key, await request.text()).run()
        finally:
            await self.env.KV.put("attempted-" + kind + "-" + key, "1")
        return Response("stored")
"""


async def stored(mf, kind: str, key: str):
    if kind == "kv":
        return await mf.env.KV.get(key)
    if kind == "r2":
        obj = await mf.env.BUCKET.get(key)
        return None if obj is None else await obj.text()
    await mf.env.DB.prepare("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT)").run()
    row = await mf.env.DB.prepare("SELECT v FROM t WHERE k = ?").bind(key).first()
    return None if row is None else row["v"]


async def handled(mf, kind: str, key: str) -> None:
    """Wait (bounded) until the worker has finished with the request: the socket gives no answer to wait on."""
    for _ in range(500):
        if await mf.env.KV.get(f"attempted-{kind}-{key}") is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the worker never handled the request")


@pytest.mark.parametrize("http", ["httptools", "h11"])
@pytest.mark.parametrize("kind", ["kv", "r2", "d1"])
async def test_truncated_body_is_not_stored(start_worker, serve, kind, http, pyflare_log):
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY})
    server = await serve(mf, http=http)
    await server.raw(f"PUT /{kind}/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nabc".encode(), read=False)
    await handled(mf, kind, "x")
    assert await stored(mf, kind, "x") is None
    assert "disconnected before sending the whole request body" in pyflare_log.text


@pytest.mark.parametrize("kind", ["kv", "r2", "d1"])
async def test_body_cut_after_several_chunks_is_not_stored(start_worker, serve, kind):
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY})
    server = await serve(mf)
    head = f"PUT /{kind}/big HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000\r\n\r\n".encode()
    await server.raw(head + b"y" * 300_000, read=False)
    await handled(mf, kind, "big")
    assert await stored(mf, kind, "big") is None


@pytest.mark.parametrize("http", ["httptools", "h11"])
@pytest.mark.parametrize("kind", ["kv", "r2", "d1"])
async def test_complete_body_is_stored(start_worker, serve, kind, http):
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY})
    server = await serve(mf, http=http)
    answer = await server.raw(f"PUT /{kind}/y HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc".encode())
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"stored")
    assert await stored(mf, kind, "y") == "abc"


async def test_worker_sees_the_read_failure(start_worker, serve):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                try:
                    await request.bytes()
                except Exception as exc:
                    await self.env.KV.put("error", f"{type(exc).__name__}: {exc}")
                return Response("done")
    """})
    server = await serve(mf)
    await server.raw(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\n\r\nshort", read=False)
    for _ in range(500):
        if (error := await mf.env.KV.get("error")) is not None:
            break
        await asyncio.sleep(0.01)
    assert error == "ClientDisconnected: Network connection lost."
