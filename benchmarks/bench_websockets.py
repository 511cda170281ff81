"""WebSocket benchmark: broadcast throughput through one Durable Object, and memory per idle hibernated socket.

Throughput: N clients connect to one object (the hibernation API), each sends M messages, and every message
is broadcast to all N; reports messages delivered per second, against a bare uvicorn ASGI app doing the same
broadcast in the same run. Memory: C idle clients stay connected to another object until it hibernates
(10 s idle); reports the server's RSS above an idle ``pyflare dev`` that served one socket (the baseline,
measured in the same run), per connection. Target: 1,000 idle connections under 50 MB.
Run: ``python benchmarks/bench_websockets.py [--clients 50 --messages 20 --idle 1000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import sys
import time
from pathlib import Path

from harness import HERE, free_port, pyflare_dev, start, uvicorn_app
from websockets.asyncio.client import connect

ROOM = HERE / "workers" / "ws_room" / "wrangler.toml"
IDLE_EVICTION_S = 10.0  # pyflare.objects.IDLE_TIMEOUT: after it the object hibernates


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (so a client-bound run still compares server cost)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


async def open_clients(url: str, count: int) -> list:
    clients = []
    for start_at in range(0, count, 100):  # in batches: the listen backlog is finite
        batch = await asyncio.gather(*(connect(url, ping_interval=None, max_size=None, compression=None)
                                       for _ in range(min(100, count - start_at))))
        await asyncio.gather(*(ws.recv() for ws in batch))  # the welcome
        clients += batch
    return clients


async def broadcast(base: str, clients_n: int, messages: int, pid: int) -> tuple[float, float]:
    """Messages delivered per second, and server CPU microseconds per delivered message: every client sends
    ``messages``, each reaches all ``clients_n``."""
    clients = await open_clients(base + "/bench", clients_n)
    expected = clients_n * messages

    async def drain(ws) -> None:
        for _ in range(expected):
            await ws.recv()

    cpu_before = cpu_seconds(pid)
    started = time.perf_counter()
    readers = [asyncio.ensure_future(drain(ws)) for ws in clients]

    async def talk(ws, index: int) -> None:
        for n in range(messages):
            await ws.send(f"{index}:{n}")

    await asyncio.gather(*(talk(ws, i) for i, ws in enumerate(clients)))
    await asyncio.gather(*readers)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu_before
    await asyncio.gather(*(ws.close() for ws in clients))
    delivered = clients_n * expected
    return delivered / elapsed, cpu * 1e6 / delivered


async def idle_memory(server, base: str, count: int) -> tuple[float, float]:
    warm = await open_clients(base + "/warm", 1)  # the baseline has served a socket (imports done)
    await warm[0].close()
    await asyncio.sleep(0.5)
    baseline = rss_mb(server.proc.pid)
    clients = await open_clients(base + "/idle", count)
    await asyncio.sleep(IDLE_EVICTION_S + 1)  # no traffic: the object's instance is evicted, sockets stay
    loaded = rss_mb(server.proc.pid)
    await asyncio.gather(*(ws.close() for ws in clients))
    return baseline, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--idle", type=int, default=1000)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # both processes hold one fd per socket

    port = free_port()
    bare = start(uvicorn_app("bare_ws_broadcast:app", port, HERE / "workers") + ["--ws-max-size", "33554432"], port)
    try:
        bare_rate, bare_cpu = asyncio.run(broadcast(bare.url.replace("http", "ws"), args.clients, args.messages,
                                                    bare.proc.pid))
    finally:
        bare.stop()

    port = free_port()
    server = start(pyflare_dev(ROOM, port, "--no-persist"), port)
    try:
        ws_base = server.url.replace("http", "ws")
        rate, cpu = asyncio.run(broadcast(ws_base, args.clients, args.messages, server.proc.pid))
        baseline, loaded = asyncio.run(idle_memory(server, ws_base, args.idle))
    finally:
        server.stop()

    extra = loaded - baseline
    print(f"broadcast, {args.clients} clients x {args.messages} messages, each to all {args.clients}:")
    print(f"  pyflare dev (Durable Object, hibernation API): {rate:10,.0f} messages delivered/s")
    print(f"  bare uvicorn ASGI broadcast (baseline):        {bare_rate:10,.0f} messages delivered/s")
    print(f"  ratio pyflare/bare: {rate / bare_rate:.2f} (both can be bound by this one client process)")
    print(f"  server CPU per delivered message: pyflare {cpu:.1f} us, bare {bare_cpu:.1f} us "
          f"(pyflare costs {cpu / bare_cpu:.2f}x the bare app)")
    print(f"idle hibernated connections: {args.idle}")
    print(f"  idle pyflare dev RSS (baseline): {baseline:.1f} MB; with the connections: {loaded:.1f} MB")
    print(f"  extra: {extra:.1f} MB = {extra * 1024 / args.idle:.1f} KB per connection "
          f"(target: under 50 MB per 1,000 -> {'met' if extra * 1000 / args.idle < 50 else 'MISSED'})")


if __name__ == "__main__":
    sys.exit(main())
