"""Every input check of the KV API, each raising Cloudflare's exact error text.

Two layers check inputs on Cloudflare and both are mirrored here: the runtime (workerd) checks key
names of single-key operations and argument types, raising ``TypeError``\\ s or ``KV <OP> failed: 414``;
the KV service checks everything else and answers ``KV <OP> failed: <status> <message>``.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from typing import Any

from pyflare.bindings.kv.constants import (
    BULK_GET_TYPES,
    DEFAULT_TYPE,
    MAX_BULK_GET_KEYS,
    MAX_KEY_SIZE,
    MAX_LIST_KEYS,
    MAX_METADATA_SIZE,
    MAX_VALUE_SIZE,
    MIN_CACHE_TTL,
    MIN_EXPIRATION_TTL,
)
from pyflare.bindings.kv.errors import KVError, KVTypeError
from pyflare.kernel.jsobjects import as_bytes
from pyflare.kernel.jsvalues import is_number, json_stringify, usv, webidl_int

UNKNOWN_TYPE = 'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".'
BAD_VALUE = "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."


# -- keys ------------------------------------------------------------------------------------------
def _key_string(key: Any) -> str:
    if isinstance(key, str):
        return usv(key)
    raise KVTypeError(f"KV key names must be strings, not {type(key).__name__}")


def _check_key_length(op: str, key: str) -> None:
    size = len(key.encode("utf-8"))
    if size > MAX_KEY_SIZE:
        raise KVError(op, 414, f"UTF-8 encoded length of {size} exceeds key length limit of {MAX_KEY_SIZE}.")


def validate_key(op: str, key: Any) -> str:
    """The runtime's check of a key given to get/getWithMetadata/put/delete (``op``: GET, PUT, DELETE)."""
    key = _key_string(key)
    if key == "":
        raise KVTypeError("Key name cannot be empty.")
    if key in (".", ".."):
        raise KVTypeError(f'"{key}" is not allowed as a key name.')
    _check_key_length(op, key)
    return key


def validate_bulk_key(key: Any) -> str:
    """The service's check of one key of a bulk get (the runtime does not check those)."""
    key = _key_string(key)
    if key == "":
        raise KVError("GET_BULK", 400, "Key names must not be empty")
    if key in (".", ".."):
        raise KVError("GET_BULK", 400, f'Illegal key name "{key}". Please use a different name.')
    _check_key_length("GET_BULK", key)
    return key


# -- numbers ---------------------------------------------------------------------------------------
def _int_option(name: str, value: Any) -> int:
    """Options workerd declares as ``int``: converted as JSG converts numbers; anything else is refused."""
    if not is_number(value):
        raise KVTypeError(f"KV option {name} must be a number, not {type(value).__name__}")
    return webidl_int(value)


# -- get -------------------------------------------------------------------------------------------
def get_options(options: Any, kind: Any, cache_ttl: Any) -> tuple[str, int | None]:
    """Merge ``get(key, "json")``, ``get(key, {"type": ..., "cacheTtl": ...})`` and keyword arguments."""
    if isinstance(options, str):
        kind = options if kind is None else kind
    elif isinstance(options, Mapping):
        kind = options.get("type") if kind is None else kind
        cache_ttl = options.get("cacheTtl") if cache_ttl is None else cache_ttl
    elif options is not None:
        raise KVTypeError(f"KV get() options must be a type string or a dict, not {type(options).__name__}")
    if kind is None:
        kind = DEFAULT_TYPE
    if not isinstance(kind, str):
        raise KVTypeError(UNKNOWN_TYPE)
    return kind, None if cache_ttl is None else _int_option("cacheTtl", cache_ttl)


def validate_cache_ttl(op: str, cache_ttl: int | None) -> None:
    if cache_ttl is not None and cache_ttl < MIN_CACHE_TTL:
        raise KVError(
            op, 400, f"Invalid cache_ttl of {cache_ttl}. Cache TTL must be at least {MIN_CACHE_TTL}."
        )


def validate_bulk_request(keys: list[Any], kind: str) -> None:
    if kind not in BULK_GET_TYPES:
        raise KVError("GET_BULK", 400, f'"{kind}" is not a valid type. Use "json" or "text"')
    if len(keys) > MAX_BULK_GET_KEYS:
        raise KVError("GET_BULK", 400, f"You can request a maximum of {MAX_BULK_GET_KEYS} keys")
    if len(keys) < 1:
        raise KVError("GET_BULK", 400, "You must request a minimum of 1 key")


# -- put -------------------------------------------------------------------------------------------
def encode_metadata(metadata: Any) -> str | None:
    """Metadata as JSON (compact, as ``JSON.stringify`` writes it); None means no metadata."""
    if metadata is None:
        return None
    try:
        return json_stringify(metadata)
    except TypeError as exc:
        raise KVTypeError(f"KV put() metadata must be serializable to JSON: {exc}") from None


def resolve_expiration(now: float, expiration: Any, expiration_ttl: Any) -> int | None:
    """The absolute expiration (seconds since the epoch) of a put; ``expirationTtl`` wins over ``expiration``."""
    current = math.floor(now)
    if expiration_ttl is not None:
        ttl = _int_option("expirationTtl", expiration_ttl)
        if ttl <= 0:
            raise KVError(
                "PUT", 400, f"Invalid expiration_ttl of {ttl}. Please specify integer greater than 0."
            )
        if ttl < MIN_EXPIRATION_TTL:
            raise KVError(
                "PUT",
                400,
                f"Invalid expiration_ttl of {ttl}. Expiration TTL must be at least {MIN_EXPIRATION_TTL}.",
            )
        return current + ttl
    if expiration is not None:
        when = _int_option("expiration", expiration)
        if when <= current:
            raise KVError(
                "PUT",
                400,
                f"Invalid expiration of {when}. Please specify integer greater than the current number of "
                "seconds since the UNIX epoch.",
            )
        if when < current + MIN_EXPIRATION_TTL:
            raise KVError(
                "PUT",
                400,
                f"Invalid expiration of {when}. Expiration times must be at least {MIN_EXPIRATION_TTL} seconds "
                "in the future.",
            )
        return when
    return None


def validate_metadata_size(metadata_json: str | None) -> None:
    if metadata_json is None:
        return
    size = len(metadata_json.encode("utf-8"))
    if size > MAX_METADATA_SIZE:
        raise KVError("PUT", 413, f"Metadata length of {size} exceeds limit of {MAX_METADATA_SIZE}.")


def validate_value_size(size: int) -> None:
    if size > MAX_VALUE_SIZE:
        raise KVError("PUT", 413, f"Value length of {size} exceeds limit of {MAX_VALUE_SIZE}.")


def primitive_value(value: Any) -> bytes | None:
    """Strings, bytes and numbers as bytes (numbers become text, as JavaScript would make them); else None."""
    if isinstance(value, str):
        return usv(value).encode("utf-8")
    data = as_bytes(value)  # bytes-like, or an ArrayBuffer / typed array
    if data is not None:
        return data
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)).encode()
        return repr(value).encode()
    return None


# -- list ------------------------------------------------------------------------------------------
def list_options(options: Any, prefix: Any, limit: Any, cursor: Any) -> tuple[str, int, str]:
    """``(prefix, limit, start_after)`` of a list call; limits of 0 or less mean the default, as in workerd."""
    if isinstance(options, Mapping):
        prefix = options.get("prefix") if prefix is None else prefix
        limit = options.get("limit") if limit is None else limit
        cursor = options.get("cursor") if cursor is None else cursor
    elif options is not None:
        raise KVTypeError(f"KV list() options must be a dict, not {type(options).__name__}")
    count = MAX_LIST_KEYS
    if limit is not None:
        requested = _int_option("limit", limit)
        if requested > MAX_LIST_KEYS:
            raise KVError(
                "GET",
                400,
                f"Invalid key_count_limit of {requested}. Please specify an integer less than {MAX_LIST_KEYS}.",
            )
        if requested > 0:
            count = requested
    if prefix is None:
        prefix = ""
    if not isinstance(prefix, str):
        raise KVTypeError(f"KV list() prefix must be a string, not {type(prefix).__name__}")
    prefix = usv(prefix)
    _check_key_length("GET", prefix)
    if cursor is None or cursor == "":
        return prefix, count, ""
    if not isinstance(cursor, str):
        raise KVTypeError(f"KV list() cursor must be a string, not {type(cursor).__name__}")
    return prefix, count, decode_cursor(cursor)


def encode_cursor(last_key: str) -> str:
    """A list cursor: the base64 of the last key returned (the next page starts after it)."""
    return base64.b64encode(last_key.encode("utf-8")).decode("ascii")


def decode_cursor(cursor: str) -> str:
    """The key a cursor starts after; decoded leniently, as ``atob``-style decoders do."""
    text = "".join(ch for ch in cursor if ch.isalnum() or ch in "+/-_")
    text = text.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""
