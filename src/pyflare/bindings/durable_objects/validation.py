"""Every input check of the Durable Object API, with workerd's exact error texts."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from pyflare.bindings.durable_objects import constants as C
from pyflare.kernel.jsconvert import js_string, js_to_number
from pyflare.kernel.jserrors import RangeError
from pyflare.kernel.jsvalues import usv, webidl_int
from pyflare.objects import belongs_to, is_well_formed
from pyflare.workers.rpc import serialized_size, to_rpc


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def check_key(key: Any, backend: str) -> str:
    # workerd reads a key as a string parameter: 1 is "1", None (null) is "null"; a lone surrogate arrives
    # as invalid UTF-8 and reads back as U+FFFD per byte.
    key = usv(js_string(key))
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
        # workerd declares limit an int: read with ToNumber ("2" is 2), NaN is 0, fractions are truncated.
        number = webidl_int(js_to_number(limit))
        if number <= 0:
            raise TypeError("List limit must be positive.")
        options["limit"] = number
    if options.get("start") is not None and options.get("startAfter") is not None:
        raise TypeError("list() cannot be called with both start and startAfter values.")
    for name in ("start", "startAfter", "end", "prefix"):
        value = options.get(name)
        if value is not None:
            options[name] = usv(js_string(value))  # string options are read as strings: 5 is "5"
    return options


def alarm_time_ms(when: Any) -> int:
    """``setAlarm(ms | datetime)`` as integer ms since the epoch (a naive datetime is UTC, as on Workers,
    whose time zone is UTC); anything else is workerd's TypeError for a ``Date`` parameter."""
    if isinstance(when, _dt.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.timezone.utc)
        ms = when.timestamp() * 1000
    elif isinstance(when, (int, float)) and not isinstance(when, bool):
        ms = float(js_to_number(when))
    else:
        raise TypeError("Failed to execute 'setAlarm' on 'DurableObjectStorage': parameter 1 is not of type 'date'.")
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
