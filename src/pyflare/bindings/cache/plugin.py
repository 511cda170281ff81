"""Wiring: each worker's ``caches`` object, placed where ``from js import caches`` finds it."""

from __future__ import annotations

from pyflare.bindings import Plugin, Services
from pyflare.bindings.cache.cache import CacheStorage
from pyflare.bindings.cache.store import CacheStore

SHARED_KEY = "cache.store"


class CachePlugin(Plugin):
    def __init__(self, services: Services) -> None:
        self.services = services
        self._caches: CacheStorage | None = None
        # Built on first use: a worker that never touches caches opens no file.
        services.runtime.globals["caches"] = self.caches

    def caches(self) -> CacheStorage:
        if self._caches is None:
            store = None
            if self.services.options.cache:
                shared = self.services.shared  # one store for every worker of the pyflare, as a zone's cache
                store = shared.get(SHARED_KEY)
                if store is None:
                    store = shared[SHARED_KEY] = CacheStore(self.services.storage.database("cache", "cache"))
            self._caches = CacheStorage(store, self.services.clock)
        return self._caches
