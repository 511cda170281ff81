"""Every input check of the Durable Object API, with workerd's exact error texts."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from pyflare.bindings.durable_objects import constants as C
from pyflare.kernel.jserrors import RangeError
from pyflare.kernel.jsvalues import is_number, usv, webidl_int
from pyflare.objects import belongs_to, is_well_formed
from pyflare.workers.rpc import serialized_size, to_rpc


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def check_key(key: Any, backend: str) -> str:
    if not isinstance(key, str):
        # JavaScript would stringify it; Python code passing a non-str key is almost always a bug.
        raise TypeError(f"Durable Object storage keys must be strings, not {type(key).__name__}")
    key = usv(key)  # workerd receives keys as UTF-8: a lone surrogate becomes U+FFFD
    if backend == C.KV:
        size = utf8_len(key)
        if size > C.MAX_KEY_BYTES:
            raise RangeError(f"Keys cannot be larger than {C.MAX_KEY_BYTES} bytes. A key of size {size} was provided.")
    return key


def check_keys(keys: list[Any], backend: str) -> list[str]:
    check_entries_count(len(keys), backend)  # workerd words get([...]) and delete([...]) as pairs too
    return [check_key(k, backend) for k in keys]


def check_entries_count(count: int, backend: str) -> None:
    if backend == C.KV and count > C.MAX_KEYS_PER_CALL:
        raise RangeError(f"Maximum number of key value pairs is {C.MAX_KEYS_PER_CALL}. {count} pairs were provided.")


def check_value_size(key: str, value: Any, stored_size: int, backend: str) -> None:
    if backend == C.KV:
        size = serialized_size(value)  # what V8's serializer writes: the size production limits
        if size > C.ENFORCED_MAX_VALUE_BYTES:
            raise RangeError(
                f"Values cannot be larger than {C.MAX_VALUE_BYTES} bytes. A value of size {size} was provided."
            )
    elif utf8_len(key) + stored_size > C.MAX_SQLITE_KV_BYTES:
        raise RangeError(
            f"Key and value cannot be larger than {C.MAX_SQLITE_KV_BYTES} bytes combined. "
            f"A key and value of size {utf8_len(key) + stored_size} were provided."
        )


def check_put_value(value: Any) -> Any:
    """The value as stored (a copy under the RPC rules); ``None`` is JavaScript's null and may be stored."""
    return to_rpc(value)


def check_list_options(options: dict[str, Any]) -> dict[str, Any]:
    limit = options.get("limit")
    if limit is not None:
        # workerd declares limit an int: NaN is 0, fractions are truncated, beyond 32 bits is a TypeError.
        if not is_number(limit) or webidl_int(limit) <= 0:
            raise RangeError("List limit must be positive.")
        options["limit"] = webidl_int(limit)
    if options.get("start") is not None and options.get("startAfter") is not None:
        raise TypeError("list() cannot be called with both start and startAfter values.")
    for name in ("start", "startAfter", "end", "prefix"):
        value = options.get(name)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"list() option {name} must be a string, not {type(value).__name__}")
        if value is not None:
            options[name] = usv(value)
    return options


def alarm_time_ms(when: Any) -> int:
    """``setAlarm(ms | datetime)`` as integer ms since the epoch."""
    if isinstance(when, _dt.datetime):
        if when.tzinfo is None:
            when = when.astimezone()
        ms = when.timestamp() * 1000
    elif isinstance(when, (int, float)) and not isinstance(when, bool):
        ms = float(when)
    else:
        raise TypeError(f"setAlarm() takes milliseconds since the epoch or a datetime, not {type(when).__name__}")
    if ms != ms or ms <= 0:
        raise TypeError("setAlarm() cannot be called with an alarm time <= 0")
    return int(ms)


def check_id_string(text: Any, namespace: str) -> str:
    if not isinstance(text, str) or not is_well_formed(text):
        raise TypeError("Invalid Durable Object ID: must be 64 hex digits")
    text = text.lower()
    if not belongs_to(namespace, text):
        raise TypeError("Durable Object ID is not valid for this namespace.")
    return text


def check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"Durable Object names must be strings, not {type(name).__name__}")
    return name
