"""Durable Objects: ``[[durable_objects.bindings]]`` become namespaces in the worker's env.

A thin worker-facing layer over :mod:`pyflare.objects` (which owns instances, storage files and alarms).
Modules: :mod:`~.constants` (limits and fixed texts), :mod:`~.validation` (every input check with workerd's
texts), :mod:`~.namespace` (ids and ``get``/``getByName``), :mod:`~.stub` (fetch and RPC),
:mod:`~.host` (a class hosted by a worker: constructing instances, delivering events), :mod:`~.state`
(``ctx``), :mod:`~.storage` (``ctx.storage``), :mod:`~.sql` (``ctx.storage.sql``).
"""

from __future__ import annotations

from typing import Any

from pyflare.bindings.durable_objects.errors import DurableObjectAbort, DurableObjectError
from pyflare.bindings.durable_objects.host import ClassHost
from pyflare.bindings.durable_objects.namespace import DurableObjectId, DurableObjectNamespace
from pyflare.bindings.durable_objects.remote import RemoteClassHost
from pyflare.bindings.durable_objects.state import DurableObjectState
from pyflare.bindings.durable_objects.storage import DurableObjectStorage
from pyflare.bindings.durable_objects.stub import DurableObjectStub
from pyflare.config import ConfigError
from pyflare.config.migrations import class_backends
from pyflare.peers import PEERS
from pyflare.runtime.plugin import Platform, Plugin
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

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        worker = platform.config.worker
        # Classes this worker defines (its migrations) are hosted even without a binding: their alarms
        # must fire and other workers may bind them.
        self.hosted = [ClassHost.of(platform, name) for name in class_backends(worker.migrations)]
        self.namespaces: dict[str, DurableObjectNamespace] = {}
        self._targets: list[tuple[str, ClassHost]] = []
        self._missing_workers: list[tuple[str, str]] = []
        peers = platform.shared.get(PEERS, None)
        for binding in worker.durable_objects.bindings:
            try:
                target = platform.resolve_worker(binding.script_name)
            except LookupError:
                if peers is not None and peers.registry_enabled:  # the class runs in another pyflare process
                    remote = RemoteClassHost(peers, str(binding.script_name), binding.class_name)
                    self.namespaces[binding.name] = DurableObjectNamespace(remote, binding.name)  # type: ignore[arg-type]
                    continue
                self._missing_workers.append((binding.name, str(binding.script_name)))
                continue
            host = ClassHost.of(target, binding.class_name)
            self.namespaces[binding.name] = DurableObjectNamespace(host, binding.name)
            self._targets.append((binding.name, host))
        if peers is not None:  # other processes reach the classes this worker hosts through its endpoint
            for host in self.hosted:
                peers.objects[(host.worker, host.class_name)] = host.peer_handler()

    def bindings(self) -> dict[str, Any]:
        return dict(self.namespaces)

    async def start(self) -> None:
        # Over a state folder other processes may use, host the classes now if nobody does (their alarms must
        # run), and again after each load of the code (pyflare dev loads it after starting the plugins).
        self._host_shared()
        self.platform.runtime.reload_hooks.append(self._host_shared)

    def _host_shared(self) -> None:
        for host in self.hosted:
            if host.shared is not None:
                host.shared.here()

    async def close(self) -> None:
        for host in self.hosted:
            host.release()

    def check(self) -> None:
        """Every bound class must be exported by the worker that defines it (checked once all have loaded)."""
        path = self.platform.config.path
        for binding, script in self._missing_workers:
            raise ConfigError(
                f'{path}: durable_objects.bindings: binding "{binding}" refers to the worker "{script}" '
                f"(script_name), which is not running in this pyflare; start it too: "
                f"pyflare dev -c {path.name} -c ../{script}/wrangler.toml"
            )
        missing: dict[str, list[tuple[str, ClassHost]]] = {}
        for binding, host in self._targets:
            worker = host.runtime.worker
            if worker is None:  # its code failed to import: reported already, and reloads fix it
                continue
            exported = worker.exports.get(host.class_name)
            if not (isinstance(exported, type) and issubclass(exported, DurableObject)):
                missing.setdefault(host.worker, []).append((binding, host))
        for worker_name, entries in missing.items():
            host = entries[0][1]
            classes = ", ".join(sorted({h.class_name for _, h in entries}))
            bound = ", ".join(f'{b} (class_name "{h.class_name}")' for b, h in entries)
            raise ConfigError(
                f"{path}: durable_objects.bindings: Your Worker depends on the following Durable Objects, which are "
                f"not exported in your entrypoint file: {classes}. You should export these objects from your "
                f"entrypoint, {host.platform.config.worker.main} (worker \"{worker_name}\"; bindings: {bound})."
            )


def create(platform: Platform) -> DurableObjectsPlugin | None:
    worker = platform.config.worker
    if not worker.durable_objects.bindings and not worker.migrations:
        return None
    return DurableObjectsPlugin(platform)
