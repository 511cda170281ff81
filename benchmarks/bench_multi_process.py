"""What sharing one state folder between processes costs: the same requests through the process that hosts the
Durable Object class (the owner) and through another process on the same state folder (a non-owner, which
forwards each object call to the owner over loopback HTTP; docs/multi-process.md).

In one run, two ``pyflare dev --persist-to STATE`` of one worker (the owner started first, so it hosts the
class), and a third ``pyflare dev`` of another worker binding the class with ``script_name`` through a private
dev registry. Each route is driven with ``wrk -t2 -c16 -d<seconds>s``, ``--rounds`` times, alternating the
processes; the figure per route and process is the median round (by req/s), with the CPU time all the
processes used per request in it (steadier than req/s on a machine other work shares):
- ``/plain``: a constant answer (the HTTP baseline of each process);
- ``/kv``: ``await env.KV.get("greeting")`` (SQLite, read in place by whichever process serves it);
- ``/counter``: ``await env.COUNTER.getByName("bench").increment()`` (storage read + write in the object).
Ratios, per route: non-owner / owner and registry / owner, of req/s (1.00x: free) and of CPU per request
(1.00x: free; 2.00x: the forwarded call costs as much again).
Run: ``python benchmarks/bench_multi_process.py [--seconds 5] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
from harness import Load, Server, free_port, pyflare_dev, ratio, start, wrk

CONFIG = """
name = "bench-shared"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Counter"]

[[kv_namespaces]]
binding = "KV"
id = "bench-kv"
"""

FRONT_CONFIG = """
name = "bench-front"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"
script_name = "bench-shared"
"""

ENTRY = """
from urllib.parse import urlparse
from workers import DurableObject, Response, WorkerEntrypoint


class Counter(DurableObject):
    async def increment(self):
        count = (await self.ctx.storage.get("count") or 0) + 1
        await self.ctx.storage.put("count", count)
        return count


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/plain":
            return Response("ok")
        if path == "/seed":
            await self.env.KV.put("greeting", "hello " * 20)
            return Response("seeded")
        if path == "/kv":
            return Response(await self.env.KV.get("greeting"))
        if path == "/counter":
            return Response(str(await self.env.COUNTER.getByName("bench").increment()))
        return Response("not found", status=404)
"""

FRONT_ENTRY = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/plain"):
            return Response("ok")
        return Response(str(await self.env.COUNTER.getByName("bench").increment()))
"""

ROUTES = ("/plain", "/kv", "/counter")


def write(folder: Path, config: str, entry: str) -> Path:
    (folder / "src").mkdir(parents=True)
    (folder / "wrangler.toml").write_text(config)
    (folder / "src" / "entry.py").write_text(textwrap.dedent(entry))
    return folder / "wrangler.toml"


def median(loads: list[Load]) -> Load:
    return sorted(loads, key=lambda load: load.rps)[len(loads) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-multi-") as tmp:
        root = Path(tmp)
        config = write(root / "shared", CONFIG, ENTRY)
        front_config = write(root / "front", FRONT_CONFIG, FRONT_ENTRY)
        shared = ["--persist-to", str(root / "state"), "--registry-dir", str(root / "registry"), "--no-crons"]
        servers: dict[str, Server] = {}
        try:
            port = free_port()
            servers["owner"] = start(pyflare_dev(config, port, *shared), port, path="/plain", timeout=120)
            httpx.get(servers["owner"].url + "/counter", timeout=30).raise_for_status()  # hosts the class now
            httpx.get(servers["owner"].url + "/seed", timeout=30).raise_for_status()
            port = free_port()
            servers["non-owner"] = start(pyflare_dev(config, port, *shared), port, path="/plain", timeout=120)
            port = free_port()
            servers["registry"] = start(pyflare_dev(front_config, port, "--no-persist", "--registry-dir",
                                                    str(root / "registry")), port, path="/plain", timeout=120)
            deadline = time.monotonic() + 60  # the front's registry view catches up with the owner's entry
            while httpx.get(servers["registry"].url + "/counter", timeout=30).status_code != 200:
                if time.monotonic() > deadline:
                    sys.exit("the front worker never reached the counter through the dev registry")
                time.sleep(0.1)
            for name, server in servers.items():  # warm-up: every route of every process once
                for route in ROUTES:
                    if not (name == "registry" and route == "/kv"):
                        wrk(server.url + route, seconds=1, connections=16)
            figures: dict[tuple[str, str], list[Load]] = {}
            for round_number in range(args.rounds):
                order = list(servers) if round_number % 2 == 0 else list(reversed(servers))
                for name in order:
                    for route in ROUTES:
                        if name == "registry" and route == "/kv":
                            continue  # the front has no KV: only the object crosses
                        before = sum(server.cpu_seconds() for server in servers.values())
                        load = wrk(servers[name].url + route, seconds=args.seconds, connections=16)
                        # CPU of every process per request: what forwarding costs, whatever else loads the machine
                        spent = sum(server.cpu_seconds() for server in servers.values()) - before
                        load.cpu_us = spent * 1e6 / max(load.requests, 1)
                        figures.setdefault((name, route), []).append(load)
            final = int(httpx.get(servers["non-owner"].url + "/counter", timeout=30).text)
        finally:
            for server in servers.values():
                server.stop()

    best = {key: median(loads) for key, loads in figures.items()}
    total = sum(load.requests for (_, route), loads in figures.items() if route == "/counter" for load in loads)
    print(f"One state folder, two pyflare dev processes (+ one through the dev registry); wrk -t2 -c16 "
          f"-d{args.seconds}s, median of {args.rounds} rounds, loopback")
    for (name, route), load in best.items():
        print(f"  {name:9} {route:9} {load.rps:9.0f} req/s  p50 {load.p50_ms:7.2f} ms  p99 {load.p99_ms:7.2f} ms  "
              f"CPU {load.cpu_us:7.0f} us/req (all processes)")
    print("Ratios (same run): req/s, and CPU per request (all processes)")
    for route in ROUTES:
        owner = best[("owner", route)]
        others = [name for name in ("non-owner", "registry") if (name, route) in best]
        print(f"  {route:9} " + "   ".join(
            f"{name} / owner: req/s {ratio(best[(name, route)].rps, owner.rps)}, "
            f"CPU {ratio(best[(name, route)].cpu_us, owner.cpu_us)}" for name in others))
    print(f"  /counter / /plain: owner {ratio(best[('owner', '/counter')].rps, best[('owner', '/plain')].rps)}, "
          f"non-owner {ratio(best[('non-owner', '/counter')].rps, best[('non-owner', '/plain')].rps)}")
    verdict = "none lost" if final > total else "INCREMENTS LOST"
    print(f"Counter after the run: {final}; increments wrk completed in the rounds: {total} ({verdict}; one "
          "object for all three processes)")


if __name__ == "__main__":
    main()
