"""The ``pyflare`` command: ``dev`` serves a worker; ``kv``, ``r2``, ``d1`` and ``workflows`` work on its local state.

Each subcommand lives in its own module with ``register(subparsers)``; commands that touch local state
open the same ``Pyflare`` instance the dev server would (see :func:`pyflare.cli.common.open_local`).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from pyflare.config import ConfigError

SUBCOMMANDS = ("dev", "kv", "r2", "d1", "workflows")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pyflare", description="Local emulator of Cloudflare Workers for Python")
    parser.add_argument("--version", action="version", version=f"pyflare {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"pyflare.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pyflare.cli.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def _version() -> str:
    from pyflare import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except ConfigError as exc:
        print(f"pyflare: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
