"""R2 benchmark: put and get of a 1 MiB object through ``pyflare dev`` under wrk, against a baseline.

In one run, each with ``wrk -t2 -c16 -d<seconds>s`` over loopback:
- baseline: a worker route returning a constant 1 MiB body (no R2),
- get: a worker route returning ``(await env.BUCKET.get(key)).body`` (a streamed 1 MiB object),
- put (HTTP body): PUT requests with a 1 MiB body (wrk Lua script), streamed into ``env.BUCKET.put``,
- put (fixed body): a worker route that puts a constant 1 MiB value.
Every put is durable (blob fsynced, row committed) before the response. Figures: requests/s, MB/s
(1 MiB = 1.048576 MB per request) and the ratio to the baseline measured in the same run.
Run: ``python benchmarks/bench_r2.py [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import tempfile
import textwrap
from pathlib import Path

from harness import free_port, pyflare_dev, start, wrk

MIB = 1024 * 1024

CONFIG = """
name = "bench-r2"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[r2_buckets]]
binding = "BUCKET"
bucket_name = "bench"
"""

ENTRY = """
from workers import Response, WorkerEntrypoint

BODY = b"x" * (1024 * 1024)
count = 0


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        global count
        path = request.url.split("/", 3)[-1]
        bucket = self.env.BUCKET
        if path == "baseline":
            return Response(BODY)
        if path == "get":
            obj = await bucket.get("fixed")
            if obj is None:
                await bucket.put("fixed", BODY)
                obj = await bucket.get("fixed")
            return Response(obj.body, headers={"content-length": str(obj.size)})
        if path == "put-fixed":
            count += 1
            await bucket.put(f"fixed-{count % 64}", BODY)
            return Response("ok")
        if path == "put" and request.method == "PUT":
            count += 1
            obj = await bucket.put(f"body-{count % 64}", request.body)
            return Response(str(obj.size))
        return Response("ok")
"""

PUT_SCRIPT = """
wrk.method = "PUT"
wrk.body = string.rep("x", 1048576)
wrk.headers["Content-Type"] = "application/octet-stream"
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-r2-") as tmp:
        root = Path(tmp)
        (root / "src").mkdir()
        (root / "wrangler.toml").write_text(textwrap.dedent(CONFIG))
        (root / "src" / "entry.py").write_text(textwrap.dedent(ENTRY))
        script = root / "put.lua"
        script.write_text(PUT_SCRIPT)
        port = free_port()
        server = start(pyflare_dev(root / "wrangler.toml", port, "--persist-to", str(root / "state")), port)
        try:
            runs = {}
            for name, path, lua in (
                ("baseline (1 MiB constant)", "/baseline", None),
                ("R2 get 1 MiB (streamed)", "/get", None),
                ("R2 put 1 MiB (HTTP body)", "/put", script),
                ("R2 put 1 MiB (fixed body)", "/put-fixed", None),
            ):
                runs[name] = wrk(server.url + path, seconds=args.seconds, connections=args.connections, script=lua)
            rss = server.peak_rss_mb()
        finally:
            server.stop()

    base = runs["baseline (1 MiB constant)"].rps
    print(f"pyflare dev, wrk -t2 -c{args.connections} -d{args.seconds}s, loopback, 1 MiB objects, durable puts")
    print(f"{'workload':30} {'req/s':>9} {'MB/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x baseline':>11}")
    for name, load in runs.items():
        mbps = load.rps * MIB / 1e6
        print(f"{name:30} {load.rps:9.1f} {mbps:9.1f} {load.p50_ms:8.2f} {load.p99_ms:8.2f} {load.rps / base:11.2f}")
    print(f"server peak RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()
