"""What pyflare's pytest plugin costs a pytest run that does not use it.

pytest imports every installed ``pytest11`` entry point on every run, so the plugin's import cost is paid by
every project in an environment where pyflare is installed. In a temporary folder without a worker config
(one plain test), ``python -X importtime -m pytest --co -q`` runs twice per round: with the plugin, and with
``-p no:pyflare`` (the baseline, same run). The figure is the summed cumulative import time of the
top-level imports only the first run makes (target: < 30 ms), next to the baseline's total import time.
pytest loads entry points with ``importlib.import_module``, whose own module (and its parent packages)
``-X importtime`` does not list, so the import of ``pyflare.testing.plugin`` is also timed whole, in a process
that imported pytest and its other plugins first.

Run: ``python benchmarks/bench_plugin_import.py [--rounds 5]`` (another interpreter measures another
install, e.g. ``/path/to/venv/bin/python benchmarks/bench_plugin_import.py``).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROW = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)")


def import_rows(folder: Path, *args: str) -> list[tuple[int, int, str]]:
    """(cumulative µs, depth, module) of each import ``pytest --co`` makes in ``folder``."""
    stderr = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", *args],
        cwd=folder, capture_output=True, text=True, check=False).stderr
    return [(int(m[2]), len(m[3]), m[4]) for m in map(ROW.match, stderr.splitlines()) if m]


def measure(folder: Path) -> tuple[float, float, list[tuple[int, str]]]:
    baseline = import_rows(folder, "-p", "no:pyflare")
    with_plugin = import_rows(folder)
    seen = {module for _, _, module in baseline}
    extra = [(cumulative, module) for cumulative, depth, module in with_plugin if depth == 1 and module not in seen]
    baseline_total = sum(cumulative for cumulative, depth, _ in baseline if depth == 1) / 1000
    return sum(c for c, _ in extra) / 1000, baseline_total, extra


WHOLE_IMPORT = """
import time, pytest, _pytest.python
for plugin in ("pytest_asyncio.plugin", "anyio.pytest_plugin"):  # loaded before pyflare's where installed
    try:
        __import__(plugin)
    except ImportError:
        pass
start = time.perf_counter()
import pyflare.testing.plugin
print((time.perf_counter() - start) * 1000)
"""


def whole_import_ms(folder: Path) -> float:
    """Milliseconds ``import pyflare.testing.plugin`` takes after pytest is imported."""
    return float(subprocess.run([sys.executable, "-c", WHOLE_IMPORT], cwd=folder, capture_output=True, text=True,
                                check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_plain.py").write_text("def test_plain():\n    assert True\n")
        results = [measure(folder) for _ in range(args.rounds)]
        whole = min(whole_import_ms(folder) for _ in range(args.rounds))
    plugin_ms, baseline_ms, extra = min(results)
    print(f"pyflare's pytest plugin, pytest --co in a project without pyflare (best of {args.rounds}):")
    print(f"  plugin imports:   {plugin_ms:7.1f} ms  (target < 30 ms)")
    print(f"  pytest's imports: {baseline_ms:7.1f} ms  without the plugin (-p no:pyflare); "
          f"ratio {plugin_ms / baseline_ms:.3f}")
    print(f"  import pyflare.testing.plugin, whole: {whole:7.1f} ms  (after pytest and its other plugins)")
    for cumulative, module in sorted(extra, reverse=True)[:8]:
        print(f"    {cumulative / 1000:7.1f} ms  {module}")


if __name__ == "__main__":
    main()
