"""Whole test suites: the same 200 tests under Cloudflare's vitest pool and under pyflare's pytest fixtures.

One application (KV, R2, D1, a queue with a consumer, a Durable Object, a workflow) written twice, as a JS
worker (benchmarks/suite/js) and as a Python worker (benchmarks/suite/python), each with the same 200 tests
in 10 files: the same requests and assertions, and fresh storage for every test (pyflare's ``pyflare``
fixture; the pool's per-file isolation plus ``reset()`` after each test, see suite/js/test/setup.js).

Both sides are installed by this script into a cache folder (``--cache``, env ``PYFLARE_BENCH_CACHE``,
default ``~/.cache/pyflare-bench``), never into the repository:
- vitest: ``npm install`` of @cloudflare/vitest-pool-workers 0.15.1 and vitest 4.1.12. They run on node 20:
  later pool releases and the renamed @cloudflare/vitest-plugin 1.x depend on miniflare/wrangler releases
  whose ``engines`` ask for node >= 22 (``--vitest-pool @cloudflare/vitest-plugin@1.5.1`` tries one there).
  Skipped with one line when node/npm are missing.
- pytest: a virtualenv holding this checkout of pyflare (editable, so it runs this source) with pytest,
  pytest-asyncio and pytest-xdist and nothing else, as a user's project has (the developer environment's
  other pytest plugins, e.g. hypothesis's, would add their own start-up).
Each side runs once to warm its caches (bytecode, vite's transforms), then ``--rounds`` times in turn:
vitest, pytest serial, pytest ``-n 2`` (pytest-xdist), and pytest ``--collect-only`` (what passes before
the first test). Printed per row: wall time (best and median), CPU time (user + system of the whole child
process tree, steady when other work shares the machine), peak RSS (the sum over the process tree, sampled
every 20 ms), and ratios to the vitest run.
Target (issue 27): pytest serial at least 10x faster than vitest in wall time, and ``-n 2`` faster again.

    python benchmarks/bench_suite.py [--rounds 3] [--cache DIR] [--python-env venv|current] [--no-vitest]
                                     [--compare OTHER_CHECKOUT]   # e.g. `git archive <commit>` unpacked
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUITE = HERE / "suite"
REPO = HERE.parent
TESTS = 200

VITEST_POOL = "@cloudflare/vitest-pool-workers@0.15.1"  # miniflare 4.20260426.0, wrangler 4.86.0: node >= 20
VITEST = "vitest@4.1.12"  # engines: node ^20 || ^22 || >= 24
PYTEST_PACKAGES = ["pytest>=8", "pytest-asyncio>=0.23", "pytest-xdist>=3.5"]


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    output: str


@dataclass
class Row:
    name: str
    runs: list[Run] = field(default_factory=list)

    def best_wall(self) -> float:
        return min(r.wall_s for r in self.runs)

    def median_wall(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    def cpu(self) -> float:
        return min(r.cpu_s for r in self.runs)

    def median_cpu(self) -> float:
        return statistics.median(r.cpu_s for r in self.runs)

    def rss(self) -> float:
        return max(r.peak_rss_mb for r in self.runs)


def _tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants now (kB)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        parent = re.search(r"^PPid:\s+(\d+)", status, re.M)
        resident = re.search(r"^VmRSS:\s+(\d+)", status, re.M)
        pid = int(entry.name)
        if parent:
            children.setdefault(int(parent.group(1)), []).append(pid)
        rss[pid] = int(resident.group(1)) if resident else 0
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def measure(cmd: list[str], cwd: Path, env: dict[str, str], expect: str) -> Run:
    """Run ``cmd`` to the end: wall time, CPU of the process tree (``wait4``'s rusage covers every descendant
    that was waited for), and the peak of the tree's summed RSS. ``expect`` must appear in its output."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read() if proc.stdout else b""  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.decode(errors="replace"))
    if proc.returncode != 0 or expect not in text:
        raise SystemExit(f"{' '.join(cmd)} (in {cwd}) failed with exit code {proc.returncode}:\n{text[-4000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, peak / 1024, text)


def copy_sources(work: Path) -> None:
    """The suite's sources into the work folder (installed packages there are kept)."""
    for part in ("js/src", "js/test", "python/src", "python/tests", "migrations"):
        target = work / part
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(SUITE / part, target, ignore=shutil.ignore_patterns("__pycache__"))
    for single in ("js/wrangler.jsonc", "js/vitest.config.mjs", "python/wrangler.toml", "python/pytest.ini"):
        shutil.copy2(SUITE / single, work / single)


def install_vitest(work: Path, pool: str) -> Path | None:
    """The JS project with the pool installed by npm, or None (one line said why)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        print("vitest side skipped: node/npm not found on PATH")
        return None
    project = work / "js"
    name, _, version = pool.rpartition("@")
    package = {"private": True, "type": "module", "devDependencies": {name: version, "vitest": VITEST.split("@")[1]}}
    wanted = json.dumps(package, indent=1) + "\n"
    manifest = project / "package.json"
    if not (project / "node_modules" / name).is_dir() or not manifest.exists() or manifest.read_text() != wanted:
        manifest.write_text(wanted)
        print(f"installing {pool} and {VITEST} with npm into {project} ...", flush=True)
        result = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=project,
                                capture_output=True, text=True)
        if result.returncode != 0:
            print(f"vitest side skipped: npm install failed:\n{result.stderr.strip()[-2000:]}")
            return None
    config = project / "vitest.config.mjs"
    config.write_text(config.read_text().replace('"@cloudflare/vitest-pool-workers"', json.dumps(name)))
    return project


def install_venv(cache: Path, repo: Path) -> Path:
    """A virtualenv with the pyflare checkout ``repo`` (editable) and pytest's plugins; its python."""
    tag = hashlib.sha256(f"{repo}\n{(repo / 'pyproject.toml').read_text()}\n{PYTEST_PACKAGES}".encode()).hexdigest()
    venv = cache / f"venv-py{sys.version_info[0]}{sys.version_info[1]}-{tag[:12]}"
    python = venv / "bin" / "python"
    if not (venv / "installed").exists():
        shutil.rmtree(venv, ignore_errors=True)
        print(f"creating {venv} (pyflare from {repo}, {', '.join(PYTEST_PACKAGES)}) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", str(repo), *PYTEST_PACKAGES], check=True)
        (venv / "installed").write_text(tag)
    return python


def child_env(keep_pythonpath: bool) -> dict[str, str]:
    """The children's environment: bytecode caching on (as on a developer's machine), so the warm-up run
    writes what the measured runs read; no PYTHONPATH unless running in the current environment."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if not keep_pythonpath:
        env.pop("PYTHONPATH", None)
    env.setdefault("NO_COLOR", "1")
    return env


def versions(python: str, env: dict[str, str]) -> str:
    code = ("import importlib.metadata as m, sys, pyflare; print(f'Python {sys.version.split()[0]}; pyflare from '"
            "+ pyflare.__file__.rsplit('/pyflare/', 1)[0] + '; ' + ', '.join(f'{p} ' + m.version(p) "
            "for p in ('pytest', 'pytest-asyncio', 'pytest-xdist')))")
    return subprocess.run([python, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", type=Path,
                        default=Path(os.environ.get("PYFLARE_BENCH_CACHE", Path.home() / ".cache" / "pyflare-bench")))
    parser.add_argument("--python-env", choices=["venv", "current"], default="venv",
                        help="venv: a clean virtualenv made here (default); current: this interpreter as it is")
    parser.add_argument("--vitest-pool", default=VITEST_POOL, help="npm package@version of the vitest pool")
    parser.add_argument("--no-vitest", action="store_true", help="run the pytest side only")
    parser.add_argument("--compare", type=Path, metavar="CHECKOUT",
                        help="also run the pytest side with another pyflare checkout (e.g. an older commit)")
    args = parser.parse_args()

    work = args.cache.resolve() / "suite"
    for part in ("js", "python"):
        (work / part).mkdir(parents=True, exist_ok=True)
    copy_sources(work)
    project = None if args.no_vitest else install_vitest(work, args.vitest_pool)
    python = sys.executable if args.python_env == "current" else str(install_venv(args.cache.resolve(), REPO))
    env = child_env(keep_pythonpath=args.python_env == "current")
    pytest_dir = work / "python"

    rows: list[tuple[Row, list[str], Path, str]] = []
    if project is not None:
        rows.append((Row(f"vitest ({args.vitest_pool.rsplit('/', 1)[-1]})"),
                     [str(project / "node_modules" / ".bin" / "vitest"), "run"], project, f"{TESTS} passed"))
    pythons = [("", python)]
    if args.compare is not None:
        pythons.append((f" [{args.compare.name}]", str(install_venv(args.cache.resolve(), args.compare.resolve()))))
    for label, interpreter in pythons:
        pytest = [interpreter, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        rows += [
            (Row(f"pytest, serial{label}"), pytest, pytest_dir, f"{TESTS} passed"),
            (Row(f"pytest -n 2 (xdist){label}"), [*pytest, "-n", "2"], pytest_dir, f"{TESTS} passed"),
            (Row(f"pytest --collect-only{label}"), [*pytest, "--collect-only"], pytest_dir, f"{TESTS} tests collected"),
        ]
        print(versions(interpreter, env))
    print(f"warming up (one untimed run of each), then {args.rounds} rounds ...", flush=True)
    for _row, cmd, cwd, expect in rows:
        measure(cmd, cwd, env, expect)
    for _ in range(args.rounds):
        for row, cmd, cwd, expect in rows:
            row.runs.append(measure(cmd, cwd, env, expect))

    print(f"\n{TESTS} tests in 10 files (KV, R2, D1, a queue and its consumer, a Durable Object, a workflow), "
          f"fresh storage per test; {args.rounds} rounds; load average now {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    print("wall and CPU: best of the rounds (median beside); CPU is user + system time of the whole process tree")
    print(f"{'':40} {'wall':>8} {'(median)':>9} {'CPU':>7} {'(median)':>9} {'peak RSS':>9}   vitest/this: wall  CPU")
    baseline = rows[0][0] if project is not None else None
    for row, *_ in rows:
        ratios = ""
        if baseline is not None and row is not baseline:
            ratios = f"{baseline.best_wall() / row.best_wall():17.1f}x {baseline.cpu() / row.cpu():4.1f}x"
        print(f"{row.name:40} {row.best_wall():7.2f}s {row.median_wall():8.2f}s {row.cpu():6.2f}s "
              f"{row.median_cpu():8.2f}s {row.rss():6.0f} MB{ratios}")
    first = 1 if project is not None else 0
    for offset in range(0, len(rows) - first, 3):
        serial, xdist = rows[first + offset][0], rows[first + offset + 1][0]
        print(f"{xdist.name} vs {serial.name}: {serial.best_wall() / xdist.best_wall():.2f}x (wall)")
    print("target: pytest serial >= 10x vitest (wall), and -n 2 faster than serial")


if __name__ == "__main__":
    main()
