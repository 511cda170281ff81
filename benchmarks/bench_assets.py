"""Static assets: an asset served by pyflare's asset worker against the same bytes returned by the Python
worker, through one ``pyflare dev`` in the same run (wrk -t2 -c32 over loopback).

Prints requests/s and p50/p99 for ``/style.css`` (asset: stat, ignore rules, ETag, _headers) and
``/api/style`` (the worker's Response), and the asset/worker ratio; then the same for conditional requests
(``If-None-Match`` -> 304), and first the process CPU per request in-process (steady when the machine is
busy, unlike wrk's figures). Run: ``python benchmarks/bench_assets.py [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx
from harness import HERE, free_port, pyflare_dev, start, wrk

CONFIG = HERE / "workers" / "assets" / "wrangler.toml"


async def cpu_per_request(app, path: str, headers: list[tuple[bytes, bytes]], runs: int) -> float:
    """Process CPU microseconds per request through the ASGI app in-process (steady on a busy machine)."""
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"host", b"localhost"), *headers], "scheme": "http", "server": ("localhost", 80),
             "http_version": "1.1", "client": ("127.0.0.1", 1)}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    for _ in range(200):
        await app(dict(scope), receive, send)
    started = time.process_time()
    for _ in range(runs):
        await app(dict(scope), receive, send)
    return (time.process_time() - started) / runs * 1e6


async def in_process(runs: int) -> None:
    from pyflare import Pyflare

    async with Pyflare(CONFIG, dev=False) as mf:
        etag = (await mf.dispatch_fetch("/style.css")).headers["etag"].encode()
        asset = await cpu_per_request(mf.asgi_app, "/style.css", [], runs)
        worker = await cpu_per_request(mf.asgi_app, "/api/style", [], runs)
        cached = await cpu_per_request(mf.asgi_app, "/style.css", [(b"if-none-match", etag)], runs)
    print(f"in-process CPU per request: asset {asset:.0f} us, worker {worker:.0f} us, asset 304 {cached:.0f} us; "
          f"asset / worker {asset / worker:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3000)
    args = parser.parse_args()
    seconds = args.seconds
    asyncio.run(in_process(args.runs))
    port = free_port()
    server = start(pyflare_dev(CONFIG, port, "--no-persist"), port, path="/style.css")
    try:
        etag = httpx.get(server.url + "/style.css").headers["etag"]
        with tempfile.TemporaryDirectory() as folder:
            conditional = Path(folder) / "if-none-match.lua"
            conditional.write_text(f'wrk.headers["If-None-Match"] = {etag!r}\n')
            wrk(server.url + "/style.css", seconds=1)  # warm-up
            asset = wrk(server.url + "/style.css", seconds=seconds)
            worker = wrk(server.url + "/api/style", seconds=seconds)
            not_modified = wrk(server.url + "/style.css", seconds=seconds, script=conditional)
    finally:
        server.stop()
    print(f"asset  /style.css   {asset.rps:9.0f} req/s  p50 {asset.p50_ms:.2f} ms  p99 {asset.p99_ms:.2f} ms")
    print(f"worker /api/style   {worker.rps:9.0f} req/s  p50 {worker.p50_ms:.2f} ms  p99 {worker.p99_ms:.2f} ms")
    print(f"asset 304           {not_modified.rps:9.0f} req/s  p50 {not_modified.p50_ms:.2f} ms")
    print(f"asset / worker: {asset.rps / worker.rps:.2f}x   304 / worker: {not_modified.rps / worker.rps:.2f}x")


if __name__ == "__main__":
    main()
