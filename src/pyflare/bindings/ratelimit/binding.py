"""``env.RL``: the rate limiting binding a worker calls."""

from __future__ import annotations

from typing import Any

from pyflare.bindings.ratelimit.store import RateLimitStore
from pyflare.bindings.ratelimit.validation import limit_options
from pyflare.kernel.clock import Clock
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.tracing import traced


def _span_attributes(binding: RateLimit, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"cloudflare.binding.type": "RATELIMIT", "cloudflare.ratelimit.namespace_id": binding._namespace}


@traced("ratelimit", {"limit": "ratelimit_run"}, _span_attributes)
class RateLimit:
    """``await env.RL.limit({"key": k})`` -> ``{"success": bool}`` (also ``result.success``)."""

    def __init__(self, store: RateLimitStore, clock: Clock, namespace: str, limit: float, period: int) -> None:
        self._store = store
        self._clock = clock
        self._namespace = namespace
        self._limit = limit
        self._period = period

    async def limit(self, options: Any = None, **kwargs: Any) -> JsDict:
        if options is None and kwargs:
            options = kwargs
        key, limit, period = limit_options(options, self._limit, self._period)
        success = self._store.hit(self._namespace, key, limit, period, self._clock.time_ms())
        return JsDict(success=success)

    def __repr__(self) -> str:
        return f"<RateLimit {self._namespace} {self._limit}/{self._period}s>"
