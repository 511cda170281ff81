"""What the state-editing subcommands share: config/persist options, opening the local state, and finding a
binding among the workers of several configs.

``pyflare dev`` keeps every worker's state under the state folder of its *first* config (or ``--persist-to``).
So that ``pyflare kv ... -c users/wrangler.toml`` finds the data ``pyflare dev -c gateway/wrangler.toml -c
users/wrangler.toml`` wrote, ``dev`` leaves a note beside each config (``.pyflare/dev-state.json``: the state
folder it used) and the commands read it when no ``--persist-to`` is given, saying where they look.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pyflare.config import ConfigError, ResolvedConfig, load_config
from pyflare.instance import DEFAULT_PERSIST, Pyflare

T = TypeVar("T")

# Beside each config: the state folder the last `pyflare dev` serving that worker used.
DEV_STATE_NOTE = Path(".pyflare") / "dev-state.json"


def add_state_options(parser: argparse.ArgumentParser) -> None:
    """``--config`` (repeatable, as for ``dev``), ``--env``, ``--persist-to``, ``--local`` (and a refused
    ``--remote``): which workers' local state a command works on, with wrangler's flag names."""
    parser.add_argument("--config", "-c", action="append", default=None, metavar="FILE",
                        help="Path to the wrangler config (or its folder; default: the current folder); repeat it "
                             "as for `pyflare dev -c a -c b` to reach the state those workers share")
    parser.add_argument("--env", "-e", default=None, metavar="NAME",
                        help="Environment to use for operations, and for selecting .env and .dev.vars files")
    parser.add_argument("--persist-to", default=None, metavar="DIR",
                        help="Directory for local persistence (default: the folder `pyflare dev` used for this "
                             "worker, else .pyflare/state beside the first config)")
    parser.add_argument("--local", action="store_true",
                        help="Interact with local storage (always the case: pyflare has no remote)")
    parser.add_argument("--remote", action="store_true", help=argparse.SUPPRESS)


def persist_folder(config: ResolvedConfig, persist_to: str | Path | None) -> Path:
    return Path(persist_to).resolve() if persist_to else config.root / DEFAULT_PERSIST


def record_dev_state(configs: Sequence[ResolvedConfig], state: Path) -> None:
    """``pyflare dev``: note beside every config which state folder its worker's data is in."""
    note = json.dumps({"state": str(state), "configs": [str(c.path) for c in configs]}, indent=2) + "\n"
    for config in configs:
        path = config.root / DEV_STATE_NOTE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".partial")
            partial.write_text(note, encoding="utf-8")
            partial.replace(path)
        except OSError:  # a read-only project folder: the commands then need --persist-to
            pass


def dev_state(config: ResolvedConfig) -> Path | None:
    """The state folder the last ``pyflare dev`` serving this worker used, if it left a note."""
    try:
        data = json.loads((config.root / DEV_STATE_NOTE).read_text(encoding="utf-8"))
        state = Path(data["state"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if state.is_dir() else None


def state_folder(configs: Sequence[ResolvedConfig], persist_to: str | None) -> Path:
    """Where the commands read and write: ``--persist-to``, else the folder ``pyflare dev`` used for the first
    config's worker (said on stderr when it is not that config's own), else ``.pyflare/state`` beside it."""
    first = configs[0]
    if persist_to:
        return persist_folder(first, persist_to)
    own = persist_folder(first, None)
    used = dev_state(first)
    if used is not None and used.resolve() != own.resolve():
        print(f"Using the local state `pyflare dev` used for {first.name}: {used} (--persist-to to choose another)",
              file=sys.stderr)
        return used
    return own


def config_paths(args: argparse.Namespace) -> list[str | None]:
    paths = getattr(args, "config", None)
    if isinstance(paths, str):
        return [paths]
    return list(paths) if paths else [None]


def run_on_local_state(args: argparse.Namespace, action: Callable[[Pyflare], Awaitable[T]]) -> T:
    """Open the workers' persisted state (bindings only, the workers' code is not imported) and run ``action``."""

    if getattr(args, "remote", False):
        raise ConfigError("--remote is not supported: pyflare works on local state only (drop --remote)")

    async def go() -> Any:
        configs = [load_config(path, environment=args.env, require_main=False) for path in config_paths(args)]
        mf = Pyflare(configs, persist_to=state_folder(configs, args.persist_to), crons=False, apply_migrations=False)
        await mf.start(load_worker=False)
        try:
            return await action(mf)
        finally:
            await mf.close()

    return asyncio.run(go())


def find_plugin(mf: Pyflare, kind: type, probe: Callable[[Any], Any], what: str) -> Any:
    """The plugin of class ``kind`` that has ``what`` (``probe(plugin)`` returns what it resolves to, e.g. a
    storage name, or raises LookupError), looked up across every worker of ``mf``. Several workers resolving
    it to different storage is an error naming them; the lookup error of the first worker if none has it."""
    hits: list[tuple[Any, Any, Any]] = []
    first_error: LookupError | None = None
    for worker in mf.workers.values():
        try:
            plugin = worker.plugin(kind)
        except LookupError as exc:
            first_error = first_error or exc
            continue
        try:
            key = probe(plugin)
        except LookupError as exc:
            first_error = first_error or exc
            continue
        hits.append((worker, plugin, key))
    if not hits:
        raise first_error or LookupError(f"no worker has {what}")
    if len({key for _, _, key in hits}) > 1:
        named = " and ".join(f'"{worker.name}" ({worker.config.path})' for worker, _, _ in hits)
        raise LookupError(f"{what} is in the config of several workers: {named}; give only the -c of the one you mean")
    return hits[0][1]
