"""Static assets: an asset served by pyflare's asset worker against the same bytes returned by the Python
worker, through one ``pyflare dev`` in the same run (wrk -t2 -c32 over loopback).

Prints requests/s and p50/p99 for ``/style.css`` (asset: stat, ignore rules, ETag, _headers) and
``/api/style`` (the worker's Response), and the asset/worker ratio; then the same for conditional requests
(``If-None-Match`` -> 304). Run: ``python benchmarks/bench_assets.py [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import httpx
from harness import HERE, free_port, pyflare_dev, start, wrk

CONFIG = HERE / "workers" / "assets" / "wrangler.toml"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    seconds = parser.parse_args().seconds
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
