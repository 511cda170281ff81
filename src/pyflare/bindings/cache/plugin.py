"""Wiring: each worker's ``caches`` object, placed where ``from js import caches`` finds it."""

from __future__ import annotations

from pyflare.bindings.cache.cache import CacheStorage
from pyflare.bindings.cache.store import CacheStore
from pyflare.kernel.stash import StashKey
from pyflare.runtime.plugin import Platform, Plugin
from pyflare.workers.host import CACHES

# One store for every worker of the pyflare, as a zone's cache.
STORE = StashKey[CacheStore]("cache store")


class CachePlugin(Plugin):
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self._caches: CacheStorage | None = None
        # Built on first use: a worker that never touches caches opens no file.
        platform.runtime.stash[CACHES] = self.caches

    def caches(self) -> CacheStorage:
        if self._caches is None:
            store = None
            if self.platform.options.cache:
                shared = self.platform.shared
                store = shared.get(STORE, None)
                if store is None:
                    store = shared[STORE] = CacheStore(self.platform.storage.database("cache", "cache"))
            self._caches = CacheStorage(store, self.platform.clock)
        return self._caches
