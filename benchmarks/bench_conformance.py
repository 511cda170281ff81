"""Conformance report: the same operation sequences on Miniflare (workerd) and on pyflare, compared.

Miniflare (an exact version) is installed from the npm registry into ``$PYFLARE_CONFORMANCE_CACHE``
(default ``~/.cache/pyflare-conformance``) on first use; without node/npm this prints one line and exits 0.
Prints the summary (operations compared, differences per binding and by kind) and writes the full report,
with every difference, to ``--report`` (default ``conformance-report.md``). Sequences are seeded, so a
rerun gives the same report. Run: ``python3 benchmarks/bench_conformance.py [--seed N] [--only kv,r2]``.
See docs/conformance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conformance.compare import differences_json  # noqa: E402
from conformance.harness import Unavailable  # noqa: E402
from conformance.run import run_suite  # noqa: E402
from conformance.sequences.generated import DEFAULT_SEED  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated sequences")
    parser.add_argument("--only", default="", help="comma-separated bindings (kv, r2, d1, do-sqlite, do-kv, "
                                                  "do-sql, queues, cache, websockets)")
    parser.add_argument("--report", type=Path, default=Path("conformance-report.md"), help="where to write the report")
    args = parser.parse_args()
    bindings = {b.strip() for b in args.only.split(",") if b.strip()} or None
    try:
        run = asyncio.run(run_suite(args.seed, bindings))
    except Unavailable as exc:
        print(exc)
        return 0
    args.report.write_text(run.report(details=True), encoding="utf-8", errors="backslashreplace")
    whole = args.report.with_suffix(".json")
    whole.write_text(json.dumps(differences_json(run.comparison), indent=1, ensure_ascii=True), encoding="utf-8")
    print(run.report(details=False), end="")
    print(f"\n{run.seconds:.1f} s; full report with every difference: {args.report} (whole answers: {whole})")
    return 1 if run.comparison.unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
