"""`pyflare dev` start to first 200, and its idle memory, against a raw ASGI app started the same way.

Each round starts, in turn: the raw ASGI app (benchmarks/workers/raw_asgi.py) under uvicorn with httptools and
uvloop, ``pyflare dev`` of examples/hello, and ``pyflare dev`` of benchmarks/workers/every_binding (KV, R2, D1,
a queue and its consumer, a Durable Object, a workflow, a service binding, a rate limiter, Vectorize, a worker
loader, assets, a cron trigger). The time is from ``Popen`` to the first 200 of ``GET /`` (polled every 2 ms),
the median over the rounds, with the CPU time the server had used by then; the memory is the server's resident
set (VmRSS) ``--settle`` seconds after its first 200, idle. Each pyflare project keeps a state folder across
the rounds, as a developer restarting ``pyflare dev`` does (the first round's start creates it and is dropped).

Targets (issue 27): hello under 150 ms, every binding under 300 ms; every binding idle under 60 MB RSS.
``--compare CHECKOUT`` starts the pyflare rows again from another checkout's ``src`` (e.g. main, unpacked with
``git archive``) in the same rounds.

    python benchmarks/bench_startup.py [--rounds 9] [--settle 1.0] [--compare OTHER_CHECKOUT]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import free_port, pyflare_dev, ratio, start, uvicorn_app

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HELLO = REPO / "examples" / "hello" / "wrangler.toml"
EVERY = HERE / "workers" / "every_binding" / "wrangler.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--settle", type=float, default=1.0, help="seconds idle before reading the RSS")
    parser.add_argument("--compare", type=Path, metavar="CHECKOUT", help="another pyflare checkout to start too")
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    checkouts = {"": REPO} | ({" [compare]": args.compare.resolve()} if args.compare else {})

    # bytecode is written and reused as on a developer's machine (a CI job may set PYTHONDONTWRITEBYTECODE)
    base_env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}

    def env_for(checkout: Path) -> dict[str, str]:
        return {**base_env, "PYTHONPATH": str(checkout / "src")}

    rows: dict[str, tuple] = {"raw ASGI (uvicorn, httptools, uvloop)": (
        lambda port: uvicorn_app("raw_asgi:app", port, HERE / "workers"), base_env)}
    for suffix, checkout in checkouts.items():
        for label, config in (("pyflare dev hello", HELLO), ("pyflare dev every binding", EVERY)):
            folder = state / f"{config.parent.name}{suffix.strip(' []')}"
            rows[label + suffix] = (
                lambda port, config=config, folder=folder: pyflare_dev(config, port, "--persist-to", str(folder)),
                env_for(checkout))

    wall: dict[str, list[float]] = {name: [] for name in rows}
    cpu: dict[str, list[float]] = {name: [] for name in rows}
    rss: dict[str, list[float]] = {name: [] for name in rows}
    for index in range(args.rounds + 1):
        for name, (command, env) in rows.items():
            port = free_port()
            server = start(command(port), port, env=env)
            time.sleep(args.settle)
            if index:  # the first round creates the state folders and warms the bytecode caches
                wall[name].append(server.startup_s * 1000)
                cpu[name].append(server.startup_cpu_s * 1000)
                rss[name].append(server.rss_mb())
            server.stop()

    load = os.getloadavg()[0]
    print(f"pyflare dev start to first 200 (median of {args.rounds} starts, interleaved; python {sys.version.split()[0]}; "
          f"load average {load:.1f} on {os.cpu_count()} CPUs)")
    print(f"{'server':<46}{'wall ms':>9}{'(min)':>8}{'CPU ms':>8}{'idle RSS MB':>13}  wall vs raw ASGI")
    raw = statistics.median(wall["raw ASGI (uvicorn, httptools, uvloop)"])
    for name in rows:
        median = statistics.median(wall[name])
        print(f"{name:<46}{median:>9.0f}{min(wall[name]):>8.0f}{statistics.median(cpu[name]):>8.0f}"
              f"{statistics.median(rss[name]):>13.1f}  {ratio(median, raw)}")
    print("targets: hello < 150 ms, every binding < 300 ms; every binding idle < 60 MB RSS")


if __name__ == "__main__":
    main()
