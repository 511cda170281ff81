"""What ``pyflare dev`` watches, and which saves reload the worker.

- **Code**: ``.py`` files under the folder of each worker's ``main`` (the folder whose modules Cloudflare
  uploads) and its ``python_modules/``, or, where the config sets wrangler's ``[build] watch_dir`` (a
  folder or a list of folders, relative to the config file), under those folders instead.
- **Config**: each worker's config file and the ``.dev.vars*`` / ``.env*`` files beside it (that folder is
  watched without its subfolders, so a project's ``.venv`` or ``node_modules`` costs nothing).
- **Migrations**: with ``--apply-migrations`` (or ``[pyflare] apply_migrations``), a ``.sql`` file saved in a D1
  database's migrations folder applies the unapplied migrations; it does not reload the worker.
- **Never**: tests (``tests/``, ``test/``, ``test_*.py``, ``*_test.py``, ``conftest.py``), D1 migrations
  folders (as code), the local state (``.pyflare``, ``--persist-to``), the assets directory, hidden folders
  (``.venv``, ``.git``, caches), ``node_modules`` and ``__pycache__``.

One save reloads once: changes arrive in batches (a batch closes after 50 ms without a new change), and a
batch passes only if some file's content differs from what the last reload saw, so an editor that writes
a file in several steps, or touches it again after writing, does not reload twice for one save.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyflare.config import ResolvedConfig

log = logging.getLogger("pyflare")

CONFIG_NAMES = ("wrangler.toml", "wrangler.json", "wrangler.jsonc")
SECRETS_PREFIXES = (".dev.vars", ".env")
TEST_DIRS = ("tests", "test")
NEVER_DIRS = ("__pycache__", "node_modules", "site-packages")
DEBOUNCE_MS = 400  # the longest a batch is held
STEP_MS = 50  # a batch closes after this long without a new change


@dataclass
class WatchPlan:
    roots: list[Path] = field(default_factory=list)  # the folders holding the workers' configs
    code_dirs: list[Path] = field(default_factory=list)  # watched with their subfolders, for .py files
    config_dirs: list[Path] = field(default_factory=list)  # roots not inside a code dir: watched alone
    ignored: list[Path] = field(default_factory=list)  # folders whose files never reload
    migrations: list[Path] = field(default_factory=list)  # D1 migrations folders, when migrations are applied

    def migrates(self, path: str | Path) -> bool:
        """Whether a change to ``path`` is a D1 migration to apply (never a reload)."""
        path = Path(path)
        return path.suffix == ".sql" and path.parent in self.migrations

    def reloads(self, path: str | Path) -> bool:
        """Whether a change to ``path`` should reload the worker."""
        path = Path(path)
        if path.parent in self.roots and (path.name in CONFIG_NAMES or path.name.startswith(SECRETS_PREFIXES)):
            return True
        if path.suffix != ".py" or _is_test_file(path.name):
            return False
        if any(path.is_relative_to(folder) for folder in self.ignored):
            return False
        for root in self.code_dirs:
            if path.is_relative_to(root):
                inside = path.relative_to(root).parts[:-1]
                return not any(part.startswith(".") or part in TEST_DIRS or part in NEVER_DIRS for part in inside)
        return False


def _is_test_file(name: str) -> bool:
    return name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")


def watch_plan(configs: Iterable[ResolvedConfig], persist_to: Path | None, *,
               migrations: bool = False) -> WatchPlan:
    """The folders to watch for these workers (missing ``watch_dir`` folders are named in a warning);
    ``migrations``: watch the D1 migrations folders too (``--apply-migrations``)."""
    from pyflare.runtime.loader import vendor_folders

    code: list[Path] = []
    plan = WatchPlan()
    for config in configs:
        root = config.root
        plan.roots.append(root)
        watch_dir = config.worker.build.watch_dir
        if watch_dir is not None:
            for entry in [watch_dir] if isinstance(watch_dir, str) else watch_dir:
                folder = (root / entry).resolve()
                if folder.is_dir():
                    code.append(folder)
                else:
                    log.warning("%s: build.watch_dir: %s is not a folder; not watched", config.path, entry)
        elif config.worker.main:
            main_folder = config.main_path.parent
            code += [main_folder, *vendor_folders(main_folder)]
        for database in config.worker.d1_databases:
            folder = (root / (database.migrations_dir or "migrations")).resolve()
            plan.ignored.append(folder)
            if migrations and folder.is_dir() and folder not in plan.migrations:
                plan.migrations.append(folder)
        if config.worker.assets is not None and config.worker.assets.directory:
            plan.ignored.append((root / config.worker.assets.directory).resolve())
        plan.ignored.append(root / ".pyflare")
    if persist_to is not None:
        plan.ignored.append(persist_to.resolve())
    # A folder inside another watched one is watched already.
    unique = sorted(dict.fromkeys(code), key=lambda p: len(p.parts))  # stable: the order the configs give
    plan.code_dirs = [d for i, d in enumerate(unique) if not any(d.is_relative_to(o) for o in unique[:i])]
    plan.roots = list(dict.fromkeys(plan.roots))
    plan.config_dirs = [d for d in plan.roots if not any(d.is_relative_to(o) for o in plan.code_dirs)]
    return plan


class SaveGate:
    """Passes a batch of changed paths only if some file's content differs from what the gate last saw
    (a deleted file counts as a change once)."""

    def __init__(self) -> None:
        self._seen: dict[str, bytes | None] = {}

    def changed(self, paths: Iterable[str]) -> set[str]:
        changed = set()
        for path in paths:
            digest = _digest(path)
            if path not in self._seen or self._seen[path] != digest:
                self._seen[path] = digest
                changed.add(path)
        return changed


def _digest(path: str) -> bytes | None:
    try:
        return hashlib.blake2b(Path(path).read_bytes(), digest_size=16).digest()
    except OSError:  # deleted (or unreadable): its absence is the content
        return None


async def watch_changes(plan: WatchPlan, stop: asyncio.Event, *, gate: SaveGate | None = None,
                        watching: asyncio.Event | None = None, debounce_ms: int = DEBOUNCE_MS,
                        step_ms: int = STEP_MS) -> AsyncIterator[set[str]]:
    """Yield each set of saved paths that should reload the worker, until ``stop`` is set. ``watching`` is
    set once the file watches are in place (a save from then on is seen)."""
    from watchfiles import DefaultFilter, awatch

    gate = gate or SaveGate()

    class Filter(DefaultFilter):  # the default drops editors' swap, backup and lock files
        def __call__(self, change: Any, path: str) -> bool:
            return super().__call__(change, path) and (plan.reloads(path) or plan.migrates(path))

    batches: asyncio.Queue[set[str]] = asyncio.Queue()
    watches = [(paths, recursive) for paths, recursive in ((plan.code_dirs, True), (plan.config_dirs, False),
                                                           (plan.migrations, False)) if paths]
    pending = len(watches)

    async def pump(paths: list[Path], recursive: bool) -> None:
        nonlocal pending
        changes_of = awatch(*paths, watch_filter=Filter(), debounce=debounce_ms, step=step_ms, stop_event=stop,
                            recursive=recursive)
        first = asyncio.ensure_future(changes_of.__anext__())  # awatch places its watches as it starts...
        pending -= 1
        if pending == 0 and watching is not None:  # ...which this turn of the loop does, before it waits
            watching.set()
        try:
            changes = await first
        except StopAsyncIteration:
            return
        await batches.put({path for _, path in changes})
        async for changes in changes_of:
            await batches.put({path for _, path in changes})

    pumps = [asyncio.create_task(pump(paths, recursive)) for paths, recursive in watches]
    if not pumps and watching is not None:
        watching.set()
    waiting_for_stop = asyncio.create_task(stop.wait())
    try:
        while True:
            getting = asyncio.create_task(batches.get())
            running = [task for task in pumps if not task.done()]
            await asyncio.wait([getting, waiting_for_stop, *running], return_when=asyncio.FIRST_COMPLETED)
            for task in pumps:
                if task.done() and not task.cancelled() and task.exception() is not None:
                    getting.cancel()
                    raise task.exception()  # type: ignore[misc]
            if not getting.done():
                getting.cancel()
                if stop.is_set() or all(task.done() for task in pumps):
                    return
                continue
            paths = getting.result()
            while not batches.empty():  # both watchers saw something: one reload
                paths |= batches.get_nowait()
            changed = gate.changed(paths)
            if changed:
                yield changed
    finally:
        waiting_for_stop.cancel()
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, waiting_for_stop, return_exceptions=True)
