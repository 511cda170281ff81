"""``pyflare check``: report what in a Python Workers project would fail or behave differently on Cloudflare."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

DESCRIPTION = """\
Check a Python Workers project for what would fail, or behave differently, on Cloudflare.

Reads the wrangler config, the main module and the modules it imports, the declared and locked packages and
python_modules/, and reports each problem with its file and line, why, and the fix: packages Pyodide cannot
load, entropy at import time, threads, subprocesses, sockets, file writes, Python features newer than the
runtime the compatibility flags select, and the upload size. Exit status: 0 without errors, 1 with errors
(warnings alone exit 0), 2 for a bad config. See docs/portability.md."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("check", help="🔎 Check a Python Worker for what would fail on Cloudflare",
                                   description=DESCRIPTION)
    parser.add_argument("path", nargs="?", default=None,
                        help="The path to your config file, or to a folder that holds one (default: .)")
    parser.add_argument("--env", "-e", default=None, metavar="NAME", help="Environment whose settings to check")
    parser.add_argument("--json", action="store_true", help="Print the report as JSON (for tools)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pyflare.portability.checker import check

    report = check(args.path, environment=args.env)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.format_text(), file=sys.stdout)
    return report.exit_status
