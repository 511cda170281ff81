"""Bindings: one package per emulated Cloudflare service, each built over the shared storage layer and clock.

Each binding package exposes ``create(services) -> Plugin | None``. A :class:`Plugin` puts its objects
into the worker's env (``bindings()``) and may run machinery beside the worker (``start``/``close``:
queue consumers, cron schedules). Binding packages are imported only when the config uses them, so a
worker without D1 never pays for importing it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyflare.config import ResolvedConfig
    from pyflare.kernel.background import Background
    from pyflare.kernel.clock import Clock
    from pyflare.objects import ObjectLayer
    from pyflare.runtime.runtime import Runtime
    from pyflare.storage import Storage


@dataclass
class Options:
    """Emulation settings that are not part of wrangler's config (flags, ``Pyflare(...)`` arguments)."""

    kv_propagation_delay: float = 0.0
    crons: bool = True
    dev: bool = False
    test_scheduled: bool = False  # serve /__scheduled (pyflare dev --test-scheduled)
    cache: bool = True  # the Cache API stores responses (False: Miniflare's no-op cache)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Services:
    """What every binding is built from: the config, the one storage layer, the one clock."""

    config: ResolvedConfig
    storage: Storage
    clock: Clock
    background: Background
    runtime: Runtime
    options: Options
    # The other workers of the same pyflare, by name (``Pyflare.peer_services``), and a dict where plugins
    # of different workers meet (one queue consumer registry, one rate-limit namespace table...).
    peers: Callable[[str], Services | None] | None = None
    shared: dict[str, Any] = field(default_factory=dict)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("pyflare"))
    objects: ObjectLayer | None = None  # Durable Objects and anything else durable (pyflare.objects)

    def spawn(self, awaitable: Awaitable[Any], what: str) -> Any:
        return self.background.spawn(awaitable, what)

    @property
    def worker_name(self) -> str:
        return self.config.name

    def resolve_worker(self, script_name: str | None) -> Services:
        """The services of the worker a binding's ``script_name``/``service`` names: this worker when the name
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
    """A binding service for one worker instance."""

    def bindings(self) -> dict[str, Any]:
        return {}

    async def start(self) -> None:
        """Start any background machinery (called once the worker is loaded)."""

    def check(self) -> None:
        """Check bindings that point at other workers (called once every worker of the pyflare has loaded);
        raises ConfigError with the text wrangler gives for a missing target."""

    async def close(self) -> None:
        """Stop background machinery; storage is closed after this."""


def _uses(*attrs: str) -> Callable[[Any], bool]:
    def check(worker: Any) -> bool:
        for attr in attrs:
            value: Any = worker
            for part in attr.split("."):
                value = getattr(value, part)
            if value:
                return True
        return False

    return check


# (does the config use it?, module) in the order plugins are built.
REGISTRY: list[tuple[Callable[[Any], bool], str]] = [
    (_uses("assets"), "pyflare.assets"),  # static assets (their router runs before the worker)
    (lambda worker: _offline().uses_cloudflare_only(worker), "pyflare.bindings.offline"),  # ai, vectorize...
    (_uses("worker_loaders"), "pyflare.bindings.worker_loader"),
    (_uses("kv_namespaces"), "pyflare.bindings.kv"),
    (_uses("r2_buckets"), "pyflare.bindings.r2"),
    (_uses("d1_databases"), "pyflare.bindings.d1"),
    (_uses("queues.producers", "queues.consumers"), "pyflare.bindings.queues"),
    (_uses("triggers.crons"), "pyflare.cron"),
    (_uses("durable_objects.bindings", "migrations"), "pyflare.bindings.durable_objects"),
    (_uses("workflows"), "pyflare.bindings.workflows"),
    (lambda worker: True, "pyflare.websockets"),  # any worker may accept or open WebSockets
    (_uses("services"), "pyflare.bindings.services"),
    (lambda worker: True, "pyflare.bindings.cache"),  # `caches` is a global: every worker has it
    (lambda worker: bool(getattr(worker, "ratelimits", None) or getattr(worker, "unsafe", None)),
     "pyflare.bindings.ratelimit"),
]


def _offline() -> Any:
    return importlib.import_module("pyflare.bindings.offline")


def create_plugins(services: Services) -> list[Plugin]:
    plugins: list[Plugin] = []
    for used, module_name in REGISTRY:
        if not used(services.config.worker):
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            services.log.warning("%s is not available in this pyflare build; its bindings are absent", module_name)
            continue
        plugin = module.create(services)
        if plugin is not None:
            plugins.append(plugin)
    return plugins
