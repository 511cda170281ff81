"""Core benchmark: hello world through ``pyflare dev`` against a bare Starlette app, in the same run.

Prints requests/s, p50/p99 latency and the pyflare/bare ratio (wrk -t2 -c32 over loopback), the time from
process start to the first 200, peak RSS under load, and the cost of a fresh isolated ``Pyflare`` as the
pytest fixture makes one.  Run: ``python benchmarks/bench_core.py [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from harness import HERE, free_port, pyflare_dev, start, uvicorn_app, wrk

HELLO = HERE / "workers" / "hello" / "wrangler.toml"


def serve_and_load(cmd_for_port, seconds: int) -> tuple[float, float, object]:
    port = free_port()
    server = start(cmd_for_port(port), port)
    try:
        wrk(server.url + "/", seconds=1)  # warm-up
        load = wrk(server.url + "/", seconds=seconds)
        return server.startup_s, server.peak_rss_mb(), load
    finally:
        server.stop()


def startup_times(cmd_for_port, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        port = free_port()
        server = start(cmd_for_port(port), port)
        times.append(server.startup_s)
        server.stop()
    return statistics.median(times)


async def fresh_instance_ms(runs: int = 50) -> float:
    from pyflare import Pyflare

    async def one() -> None:
        async with Pyflare(HELLO, clock="manual") as mf:
            await mf.dispatch_fetch("/")

    await one()  # the first load pays for imports and bytecode compilation once
    started = time.perf_counter()
    for _ in range(runs):
        await one()
    return (time.perf_counter() - started) * 1000 / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()

    def bare(port: int) -> list[str]:
        return uvicorn_app("bare_starlette:app", port, HERE / "workers")

    def pyflare(port: int) -> list[str]:
        return pyflare_dev(HELLO, port, "--no-persist")

    bare_start, bare_rss, bare_load = serve_and_load(bare, args.seconds)
    py_start, py_rss, py_load = serve_and_load(pyflare, args.seconds)
    bare_start, py_start = startup_times(bare), startup_times(pyflare)
    fresh = asyncio.run(fresh_instance_ms())

    print(f"{'server':<22}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'start->200 ms':>15}{'peak RSS MB':>13}")
    print(f"{'bare starlette':<22}{bare_load.rps:>10.0f}{bare_load.p50_ms:>9.2f}{bare_load.p99_ms:>9.2f}"
          f"{bare_start * 1000:>15.0f}{bare_rss:>13.1f}")
    print(f"{'pyflare dev (hello)':<22}{py_load.rps:>10.0f}{py_load.p50_ms:>9.2f}{py_load.p99_ms:>9.2f}"
          f"{py_start * 1000:>15.0f}{py_rss:>13.1f}")
    print(f"ratio pyflare/bare req/s: {py_load.rps / bare_load.rps:.2f} (target >= 0.80)")
    print(f"start->first 200: pyflare {py_start * 1000:.0f} ms vs bare {bare_start * 1000:.0f} ms "
          f"(ratio {py_start / bare_start:.2f}; target < 400 ms)")
    print(f"peak RSS: pyflare {py_rss:.1f} MB vs bare {bare_rss:.1f} MB (target < 64 MB)")
    print(f"fresh isolated Pyflare (start, one request, close): {fresh:.1f} ms (target < 20 ms)")


if __name__ == "__main__":
    main()
