"""The Cache API: ``from js import caches``; ``caches.default`` and ``await caches.open(name)`` with ``put``,
``match`` and ``delete``, as workerd and Miniflare behave locally.

Entries are persisted in SQLite under the persist folder (``<state>/cache/cache.sqlite``), one namespace per
cache name, shared by every worker of a pyflare (as a zone's cache is). Expiry follows pyflare's clock.
``[pyflare] cache = false``, ``Pyflare(cache=False)`` or ``pyflare dev --no-cache`` swap in a cache that stores
nothing (Miniflare's ``cache: false``). Module map: ``constants`` (limits, status lists), ``validation`` (the
TypeErrors and their texts), ``policy`` (what a shared cache may store and for how long: RFC 9111 as
http-cache-semantics applies it for Miniflare), ``store`` (the table), ``cache`` (the worker-facing objects),
``plugin`` (wiring: puts the worker's ``caches`` where ``js.caches`` finds it).
"""

from __future__ import annotations

from pyflare.bindings.cache.cache import Cache, CacheStorage
from pyflare.bindings.cache.plugin import CachePlugin
from pyflare.runtime.plugin import Platform


def create(platform: Platform) -> CachePlugin:
    return CachePlugin(platform)


__all__ = ["Cache", "CachePlugin", "CacheStorage", "create"]
