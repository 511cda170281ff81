"""HTTP serving benchmark: pyflare dev against the fastest baselines, all measured in the same run.

Workloads (``wrk -t2 -c32 -d<seconds>s`` over loopback after a warm-up):
- hello: pyflare dev serving a one-line worker, against a raw ASGI app on uvicorn + httptools + uvloop
  (the physical limit for a Python server here); bare Starlette and Miniflare are shown for context;
- KV read, KV write (256-byte POST body), D1 read by primary key (1000-row table, random id): pyflare dev
  against Miniflare 4 (workerd) serving the same worker written in JavaScript. Miniflare is installed from
  the npm registry into a temporary folder when node/npm exist; otherwise those ratios are skipped.
Also: start to first 200 (median of 5 starts, against the raw ASGI app's) and peak RSS after the load.
Every figure is printed with its ratio to its baseline; targets from issue 8 are shown beside them.

Run: ``python benchmarks/bench_http.py [--seconds 5] [--python PATH] [--no-miniflare]``.
``--python`` runs pyflare dev with another interpreter (e.g. a venv holding an older pyflare), which is
how before/after figures are taken in one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from harness import (
    HERE,
    Load,
    Server,
    free_port,
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


@dataclass
class Row:
    name: str
    load: Load | None


class Bench:
    def __init__(self, seconds: int, warmup: int, folder: Path) -> None:
        self.seconds = seconds
        self.warmup = warmup
        self.post = folder / "post.lua"
        self.post.write_text(POST_SCRIPT)
        self.read = folder / "read.lua"
        self.read.write_text(READ_SCRIPT)

    def run(self, server: Server, path: str, script: Path | None = None) -> Load:
        url = server.url + (path if script is not self.read else "")
        wrk(url, seconds=self.warmup, script=script)
        return wrk(url, seconds=self.seconds, script=script)

    def hello(self, cmd: list[str], port: int) -> tuple[Load, float]:
        server = start(cmd, port)
        try:
            return self.run(server, "/"), server.peak_rss_mb()
        finally:
            server.stop()

    def bindings(self, cmd: list[str], port: int) -> tuple[dict[str, Load], float]:
        server = start(cmd, port, path="/setup")
        try:
            loads = {
                "KV read": self.run(server, "/kv/read"),
                "KV write": self.run(server, "/kv/write", self.post),
                "D1 read by primary key": self.run(server, "", self.read),
            }
            return loads, server.peak_rss_mb()
        finally:
            server.stop()


def startup_ms(cmd_for_port, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        port = free_port()
        server = start(cmd_for_port(port), port)
        times.append(server.startup_s * 1000)
        server.stop()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
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

    port = free_port()
    raw_hello, raw_rss = bench.hello(raw(port), port)
    port = free_port()
    starlette_hello, _ = bench.hello(uvicorn_app("bare_starlette:app", port, HERE / "workers"), port)
    port = free_port()
    py_hello, py_hello_rss = bench.hello(hello(port), port)
    port = free_port()
    py_loads, py_rss = bench.bindings(
        pyflare_dev(project / "wrangler.toml", port, "--persist-to", str(folder / "state"), python=args.python), port
    )
    mf_hello: Load | None = None
    mf_loads: dict[str, Load] = {}
    if mf_dir is not None:
        port = free_port()
        mf_hello, _ = bench.hello(miniflare(mf_dir, js, port), port)
        port = free_port()
        mf_loads, _ = bench.bindings(miniflare(mf_dir, js, port), port)
    raw_start = startup_ms(raw)
    py_start = startup_ms(hello)

    print(f"HTTP benchmark: wrk -t2 -c{32} -d{args.seconds}s over loopback after a {args.warmup}s warm-up; "
          f"pyflare dev run by {args.python}")
    print(f"{'workload':<24}{'server':<34}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}  ratio to baseline")
    hello_rows = [
        ("raw ASGI (uvicorn+httptools+uvloop)", raw_hello, "baseline"),
        ("bare Starlette (same stack)", starlette_hello, ratio(starlette_hello.rps, raw_hello.rps)),
        ("pyflare dev", py_hello, f"{ratio(py_hello.rps, raw_hello.rps)} of raw ASGI (target >= 0.60x)"),
    ]
    if mf_hello is not None:
        hello_rows.append(("Miniflare 4 (workerd)", mf_hello, f"{ratio(mf_hello.rps, raw_hello.rps)} of raw ASGI"))
    for server, load, note in hello_rows:
        print(f"{'hello':<24}{server:<34}{load.rps:>9.0f}{load.p50_ms:>8.2f}{load.p99_ms:>8.2f}  {note}")
    for name, load in py_loads.items():
        base = mf_loads.get(name)
        if base is not None:
            print(f"{name:<24}{'Miniflare 4 (workerd)':<34}{base.rps:>9.0f}{base.p50_ms:>8.2f}{base.p99_ms:>8.2f}  baseline")
            note = f"{ratio(load.rps, base.rps)} Miniflare (target >= 6x)"
        else:
            note = "no Miniflare baseline in this run"
        print(f"{name:<24}{'pyflare dev':<34}{load.rps:>9.0f}{load.p50_ms:>8.2f}{load.p99_ms:>8.2f}  {note}")
    print(f"start to first 200: pyflare dev {py_start:.0f} ms, raw ASGI {raw_start:.0f} ms "
          f"({ratio(py_start, raw_start)}; target < 300 ms)")
    peak = max(py_rss, py_hello_rss)
    print(f"peak RSS under load: pyflare dev {peak:.1f} MB (hello {py_hello_rss:.1f}, KV+D1 {py_rss:.1f}), "
          f"raw ASGI {raw_rss:.1f} MB ({ratio(peak, raw_rss)}; target < 64 MB)")


if __name__ == "__main__":
    main()
