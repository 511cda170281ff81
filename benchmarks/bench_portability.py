"""What portability costs: strict mode's overhead per request, and how long ``pyflare check`` takes.

Strict mode wraps ``threading.Thread.start`` and adds an audit hook the interpreter calls on every audited
event (file opens included), so each request of a strict worker may pay a little. Measured in-process
(httpx's ASGITransport, one event loop), in the same run:
- a raw ASGI app answering "ok" (the floor of the in-process stack);
- the hello worker, strict mode off (the baseline) and on;
- a worker that reads a file and sorts with ``random`` on every request (audited events on the request
  path), off and on.
Then ``pyflare check`` on the non-portable sample of the tests and on the hello example (whole-project
reads: the config, the modules, the packages and the gzip of the upload).
Prints CPU milliseconds per request (this process's CPU time: steadier than wall time on a shared machine)
and the ratios to the baselines. Run:
``python benchmarks/bench_portability.py [--requests 2000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
from harness import HERE

REPO = HERE.parent
HELLO = HERE / "workers" / "hello" / "wrangler.toml"
SAMPLE = REPO / "tests" / "portability" / "nonportable"

BUSY = """
import random
from pathlib import Path
from workers import Response, WorkerEntrypoint

DATA = Path(__file__).with_name("data.txt")

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        words = DATA.read_text().split()
        random.shuffle(words)
        return Response(" ".join(sorted(words)))
"""


async def raw_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def per_request_ms(app, requests: int) -> float:
    """Median of five rounds of ``requests`` sequential GETs, in CPU ms per request."""
    rounds = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as client:
        for _ in range(20):  # warm up
            (await client.get("/")).raise_for_status()
        for _ in range(5):
            started = time.process_time()
            for _ in range(requests):
                (await client.get("/")).raise_for_status()
            rounds.append((time.process_time() - started) * 1000 / requests)
    return statistics.median(rounds)


async def worker_ms(config: Path, requests: int, *, strict: bool) -> float:
    from pyflare import Pyflare

    async with Pyflare(config, strict_portability=strict) as mf:
        return await per_request_ms(mf.asgi_app, requests)


def busy_worker(folder: Path) -> Path:
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "entry.py").write_text(textwrap.dedent(BUSY))
    (folder / "src" / "data.txt").write_text(" ".join(f"word{i}" for i in range(200)))
    config = folder / "wrangler.toml"
    config.write_text('name = "busy"\nmain = "src/entry.py"\ncompatibility_date = "2025-11-01"\n'
                      'compatibility_flags = ["python_workers"]\n')
    return config


def check_ms(path: Path, runs: int = 5) -> float:
    from pyflare.portability import check

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        check(path)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    n = args.requests
    raw = await per_request_ms(raw_app, n)
    print(f"raw ASGI app (in-process floor):   {raw:.3f} ms/request")
    with tempfile.TemporaryDirectory() as folder:
        busy = busy_worker(Path(folder))
        for name, config in (("hello", HELLO), ("file + random", busy)):
            off = await worker_ms(config, n, strict=False)
            on = await worker_ms(config, n, strict=True)
            print(f"{name:15} strict off: {off:.3f} ms/request ({off / raw:.2f}x raw)   "
                  f"strict on: {on:.3f} ms/request ({on / off:.3f}x strict off)")
    sample, hello = check_ms(SAMPLE), check_ms(HELLO)
    print(f"pyflare check: non-portable sample {sample:.0f} ms, hello {hello:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
