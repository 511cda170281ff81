"""What the state-editing subcommands share: config/persist options and opening the local state."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from pyflare.config import ConfigError, ResolvedConfig, load_config
from pyflare.instance import DEFAULT_PERSIST, Pyflare

T = TypeVar("T")


def add_state_options(parser: argparse.ArgumentParser) -> None:
    """``--config``, ``--env``, ``--persist-to``, ``--local`` (and a refused ``--remote``): which worker's
    local state a command works on, with wrangler's flag names."""
    parser.add_argument("--config", "-c", default=None, metavar="FILE",
                        help="Path to the wrangler config (or its folder; default: the current folder)")
    parser.add_argument("--env", "-e", default=None, metavar="NAME",
                        help="Environment to use for operations, and for selecting .env and .dev.vars files")
    parser.add_argument("--persist-to", default=None, metavar="DIR",
                        help="Directory for local persistence (default: .pyflare/state beside the config)")
    parser.add_argument("--local", action="store_true",
                        help="Interact with local storage (always the case: pyflare has no remote)")
    parser.add_argument("--remote", action="store_true", help=argparse.SUPPRESS)


def persist_folder(config: ResolvedConfig, persist_to: str | None) -> Path:
    return Path(persist_to).resolve() if persist_to else config.root / DEFAULT_PERSIST


def run_on_local_state(args: argparse.Namespace, action: Callable[[Pyflare], Awaitable[T]]) -> T:
    """Open the worker's persisted state (bindings only, the worker's code is not imported) and run ``action``."""

    if getattr(args, "remote", False):
        raise ConfigError("--remote is not supported: pyflare works on local state only (drop --remote)")

    async def go() -> Any:
        config = load_config(args.config, environment=args.env, require_main=False)
        mf = Pyflare(config, persist_to=persist_folder(config, args.persist_to), crons=False, apply_migrations=False)
        await mf.start(load_worker=False)
        try:
            return await action(mf)
        finally:
            await mf.close()

    return asyncio.run(go())
