"""Durable Objects: ``[[durable_objects.bindings]]`` become namespaces in the worker's env.

A thin worker-facing layer over :mod:`pyflare.objects` (which owns instances, storage files and alarms).
Modules: :mod:`~.constants` (limits and fixed texts), :mod:`~.validation` (every input check with workerd's
texts), :mod:`~.namespace` (ids and ``get``/``getByName``), :mod:`~.stub` (fetch and RPC),
:mod:`~.host` (a class hosted by a worker: constructing instances, delivering events), :mod:`~.state`
(``ctx``), :mod:`~.storage` (``ctx.storage``), :mod:`~.sql` (``ctx.storage.sql``).
"""

from __future__ import annotations

from typing import Any

from pyflare.bindings import Plugin, Services
from pyflare.bindings.durable_objects.host import ClassHost, DurableObjectError
from pyflare.bindings.durable_objects.namespace import DurableObjectId, DurableObjectNamespace
from pyflare.bindings.durable_objects.state import DurableObjectAbort, DurableObjectState
from pyflare.bindings.durable_objects.storage import DurableObjectStorage
from pyflare.bindings.durable_objects.stub import DurableObjectStub
from pyflare.config import ConfigError
from pyflare.config.migrations import class_backends
from pyflare.workers import DurableObject

__all__ = [
    "ClassHost",
    "DurableObjectAbort",
    "DurableObjectError",
    "DurableObjectId",
    "DurableObjectNamespace",
    "DurableObjectState",
    "DurableObjectStorage",
    "DurableObjectStub",
    "DurableObjectsPlugin",
    "create",
]


class DurableObjectsPlugin(Plugin):
    """The Durable Object namespaces a worker binds, and the classes it hosts."""

    def __init__(self, services: Services) -> None:
        self.services = services
        worker = services.config.worker
        # Classes this worker defines (its migrations) are hosted even without a binding: their alarms
        # must fire and other workers may bind them.
        self.hosted = [ClassHost.of(services, name) for name in class_backends(worker.migrations)]
        self.namespaces: dict[str, DurableObjectNamespace] = {}
        self._own: list[tuple[str, str]] = []  # (binding, class) hosted by this worker
        for binding in worker.durable_objects.bindings:
            target = services.resolve_worker(binding.script_name)
            host = ClassHost.of(target, binding.class_name)
            self.namespaces[binding.name] = DurableObjectNamespace(host, binding.name)
            if target is services:
                self._own.append((binding.name, binding.class_name))

    def bindings(self) -> dict[str, Any]:
        return dict(self.namespaces)

    async def start(self) -> None:
        worker = self.services.runtime.worker
        if worker is None:  # not loaded (a CLI command, or code that failed to import: reported already)
            return
        missing = [(b, c) for b, c in self._own
                   if not (isinstance(worker.exports.get(c), type) and issubclass(worker.exports[c], DurableObject))]
        if missing:
            classes = ", ".join(sorted({c for _, c in missing}))
            bound = ", ".join(f'{b} (class_name "{c}")' for b, c in missing)
            raise ConfigError(
                f"Your Worker depends on the following Durable Objects, which are not exported in your entrypoint "
                f"file: {classes}. You should export these objects from your entrypoint, "
                f"{self.services.config.worker.main} (bindings: {bound})."
            )


def create(services: Services) -> DurableObjectsPlugin | None:
    worker = services.config.worker
    if not worker.durable_objects.bindings and not worker.migrations:
        return None
    return DurableObjectsPlugin(services)
