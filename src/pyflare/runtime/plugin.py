"""The plugin interface: how a feature (a binding, static assets, crons) joins a worker.

A plugin package exposes ``create(platform: Platform) -> Plugin | None``. The :class:`Platform` is what
pyflare gives it for one worker: the worker's config, the one storage layer, the one clock, background
work, the worker's runtime, the object layer, the other workers of the same pyflare, and a :class:`Stash`
where the plugins of all workers share state under their own typed keys. A :class:`Plugin` puts objects
into the worker's env (``bindings()``), may answer requests before the worker (``front``), and may run
machinery beside it (``start``/``check``/``close``: queue consumers, cron schedules).

Which plugins exist, and when each is imported (only when the config uses it), is the composition root's
business: the registry is in :mod:`pyflare.instance`, as pytest keeps its default plugins beside its config.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyflare.kernel.stash import Stash

if TYPE_CHECKING:
    from pyflare.config import ResolvedConfig
    from pyflare.kernel.background import Background
    from pyflare.kernel.clock import Clock
    from pyflare.objects import ObjectLayer
    from pyflare.runtime.runtime import Runtime
    from pyflare.storage import Storage
    from pyflare.workers import Request, Response


@dataclass
class Options:
    """Emulation settings that are not part of wrangler's config (flags, ``Pyflare(...)`` arguments)."""

    kv_propagation_delay: float = 0.0
    crons: bool = True
    dev: bool = False
    test_scheduled: bool = False  # serve /__scheduled (pyflare dev --test-scheduled)
    cache: bool = True  # the Cache API stores responses (False: Miniflare's no-op cache)
    apply_migrations: bool = False  # apply unapplied D1 migrations when the worker starts
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Platform:
    """What pyflare gives a plugin for one worker (see the module docstring)."""

    config: ResolvedConfig
    storage: Storage
    clock: Clock
    background: Background
    runtime: Runtime
    options: Options
    # The other workers of the same pyflare, by name (``Pyflare.peer_platform``), and where plugins of
    # different workers meet, each under its own StashKey (one queue consumer registry, one cache store...).
    peers: Callable[[str], Platform | None] | None = None
    shared: Stash = field(default_factory=Stash)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("pyflare"))
    objects: ObjectLayer | None = None  # Durable Objects and anything else durable (pyflare.objects)

    def spawn(self, awaitable: Awaitable[Any], what: str) -> Any:
        return self.background.spawn(awaitable, what)

    @property
    def worker_name(self) -> str:
        return self.config.name

    def resolve_worker(self, script_name: str | None) -> Platform:
        """The platform of the worker a binding's ``script_name``/``service`` names: this worker when the name
        is empty or its own, else another worker of the same pyflare; LookupError when none runs here."""
        if not script_name or script_name == self.config.name:
            return self
        found = self.peers(script_name) if self.peers is not None else None
        if found is None:
            raise LookupError(f'no worker named "{script_name}" is running in this pyflare (this worker is '
                              f'"{self.config.name}"); start it too: pyflare dev -c this/wrangler.toml '
                              "-c other/wrangler.toml")
        return found


class Plugin:
    """What a feature runs for one worker."""

    # Answers a request before the worker (static assets), or returns None to let the worker have it.
    front: Callable[[Request], Awaitable[Response | None]] | None = None

    def bindings(self) -> dict[str, Any]:
        return {}

    async def start(self) -> None:
        """Start any background machinery (called once the worker is loaded)."""

    def check(self) -> None:
        """Check bindings that point at other workers (called once every worker of the pyflare has loaded);
        raises ConfigError with the text wrangler gives for a missing target."""

    async def close(self) -> None:
        """Stop background machinery; storage is closed after this."""
