"""What the state-editing subcommands share: config/persist options and opening the local state."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from pyflare.config import ResolvedConfig, load_config
from pyflare.instance import DEFAULT_PERSIST, Pyflare

T = TypeVar("T")


def add_state_options(parser: argparse.ArgumentParser) -> None:
    """``--config``, ``--env`` and ``--persist-to``: which worker's local state a command works on."""
    parser.add_argument("--config", "-c", default=None, help="config file or folder (default: current folder)")
    parser.add_argument("--env", "-e", default=None, help="environment from [env.NAME]")
    parser.add_argument("--persist-to", default=None, help="state folder (default .pyflare/state beside the config)")


def persist_folder(config: ResolvedConfig, persist_to: str | None) -> Path:
    return Path(persist_to).resolve() if persist_to else config.root / DEFAULT_PERSIST


def run_on_local_state(args: argparse.Namespace, action: Callable[[Pyflare], Awaitable[T]]) -> T:
    """Open the worker's persisted state (bindings only, the worker's code is not imported) and run ``action``."""

    async def go() -> Any:
        config = load_config(args.config, environment=args.env, require_main=False)
        mf = Pyflare(config, persist_to=persist_folder(config, args.persist_to), crons=False)
        await mf.start(load_worker=False)
        try:
            return await action(mf)
        finally:
            await mf.close()

    return asyncio.run(go())
