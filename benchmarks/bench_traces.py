"""Traces benchmark: the request path's cost of recording every request as a trace, on vs off in one run.

Two ``pyflare dev`` servers of the same worker run side by side: one records traces (the default), one runs
with ``--no-traces``. Each round drives both, alternating, on two routes with ``wrk -t2 -c32 -d<seconds>s``
over loopback: ``GET /`` (hello: the trace is the invocation alone) and ``GET /kv`` (one KV read and a
``console.log``: an invocation, a span and a log line). Alternating rounds spread the noise of a shared
machine over both servers; the figures quoted are the medians over rounds of requests/s, and of the server's
CPU time per request (user + system, which moves little when other work shares the machine), both during the
load (the request path) and including the traces' writing, which pyflare does once the server is idle (measured
after a pause following each load). The target
(issue 25): traces on costs at most 10% of the request path. The traces written during the run are counted
from the store afterwards, so the "on" server is shown to have really recorded them.
Run: ``python benchmarks/bench_traces.py [--seconds 3] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

from harness import Load, free_port, measured, pyflare_dev, start, wrk

CONFIG = """
name = "bench-traces"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[kv_namespaces]]
binding = "KV"
id = "bench"
"""

ENTRY = """
from js import console
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/kv"):
            value = await self.env.KV.get("bench-key")
            if value is None:
                await self.env.KV.put("bench-key", "x" * 256)
                value = "x" * 256
            console.log("read", len(value))
            return Response(value)
        return Response("Hello World!")
"""

ROUTES = ("/", "/kv")
SETTLE = 2.0  # seconds after each load: pyflare writes the traces once the server is idle


def worker(folder: Path) -> Path:
    (folder / "src").mkdir(parents=True)
    (folder / "wrangler.toml").write_text(CONFIG)
    (folder / "src" / "entry.py").write_text(textwrap.dedent(ENTRY))
    return folder / "wrangler.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-traces-") as tmp:
        on_config, off_config = worker(Path(tmp) / "on"), worker(Path(tmp) / "off")
        on_port, off_port = free_port(), free_port()
        servers = {"on": start(pyflare_dev(on_config, on_port), on_port, path="/kv"),
                   "off": start(pyflare_dev(off_config, off_port, "--no-traces"), off_port, path="/kv")}
        results: dict[tuple[str, str], list[Load]] = {(s, r): [] for s in servers for r in ROUTES}
        try:
            for server in servers.values():
                for route in ROUTES:
                    wrk(server.url + route, seconds=1)  # warm-up
            for round_number in range(args.rounds):
                order = ("on", "off") if round_number % 2 == 0 else ("off", "on")
                for route in ROUTES:
                    for name in order:
                        server = servers[name]
                        before = server.cpu_seconds()
                        load = measured(server, server.url + route, args.seconds)
                        time.sleep(SETTLE)  # the idle writer writes the round's traces now
                        load.total_cpu_us = (server.cpu_seconds() - before) * 1e6 / max(load.requests, 1)
                        results[(name, route)].append(load)
        finally:
            for server in servers.values():
                server.stop()
        store = Path(tmp) / "on" / ".pyflare" / "state" / "observability" / "traces.sqlite"
        traces = sqlite3.connect(store).execute("SELECT COUNT(*) FROM spans WHERE parent_id IS NULL").fetchone()[0]
        off_store = (Path(tmp) / "off" / ".pyflare" / "state" / "observability").exists()

    print(f"Traces on vs off through pyflare dev (wrk -t2 -c32 -d{args.seconds}s, loopback, {args.rounds} rounds, "
          "alternating; medians)")
    for route in ROUTES:
        for name in ("on", "off"):
            loads = results[(name, route)]
            rps = statistics.median(load.rps for load in loads)
            cpu = statistics.median(load.cpu_us for load in loads)
            p50 = statistics.median(load.p50_ms for load in loads)
            total = statistics.median(load.total_cpu_us for load in loads)
            every = " ".join(f"{load.rps:.0f}" for load in loads)
            print(f"  GET {route:<4} traces {name:<3} {rps:8.0f} req/s  p50 {p50:6.2f} ms  {cpu:6.0f} us CPU/request "
                  f"under load, {total:6.0f} us with the writing after it  (rounds: {every} req/s)")
    print("Cost of traces (on / off; target on the request path: throughput >= 0.90, CPU per request under load <= 1.10)")
    for route in ROUTES:
        on, off = results[("on", route)], results[("off", route)]
        rps_ratio = statistics.median(a.rps for a in on) / statistics.median(b.rps for b in off)
        cpu_ratio = statistics.median(a.cpu_us for a in on) / statistics.median(b.cpu_us for b in off)
        total_ratio = statistics.median(a.total_cpu_us for a in on) / statistics.median(b.total_cpu_us for b in off)
        print(f"  GET {route:<4} throughput {rps_ratio:5.2f}   CPU per request under load {cpu_ratio:5.2f}   "
              f"CPU per request, writing included {total_ratio:5.2f}")
    print(f"Traces stored by the 'on' server: {traces:,} (the store keeps the newest 10,000); "
          f"'off' server wrote a trace store: {off_store}")


if __name__ == "__main__":
    main()
