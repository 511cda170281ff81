"""HTTP serving benchmark: pyflare dev against the fastest baselines, all measured in the same run.

Workloads (``wrk -t2 -c32 -d<seconds>s`` over loopback after a warm-up):
- hello: pyflare dev serving a one-line worker, against a raw ASGI app on uvicorn + httptools + uvloop
  (the physical limit for a Python server here); bare Starlette and Miniflare are shown for context;
- KV read, KV write (256-byte POST body), D1 read by primary key (1000-row table, random id): pyflare dev
  against Miniflare 4 (workerd) serving the same worker written in JavaScript. Miniflare is installed from
  the npm registry into a temporary folder when node/npm exist; otherwise those ratios are skipped.
Also: start to first 200 (median of 5 starts, against the raw ASGI app's) and peak RSS after the load.
Every figure is printed with its ratio to its baseline; targets from issue 8 are shown beside them. Beside
requests/s, each server's CPU time per request is measured (the ratio that stays honest when other work
shares the machine); ``--rounds N`` interleaves N rounds of every workload and keeps the best.

Run: ``python benchmarks/bench_http.py [--seconds 5] [--rounds 3] [--python PATH] [--no-miniflare]``.
``--python`` runs pyflare dev with another interpreter (e.g. a venv holding an older pyflare), which is
how before/after figures are taken in one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path

from harness import (
    HERE,
    Load,
    Server,
    free_port,
    measured,
    miniflare,
    miniflare_dir,
    pyflare_dev,
    ratio,
    start,
    uvicorn_app,
    wrk,
)

HELLO = HERE / "workers" / "hello" / "wrangler.toml"
ROWS = 1000

CONFIG = """
name = "bench-http"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[kv_namespaces]]
binding = "KV"
id = "bench"

[[d1_databases]]
binding = "DB"
database_name = "bench"
database_id = "00000000-0000-0000-0000-00000000bec1"
"""

SEED_SQL = (
    "INSERT OR IGNORE INTO users (id, name, email, score) "
    f"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {ROWS}) "
    "SELECT x, 'user' || x, 'user' || x || '@example.com', x * 7 % 100 FROM n"
)
CREATE_SQL = "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, score INTEGER NOT NULL)"

# The same worker twice: Python for pyflare, JavaScript for Miniflare.
PY_WORKER = f'''
from workers import Response, WorkerEntrypoint

VALUE = "x" * 256
written = 0


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        global written
        path = request.url.split("/", 3)[-1]
        if path == "kv/read":
            value = await self.env.KV.get("bench-key")
            if value is None:
                await self.env.KV.put("bench-key", VALUE)
                value = VALUE
            return Response(value)
        if path == "kv/write":
            written += 1
            await self.env.KV.put(f"key-{{written % 1000}}", await request.text())
            return Response("ok")
        if path.startswith("d1/read/"):
            row = await self.env.DB.prepare("SELECT id, name, email, score FROM users WHERE id = ?").bind(
                int(path[8:])
            ).first()
            return Response.json(row)
        if path == "setup":
            await self.env.DB.prepare("{CREATE_SQL}").run()
            await self.env.DB.prepare("{SEED_SQL}").run()
            return Response("ok")
        return Response("Hello World!")
'''

JS_WORKER = f"""
const VALUE = "x".repeat(256);
let written = 0;
export default {{
  async fetch(request, env) {{
    const path = new URL(request.url).pathname.slice(1);
    if (path === "kv/read") {{
      let value = await env.KV.get("bench-key");
      if (value === null) {{ await env.KV.put("bench-key", VALUE); value = VALUE; }}
      return new Response(value);
    }}
    if (path === "kv/write") {{
      written += 1;
      await env.KV.put(`key-${{written % 1000}}`, await request.text());
      return new Response("ok");
    }}
    if (path.startsWith("d1/read/")) {{
      const row = await env.DB.prepare("SELECT id, name, email, score FROM users WHERE id = ?")
        .bind(Number(path.slice(8))).first();
      return Response.json(row);
    }}
    if (path === "setup") {{
      await env.DB.prepare("{CREATE_SQL}").run();
      await env.DB.prepare("{SEED_SQL}").run();
      return new Response("ok");
    }}
    return new Response("Hello World!");
  }}
}};
"""

POST_SCRIPT = """
wrk.method = "POST"
wrk.body = string.rep("y", 256)
wrk.headers["Content-Type"] = "text/plain"
"""

READ_SCRIPT = f"""
math.randomseed(42)
request = function()
  return wrk.format("GET", "/d1/read/" .. math.random(1, {ROWS}))
end
"""


WORKLOADS = {  # name: (path, wrk script name or None)
    "hello": ("/", None),
    "KV read": ("/kv/read", None),
    "KV write": ("/kv/write", "post"),
    "D1 read by primary key": ("", "read"),
}


class Bench:
    """Servers started once; each round runs every workload on every server (interleaved, so load from
    elsewhere on the machine hits all of them alike); the best round counts."""

    def __init__(self, seconds: int, warmup: int, folder: Path) -> None:
        self.seconds = seconds
        self.warmup = warmup
        self.scripts = {"post": folder / "post.lua", "read": folder / "read.lua"}
        self.scripts["post"].write_text(POST_SCRIPT)
        self.scripts["read"].write_text(READ_SCRIPT)
        self.servers: dict[str, Server] = {}
        self.best: dict[tuple[str, str], Load] = {}

    def start(self, name: str, cmd: list[str], port: int, path: str = "/") -> None:
        self.servers[name] = start(cmd, port, path=path)

    def round(self, plan: list[tuple[str, str]], warm: bool) -> None:
        for server_name, workload in plan:
            server = self.servers[server_name]
            path, script_name = WORKLOADS[workload]
            script = self.scripts[script_name] if script_name else None
            if warm:
                wrk(server.url + path, seconds=self.warmup, script=script)
            load = measured(server, server.url + path, self.seconds, script)
            key = (server_name, workload)
            previous = self.best.get(key)
            if previous is not None:
                load.cpu_us = min(load.cpu_us, previous.cpu_us)
                load = load.best(previous) if load.rps < previous.rps else load
            self.best[key] = load

    def stop(self) -> dict[str, float]:
        rss = {name: server.peak_rss_mb() for name, server in self.servers.items()}
        for server in self.servers.values():
            server.stop()
        return rss


def startup_ms(cmd_for_port, runs: int = 5) -> tuple[float, float]:
    """Median wall and CPU milliseconds from process start to the first 200."""
    times, cpu = [], []
    for _ in range(runs):
        port = free_port()
        server = start(cmd_for_port(port), port)
        times.append(server.startup_s * 1000)
        cpu.append(server.startup_cpu_s * 1000)
        server.stop()
    return statistics.median(times), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="rounds of every workload; the best counts")
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs pyflare dev")
    parser.add_argument("--no-miniflare", action="store_true", help="skip the Miniflare baseline")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-http-"))
    project = folder / "py"
    (project / "src").mkdir(parents=True)
    (project / "wrangler.toml").write_text(CONFIG)
    (project / "src" / "entry.py").write_text(textwrap.dedent(PY_WORKER))
    js = folder / "js" / "worker.mjs"
    js.parent.mkdir()
    js.write_text(JS_WORKER)
    bench = Bench(args.seconds, args.warmup, folder)
    mf_dir = None if args.no_miniflare else miniflare_dir()

    def raw(port: int) -> list[str]:
        return uvicorn_app("raw_asgi:app", port, HERE / "workers")

    def hello(port: int) -> list[str]:
        return pyflare_dev(HELLO, port, "--no-persist", python=args.python)

    bench.start("raw", raw(port := free_port()), port)
    bench.start("starlette", uvicorn_app("bare_starlette:app", port := free_port(), HERE / "workers"), port)
    bench.start("pyflare hello", hello(port := free_port()), port)
    bench.start("pyflare", pyflare_dev(project / "wrangler.toml", port := free_port(), "--persist-to",
                                       str(folder / "state"), python=args.python), port, path="/setup")
    plan = [("raw", "hello"), ("starlette", "hello"), ("pyflare hello", "hello")]
    plan += [("pyflare", name) for name in ("KV read", "KV write", "D1 read by primary key")]
    if mf_dir is not None:
        bench.start("miniflare", miniflare(mf_dir, js, port := free_port()), port, path="/setup")
        plan += [("miniflare", name) for name in WORKLOADS]
    try:
        for index in range(args.rounds):
            bench.round(plan, warm=index == 0)
    finally:
        rss = bench.stop()
    raw_start = startup_ms(raw)
    py_start = startup_ms(hello)
    best = bench.best

    print(f"HTTP benchmark: wrk -t2 -c32 -d{args.seconds}s over loopback, {args.warmup}s warm-up, best of "
          f"{args.rounds} interleaved round(s); pyflare dev run by {args.python}")
    print("CPU us/req: the server's CPU time per request (all its processes); it barely moves when other work "
          "shares the machine, unlike req/s")
    print(f"{'workload':<24}{'server':<36}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'CPU us/req':>11}  ratio to baseline")

    def row(workload: str, label: str, load: Load, note: str) -> None:
        print(f"{workload:<24}{label:<36}{load.rps:>9.0f}{load.p50_ms:>8.2f}{load.p99_ms:>8.2f}{load.cpu_us:>11.1f}  {note}")

    def ratios(load: Load, base: Load) -> str:
        return f"{ratio(load.rps, base.rps)} req/s, {ratio(base.cpu_us, load.cpu_us)} by CPU"

    raw_hello = best[("raw", "hello")]
    row("hello", "raw ASGI (uvicorn+httptools+uvloop)", raw_hello, "baseline")
    row("hello", "bare Starlette (same stack)", best[("starlette", "hello")],
        ratios(best[("starlette", "hello")], raw_hello))
    row("hello", "pyflare dev", best[("pyflare hello", "hello")],
        ratios(best[("pyflare hello", "hello")], raw_hello) + " of raw ASGI (target >= 0.60x)")
    if ("miniflare", "hello") in best:
        row("hello", "Miniflare 4 (workerd)", best[("miniflare", "hello")],
            ratios(best[("miniflare", "hello")], raw_hello) + " of raw ASGI")
    for name in ("KV read", "KV write", "D1 read by primary key"):
        load = best[("pyflare", name)]
        base = best.get(("miniflare", name))
        if base is not None:
            row(name, "Miniflare 4 (workerd)", base, "baseline")
            row(name, "pyflare dev", load, ratios(load, base) + " of Miniflare (target >= 6x)")
        else:
            row(name, "pyflare dev", load, "no Miniflare baseline in this run")
    print(f"start to first 200: pyflare dev {py_start[0]:.0f} ms (CPU {py_start[1]:.0f} ms), raw ASGI "
          f"{raw_start[0]:.0f} ms (CPU {raw_start[1]:.0f} ms) ({ratio(py_start[0], raw_start[0])}; target < 300 ms)")
    peak = max(rss["pyflare"], rss["pyflare hello"])
    print(f"peak RSS under load: pyflare dev {peak:.1f} MB (hello {rss['pyflare hello']:.1f}, KV+D1 "
          f"{rss['pyflare']:.1f}), raw ASGI {rss['raw']:.1f} MB ({ratio(peak, rss['raw'])}; target < 64 MB)")


if __name__ == "__main__":
    main()
