"""Every input check of the Workflows binding and step API, with the text Cloudflare gives.

Durations follow the engine (itty-time's ``ms()``): a number is milliseconds; a string is
``"<number> <unit>"`` with unit second, minute, hour, day, week, month or year (plural allowed).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any

from pyflare.bindings.workflows.constants import (
    BACKOFFS,
    INSTANCE_ID_PATTERN,
    MAX_INSTANCE_ID_LENGTH,
    MAX_SLEEP_MS,
    MAX_STEP_NAME_LENGTH,
)
from pyflare.bindings.workflows.errors import WorkflowError, WorkflowFatalError

_ID = re.compile(INSTANCE_ID_PATTERN)
_CONTROL = re.compile(r"[\x00-\x1f]")
_DURATION = re.compile(r"^\s*(-?\d*\.?\d+)\s+([a-zA-Z]+?)s?\s*$", re.ASCII)
_UNIT_MS = {
    "millisecond": 1, "ms": 1, "second": 1000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000,
    "week": 604_800_000, "month": 2_592_000_000, "year": 31_536_000_000,
}
CONFIG_DOCS = "https://developers.cloudflare.com/workflows/build/sleeping-and-retrying/"


def duration_ms(value: Any) -> float:
    """Milliseconds for a number or a ``"10 seconds"`` string; NaN if it cannot be read (as ``ms()``)."""
    if isinstance(value, bool):
        return math.nan
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            unit = match.group(2).lower()
            factor = _UNIT_MS.get(unit) or _UNIT_MS.get(unit.rstrip("s"))
            if factor is not None:
                return float(match.group(1)) * factor
    return math.nan


def is_valid_instance_id(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_INSTANCE_ID_LENGTH and bool(_ID.match(value))


def check_instance_id(value: Any) -> str:
    if not is_valid_instance_id(value):
        raise WorkflowError("instance.invalid_id", "Instance has invalid id")
    return value


def check_step_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"step name must be a string, not {type(name).__name__}")
    if len(name) > MAX_STEP_NAME_LENGTH or _CONTROL.search(name):
        raise WorkflowFatalError(
            f'Step name "{name}" exceeds max length ({MAX_STEP_NAME_LENGTH} chars) or invalid characters found'
        )
    return name


def _invalid_config(name: str) -> WorkflowFatalError:
    return WorkflowFatalError(f'Step config for "{name}" is in a invalid format. See {CONFIG_DOCS}')


def _non_negative_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def check_step_config(name: str, config: Any) -> dict[str, Any]:
    """The step's config, checked as strictly as the engine's schema (unknown keys are refused)."""
    if config is None:
        return {}
    if not isinstance(config, dict) or set(config) - {"retries", "timeout", "sensitive"}:
        raise _invalid_config(name)
    retries = config.get("retries")
    if retries is not None:
        if not isinstance(retries, dict) or set(retries) - {"limit", "delay", "backoff"}:
            raise _invalid_config(name)
        if "limit" not in retries or not _non_negative_number(retries["limit"]):
            raise _invalid_config(name)
        delay = retries.get("delay")
        if "delay" not in retries or not (_non_negative_number(delay) or isinstance(delay, str) or callable(delay)):
            raise _invalid_config(name)
        if not callable(delay) and math.isnan(duration_ms(delay)):
            raise _invalid_config(name)
        if "backoff" in retries and retries["backoff"] not in BACKOFFS:
            raise _invalid_config(name)
    if "timeout" in config:
        timeout = config["timeout"]
        if not (_non_negative_number(timeout) or isinstance(timeout, str)):
            raise _invalid_config(name)
        ms = duration_ms(timeout)
        if ms == 0 or math.isnan(ms):
            raise _invalid_config(name)
    if "sensitive" in config and config["sensitive"] != "output":
        raise _invalid_config(name)
    return dict(config)


def sleep_ms(name: str, duration: Any) -> float:
    """The length of a ``step.sleep``, in milliseconds."""
    ms = duration_ms(duration)
    if math.isnan(ms) or ms < 0:
        raise TypeError(
            f'step.sleep("{name}", {duration!r}): the duration must be milliseconds or a string like "10 seconds"'
        )
    if ms > MAX_SLEEP_MS:
        raise WorkflowFatalError(f'Step "{name}" cannot sleep for more than 365 days')
    return ms


def timestamp_ms(value: Any) -> float:
    """A ``sleep_until`` target in epoch milliseconds: a datetime, or a number read as milliseconds (as on
    Cloudflare, where a Python int reaches the engine as a JS number of milliseconds)."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.astimezone()
        return value.timestamp() * 1000
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc).timestamp() * 1000
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise TypeError(f"step.sleep_until: cannot read {value!r} as a date") from None
        return timestamp_ms(parsed)
    raise TypeError(f"step.sleep_until takes a datetime or epoch milliseconds, not {type(value).__name__}")


def check_event_type(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise WorkflowError("event.invalid_type", "Event type must be a non-empty string")
    if len(value) > 100 or not _ID.match(value):
        raise WorkflowError("event.invalid_type", "Event type is invalid: at most 100 letters, digits, '-' or '_', "
                                                  "not starting with '-'")
    return value
