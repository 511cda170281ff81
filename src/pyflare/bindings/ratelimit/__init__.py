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

from pyflare.bindings.ratelimit.binding import RateLimit
from pyflare.bindings.ratelimit.store import RateLimitStore
from pyflare.bindings.ratelimit.validation import configured_limits
from pyflare.kernel.stash import StashKey
from pyflare.runtime.plugin import Platform, Plugin

# One store for every binding of every worker: namespaces are shared across workers, as on Cloudflare.
STORE = StashKey[RateLimitStore]("ratelimit store")


class RateLimitPlugin(Plugin):
    def __init__(self, platform: Platform) -> None:
        store = platform.shared.get(STORE, None)
        if store is None:
            store = platform.shared[STORE] = RateLimitStore(platform.storage.database("ratelimit", "ratelimit"))
        self.limits = {
            config.name: RateLimit(store, platform.clock, config.namespace_id, config.limit, config.period)
            for config in configured_limits(platform.config)
        }

    def bindings(self) -> dict[str, Any]:
        return dict(self.limits)


def create(platform: Platform) -> RateLimitPlugin | None:
    plugin = RateLimitPlugin(platform)
    return plugin if plugin.limits else None


__all__ = ["RateLimit", "RateLimitPlugin", "create"]
