"""D1 benchmark: reads by primary key and inserts through ``pyflare dev`` under wrk, against a same-run baseline.

In one run, against one ``pyflare dev`` server (``wrk -t2 -c32 -d<seconds>s``, loopback only):
- a baseline: a worker route that returns a constant body (the HTTP + worker dispatch cost alone);
- D1 reads: ``SELECT ... WHERE id = ?`` on a 1000-row table, a random id per request (wrk Lua script);
- D1 inserts: ``INSERT INTO events ... RETURNING id``, one row per request.
The database is prepared with the command line, as a user would: ``pyflare d1 migrations apply`` and
``pyflare d1 execute --file`` (1000 seeded rows). Figures are requests/s and ratios against the baseline
measured in the same run; reads against Miniflare (also measured in the same run) are in bench_http.py.
Run: ``python benchmarks/bench_d1.py [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from harness import free_port, pyflare_dev, start, wrk

ROWS = 1000

CONFIG = """
name = "bench-d1"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[d1_databases]]
binding = "DB"
database_name = "bench"
database_id = "00000000-0000-0000-0000-00000000bec1"
"""

MIGRATION = """
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, score INTEGER NOT NULL);
CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, at INTEGER NOT NULL);
"""

ENTRY = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[-1]
        if path.startswith("read/"):
            row = await self.env.DB.prepare("SELECT id, name, email, score FROM users WHERE id = ?").bind(
                int(path[5:])
            ).first()
            if row is None:
                return Response("missing", status=404)
            return Response.json(row)
        if path == "insert":
            row = await self.env.DB.prepare("INSERT INTO events (kind, at) VALUES (?, ?) RETURNING id").bind(
                "hit", 1
            ).first()
            return Response(str(row["id"]))
        return Response("ok")
"""

READ_SCRIPT = f"""
math.randomseed(42)
request = function()
  return wrk.format("GET", "/read/" .. math.random(1, {ROWS}))
end
"""


def pyflare_cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pyflare.cli", *args], check=True, stdout=subprocess.DEVNULL)


def prepare_project(folder: Path) -> Path:
    (folder / "src").mkdir(parents=True)
    (folder / "migrations").mkdir()
    config = folder / "wrangler.toml"
    config.write_text(CONFIG)
    (folder / "src" / "entry.py").write_text(textwrap.dedent(ENTRY))
    (folder / "migrations" / "0000_init.sql").write_text(MIGRATION)
    (folder / "read.lua").write_text(READ_SCRIPT)
    seed = folder / "seed.sql"
    seed.write_text("\n".join(
        f"INSERT INTO users (id, name, email, score) VALUES ({i}, 'user{i}', 'user{i}@example.com', {i * 7 % 100});"
        for i in range(1, ROWS + 1)
    ))
    state = folder / "state"
    pyflare_cli("d1", "migrations", "apply", "DB", "--config", str(config), "--persist-to", str(state))
    pyflare_cli("d1", "execute", "DB", "--file", str(seed), "--config", str(config), "--persist-to", str(state))
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-d1-"))
    config = prepare_project(folder)
    port = free_port()
    server = start(pyflare_dev(config, port, "--persist-to", str(folder / "state")), port, path="/read/1")
    try:
        wrk(server.url + "/", seconds=1)  # warm up
        baseline = wrk(server.url + "/", seconds=args.seconds)
        reads = wrk(server.url, seconds=args.seconds, script=folder / "read.lua")
        inserts = wrk(server.url + "/insert", seconds=args.seconds)
    finally:
        server.stop()

    cmd = f"wrk -t2 -c32 -d{args.seconds}s (loopback, pyflare dev --no-reload)"
    print(f"D1 benchmark: {cmd}; {ROWS}-row table")
    print(f"{'workload':<26}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'vs baseline':>13}")
    for name, load in (("baseline (constant body)", baseline), ("D1 read by primary key", reads),
                       ("D1 insert", inserts)):
        print(f"{name:<26}{load.rps:>10.0f}{load.p50_ms:>9.2f}{load.p99_ms:>9.2f}{load.rps / baseline.rps:>12.0%}")
    print("(D1 reads against Miniflare measured in the same run: benchmarks/bench_http.py)")


if __name__ == "__main__":
    main()
