"""Checks of rate limit bindings: the config (wrangler's texts, workers-utils/src/config/validation.ts) and
``limit()``'s options (Miniflare's texts, workers/ratelimit/ratelimit.worker.ts)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pyflare.bindings.ratelimit.constants import OPTION_KEYS, PERIODS
from pyflare.config import ConfigError, ResolvedConfig


class RateLimitError(Exception):
    """A JavaScript ``Error`` thrown by ``limit()`` for bad options."""


@dataclass(frozen=True)
class RateLimitConfig:
    name: str
    namespace_id: str
    limit: int | float
    period: int


def _js(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_binding(value: Any, field: str) -> list[str]:
    """wrangler's errors for one ``ratelimits`` entry (empty: valid)."""
    if not isinstance(value, dict):
        return [f'"ratelimits" bindings should be objects, but got {_js(value)}']
    errors = []
    if not isinstance(value.get("name"), str):
        errors.append(f'"{field}" bindings must have a string "name" field but got {_js(value)}.')
    if not isinstance(value.get("namespace_id"), str):
        errors.append(f'"{field}" bindings must have a string "namespace_id" field but got {_js(value)}.')
    simple = value.get("simple")
    if not isinstance(simple, dict):
        errors.append(f'"{field}" bindings must have a "simple" configuration object but got {_js(value)}.')
        return errors
    if not _number(simple.get("limit")):
        errors.append(f'"{field}" bindings "simple.limit" must be a number but got {_js(simple)}.')
    if not _number(simple.get("period")):
        errors.append(f'"{field}" bindings "simple.period" is required and must be a number but got {_js(simple)}.')
    elif simple["period"] not in PERIODS:
        errors.append(f'"{field}" bindings "simple.period" must be either 10 or 60 but got {_js(simple["period"])}.')
    return errors


def configured_limits(config: ResolvedConfig) -> list[RateLimitConfig]:
    """Every rate limit binding of a worker, checked; ConfigError naming the file for the first problem."""
    worker = config.worker
    entries: list[tuple[str, Any]] = []
    for index, value in enumerate(getattr(worker, "ratelimits", None) or []):
        entries.append((f"ratelimits[{index}]", value))
    unsafe = getattr(worker, "unsafe", None) or {}
    unsafe_bindings = unsafe.get("bindings") if isinstance(unsafe, dict) else getattr(unsafe, "bindings", None)
    for index, value in enumerate(unsafe_bindings or []):
        if isinstance(value, dict) and value.get("type") == "ratelimit":
            entries.append((f"unsafe.bindings[{index}]", {k: v for k, v in value.items() if k != "type"}))
    result = []
    prefix = f"env.{config.environment}." if config.environment else ""
    for field, value in entries:
        errors = check_binding(value, field)
        if errors:
            raise ConfigError(f"{config.path}: {prefix}{errors[0]}")
        result.append(RateLimitConfig(value["name"], value["namespace_id"], value["simple"]["limit"],
                                      int(value["simple"]["period"])))
    return result


def limit_options(options: Any, default_limit: int | float, default_period: int) -> tuple[str, int | float, int]:
    """``(key, limit, period)`` from ``limit()``'s options, or RateLimitError with Miniflare's text."""
    if not isinstance(options, dict):
        raise RateLimitError("invalid rate limit options")
    unknown = [key for key in options if key not in OPTION_KEYS]
    if unknown:
        raise RateLimitError(f"bad rate limit options: [{','.join(map(str, unknown))}]")
    key = options.get("key", "")
    limit = options.get("limit", default_limit)
    period = options.get("period", default_period)
    if not isinstance(key, str):
        raise RateLimitError(f"invalid key: {_shown(key)}")
    if not _number(limit):
        raise RateLimitError(f"limit must be a number: {_shown(limit)}")
    if not _number(period):
        raise RateLimitError(f"period must be a number: {_shown(period)}")
    if period not in PERIODS:
        raise RateLimitError(f"unsupported period: {_shown(period)}")
    return key, limit, int(period)


def _shown(value: Any) -> str:
    """How JavaScript's template string shows a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join(_shown(v) for v in value)
    return str(value)
