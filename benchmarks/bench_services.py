"""Service bindings and the Cache API: what crossing to another worker costs, and cache hits per second.

In-process, on one event loop (``Pyflare([front, back])``):
- an RPC call over a service binding (``await env.BACK.add(1, 2)``) against a direct call of the same method
  on an instance of the target class, and with a dict argument against ``copy.deepcopy`` of it;
- ``await env.BACK.fetch(url)`` against calling the target's fetch handler directly;
- Cache API ``match`` hits per second against KV ``get`` hits per second (same 1 KB body).
Over HTTP (``pyflare dev -c front -c back``, wrk -t2 -c32): a plain request answered by the front worker,
against one forwarded with ``env.BACK.fetch(request)`` and one that makes an RPC call.

Run: ``python benchmarks/bench_services.py [--seconds 5] [--no-http]``.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import time
from collections.abc import Awaitable, Callable

from harness import HERE, Load, free_port, measured, pyflare_dev, ratio, start, wrk

FRONT = HERE / "workers" / "services" / "front" / "wrangler.toml"
BACK = HERE / "workers" / "services" / "back" / "wrangler.toml"


async def per_call_us(fn: Callable[[], Awaitable[object]], seconds: float = 1.0) -> float:
    for _ in range(200):  # warm-up
        await fn()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(200):
            await fn()
        count += 200
    return (time.perf_counter() - started) * 1e6 / count


async def in_process(seconds: float) -> None:
    from pyflare import Pyflare
    from pyflare.workers import Request

    async with Pyflare([FRONT, BACK], clock="manual") as mf:
        back = mf.worker("back").runtime.worker
        target = back.exports["Default"](back.context(), back.env)
        svc = mf.env.BACK
        payload = {"id": 7, "tags": ["a", "b"], "meta": {"n": 1.5, "ok": True}}

        async def direct_add() -> object:
            return await target.add(1, 2)

        async def rpc_add() -> object:
            return await svc.add(1, 2)

        async def direct_copy() -> object:
            return await target.echo(copy.deepcopy(payload))

        async def rpc_echo() -> object:
            return await svc.echo(payload)

        async def direct_fetch() -> object:
            return await back.fetch(Request("https://back/x"))

        async def binding_fetch() -> object:
            return await svc.fetch("https://back/x")

        rows = [
            ("RPC add(1, 2)", await per_call_us(rpc_add, seconds), "direct await instance.add(1, 2)",
             await per_call_us(direct_add, seconds)),
            ("RPC echo(dict)", await per_call_us(rpc_echo, seconds), "direct echo(copy.deepcopy(dict))",
             await per_call_us(direct_copy, seconds)),
            ("env.BACK.fetch(url)", await per_call_us(binding_fetch, seconds), "direct fetch handler call",
             await per_call_us(direct_fetch, seconds)),
        ]
        print("in-process, per call:")
        for name, value, base_name, base in rows:
            print(f"  {name:<22} {value:8.1f} us   vs {base_name:<34} {base:8.1f} us   ratio {ratio(value, base)}")



async def cache_vs_kv(seconds: float) -> None:
    """Cache hits against KV gets of the same body, in a worker that has a KV namespace."""
    import tempfile
    from pathlib import Path

    from pyflare import Pyflare
    from pyflare.workers import Response

    folder = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    (folder / "src").mkdir()
    (folder / "src" / "entry.py").write_text("from workers import Response\ndef on_fetch(request):\n"
                                             "    return Response('ok')\n")
    (folder / "wrangler.toml").write_text('name = "c"\nmain = "src/entry.py"\n[[kv_namespaces]]\n'
                                          'binding = "KV"\nid = "kv"\n')
    body = "x" * 1024
    async with Pyflare(folder, clock="manual") as mf:
        cache = mf.caches.default
        await cache.put("https://bench/item", Response(body, headers={"cache-control": "max-age=3600"}))
        await mf.env.KV.put("item", body)
        hit_us = await per_call_us(lambda: cache.match("https://bench/item"), seconds)
        miss_us = await per_call_us(lambda: cache.match("https://bench/missing"), seconds)
        kv_us = await per_call_us(lambda: mf.env.KV.get("item"), seconds)
    print("Cache API (1 KB body):")
    print(f"  match, hit   {1e6 / hit_us:10.0f} /s  ({hit_us:6.1f} us)")
    print(f"  match, miss  {1e6 / miss_us:10.0f} /s  ({miss_us:6.1f} us)")
    print(f"  KV get       {1e6 / kv_us:10.0f} /s  ({kv_us:6.1f} us)   cache hit/KV get ratio "
          f"{ratio(1e6 / hit_us, 1e6 / kv_us)}")


def over_http(seconds: int, rounds: int = 3) -> None:
    """Each path is measured in several interleaved rounds and the best kept, so a busy machine hurts every
    path alike; server CPU time per request is the steadier figure when the machine is shared."""
    port = free_port()
    server = start(pyflare_dev(FRONT, port, "-c", str(BACK), "--no-persist"), port, path="/plain")
    paths = ("plain", "via-fetch", "via-rpc")
    loads: dict[str, Load] = {}
    try:
        for path in paths:
            wrk(f"{server.url}/{path}", seconds=1)  # warm-up
        for round_number in range(rounds):
            for path in paths[round_number % len(paths):] + paths[:round_number % len(paths)]:
                load = measured(server, f"{server.url}/{path}", seconds)
                best = loads.get(path)
                if best is None or load.rps > best.rps:
                    loads[path] = load
                elif load.cpu_us < best.cpu_us:
                    best.cpu_us = load.cpu_us
    finally:
        server.stop()
    base = loads["plain"]
    print(f"over HTTP (pyflare dev -c front -c back, wrk -t2 -c32, best of {rounds} interleaved rounds):")
    for path in paths:
        load = loads[path]
        print(f"  /{path:<10} {load.rps:9.0f} req/s  p50 {load.p50_ms:6.2f} ms  p99 {load.p99_ms:6.2f} ms  "
              f"cpu {load.cpu_us:6.0f} us/req   vs plain: req/s {ratio(load.rps, base.rps)}, "
              f"cpu {ratio(load.cpu_us, base.cpu_us)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--no-http", action="store_true", help="skip the wrk part")
    args = parser.parse_args()
    asyncio.run(in_process(min(args.seconds, 2)))
    asyncio.run(cache_vs_kv(min(args.seconds, 2)))
    if not args.no_http:
        over_http(args.seconds)


if __name__ == "__main__":
    main()
