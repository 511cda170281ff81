"""Rate limiting bindings: ``[[ratelimits]]`` (and the legacy ``[[unsafe.bindings]] type = "ratelimit"``),
``await env.RL.limit({"key": k})`` -> ``{success}``.

The local algorithm is Miniflare's: a fixed window per ``(key, period)``, ``epoch = floor(now_ms /
(period * 1000))`` on pyflare's clock; a call succeeds while the window's count is below the limit, and
refused calls are not counted. Counters are kept in SQLite (``<state>/ratelimit/ratelimit.sqlite``), shared
by every binding (of any worker) with the same ``namespace_id``. Module map: ``constants``, ``validation``
(config and ``limit()`` checks with wrangler's and Miniflare's texts), ``store`` (the counters), ``binding``.
"""

from __future__ import annotations

from typing import Any

from pyflare.bindings import Plugin, Services
from pyflare.bindings.ratelimit.binding import RateLimit
from pyflare.bindings.ratelimit.store import RateLimitStore
from pyflare.bindings.ratelimit.validation import configured_limits

SHARED_KEY = "ratelimit.store"


class RateLimitPlugin(Plugin):
    def __init__(self, services: Services) -> None:
        shared = services.shared
        store = shared.get(SHARED_KEY)
        if store is None:
            store = shared[SHARED_KEY] = RateLimitStore(services.storage.database("ratelimit", "ratelimit"))
        self.limits = {
            config.name: RateLimit(store, services.clock, config.namespace_id, config.limit, config.period)
            for config in configured_limits(services.config)
        }

    def bindings(self) -> dict[str, Any]:
        return dict(self.limits)


def create(services: Services) -> RateLimitPlugin | None:
    plugin = RateLimitPlugin(services)
    return plugin if plugin.limits else None


__all__ = ["RateLimit", "RateLimitPlugin", "create"]
