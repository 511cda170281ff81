"""KV namespaces: ``[[kv_namespaces]]`` entries become ``KVNamespace`` objects in the worker's env.

Each namespace is one SQLite file, ``<persist>/kv/<id>.sqlite`` (the binding name when there is no id),
shared by every binding with the same id. Layout: ``constants`` (limits), ``validation`` (input checks
with Cloudflare's texts), ``store`` (stored semantics: versions, expiry, propagation delay, listing),
``namespace`` (the binding object), ``errors``.
"""

from __future__ import annotations

from typing import Any

from pyflare.bindings.kv.constants import PLUGIN
from pyflare.bindings.kv.errors import KVError, KVTypeError
from pyflare.bindings.kv.namespace import KVMap, KVNamespace
from pyflare.bindings.kv.store import KVStore
from pyflare.runtime.plugin import Platform, Plugin

__all__ = ["KVError", "KVMap", "KVNamespace", "KVPlugin", "KVStore", "KVTypeError", "create"]


class KVPlugin(Plugin):
    """The KV namespaces of one worker."""

    def __init__(self, platform: Platform) -> None:
        self.namespaces: dict[str, KVNamespace] = {}
        stores: dict[str, KVStore] = {}
        delay = platform.options.kv_propagation_delay
        for config in platform.config.worker.kv_namespaces:
            name = config.storage_name
            store = stores.get(name)
            if store is None:
                store = stores[name] = KVStore(platform.storage.database(PLUGIN, name), platform.clock, delay)
            self.namespaces[config.binding] = KVNamespace(store, config.binding)

    def bindings(self) -> dict[str, Any]:
        return dict(self.namespaces)

    def namespace(self, binding: str | None = None) -> KVNamespace:
        """The namespace bound as ``binding``; may be omitted when the worker has exactly one."""
        if binding is None:
            if len(self.namespaces) == 1:
                return next(iter(self.namespaces.values()))
            names = ", ".join(sorted(self.namespaces))
            raise LookupError(f"this worker has several KV namespaces ({names}); choose one with --binding")
        try:
            return self.namespaces[binding]
        except KeyError:
            names = ", ".join(sorted(self.namespaces)) or "none"
            raise LookupError(f"no KV namespace bound as {binding!r} (bindings: {names})") from None


def create(platform: Platform) -> KVPlugin | None:
    if not platform.config.worker.kv_namespaces:
        return None
    return KVPlugin(platform)
