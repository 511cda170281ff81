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
from pyflare.kernel.jsconvert import BigIntError, js_string, js_to_number
from pyflare.kernel.jsobjects import as_bytes
from pyflare.kernel.jsvalues import has_lone_surrogate, json_stringify, usv, webidl_int

UNKNOWN_TYPE = 'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".'
BAD_VALUE = "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."
NOT_PUT_OPTIONS = "Failed to execute 'put' on 'KvNamespace': parameter 3 is not of type 'PutOptions'."
NOT_LIST_OPTIONS = "Failed to execute 'list' on 'KvNamespace': parameter 1 is not of type 'ListOptions'."


# -- keys ------------------------------------------------------------------------------------------
def _key_string(key: Any) -> str:
    """A key as workerd reads its string parameter: ``String(x)`` of what the Python value becomes
    (``1`` -> ``"1"``, ``None`` -> ``"null"``)."""
    return usv(js_string(key))


def _url_key(op: str, key: Any) -> str:
    """A key of a single-key operation, which workerd sends URL-encoded: one holding a lone surrogate is
    invalid UTF-8 there, and the KV service refuses it."""
    text = js_string(key)
    if has_lone_surrogate(text):
        raise KVError(op, 400, "Could not URL-decode key name")
    return usv(text)


def _check_key_length(op: str, key: str) -> None:
    size = len(key.encode("utf-8"))
    if size > MAX_KEY_SIZE:
        raise KVError(op, 414, f"UTF-8 encoded length of {size} exceeds key length limit of {MAX_KEY_SIZE}.")


def validate_key(op: str, key: Any) -> str:
    """The runtime's check of a key given to get/getWithMetadata/put/delete (``op``: GET, PUT, DELETE)."""
    text = js_string(key)
    if text == "":
        raise KVTypeError("Key name cannot be empty.")
    if text in (".", ".."):
        raise KVTypeError(f'"{text}" is not allowed as a key name.')
    key = _url_key(op, text)
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
    """Options workerd declares as ``int``: ``ToNumber`` of what the Python value becomes (``"120"`` is 120,
    ``None`` and ``"abc"`` are 0), then converted as JSG converts numbers."""
    return webidl_int(js_to_number(value))


# -- get -------------------------------------------------------------------------------------------
def get_options(options: Any, kind: Any, cache_ttl: Any, unset: Any = None) -> tuple[str, int | None]:
    """Merge ``get(key, "json")``, ``get(key, {"type": ..., "cacheTtl": ...})`` and keyword arguments.
    ``unset`` marks a keyword not given; ``None`` given is JavaScript's null (the type ``"null"``, a
    cacheTtl of 0), as workerd reads it."""
    if isinstance(options, Mapping):
        kind = options.get("type", unset) if kind is unset else kind
        cache_ttl = options.get("cacheTtl", unset) if cache_ttl is unset else cache_ttl
    elif options is not None and kind is unset:  # a type: workerd reads anything else as a string
        kind = options
    if kind is unset:
        kind = DEFAULT_TYPE
    if isinstance(kind, (dict, list, tuple, set)):
        raise KVTypeError(UNKNOWN_TYPE)
    return js_string(kind), None if cache_ttl is unset else _int_option("cacheTtl", cache_ttl)


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
    except BigIntError:
        raise  # JSON.stringify's own TypeError
    except TypeError as exc:
        raise KVTypeError(f"KV put() metadata must be serializable to JSON: {exc}") from None


def resolve_expiration(now: float, expiration: Any, expiration_ttl: Any, unset: Any = None) -> int | None:
    """The absolute expiration (seconds since the epoch) of a put; ``expirationTtl`` wins over ``expiration``.
    ``unset`` marks an option not given (``None`` given is JavaScript's null: 0)."""
    current = math.floor(now)
    if expiration_ttl is not unset:
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
    if expiration is not unset:
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
    """A value as the bytes KV stores: bytes as they are; a stream is read by the caller (None here); a
    primitive is ``String(x)`` of what it becomes in JavaScript, as workerd reads it (``None`` is stored as
    ``"null"``, ``1.0`` as ``"1"``, ``True`` as ``"true"``); any other object is refused (workerd's TypeError)."""
    data = as_bytes(value)  # bytes-like, or an ArrayBuffer / typed array (to_js(data))
    if data is not None:
        return data
    if hasattr(value, "__aiter__"):
        return None
    if value is None or isinstance(value, (str, bool, int, float)):
        return usv(js_string(value)).encode("utf-8")
    raise KVTypeError(BAD_VALUE)


# -- list ------------------------------------------------------------------------------------------
def list_options(options: Any, prefix: Any, limit: Any, cursor: Any) -> tuple[str, int, str]:
    """``(prefix, limit, start_after)`` of a list call; limits of 0 or less mean the default, as in workerd."""
    if isinstance(options, Mapping):
        prefix = options.get("prefix") if prefix is None else prefix
        limit = options.get("limit") if limit is None else limit
        cursor = options.get("cursor") if cursor is None else cursor
    elif options is not None:
        raise KVTypeError(NOT_LIST_OPTIONS)
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
    prefix = "" if prefix is None else usv(js_string(prefix))
    _check_key_length("GET", prefix)
    if cursor is None or cursor == "":
        return prefix, count, ""
    return prefix, count, decode_cursor(js_string(cursor))


def encode_cursor(last_key: str) -> str:
    """A list cursor: the base64 of the last key returned (the next page starts after it)."""
    return base64.b64encode(last_key.encode("utf-8")).decode("ascii")


def decode_cursor(cursor: str) -> str:
    """The key a cursor starts after, decoded leniently as Node's base64 decoder does (characters outside
    the alphabets skipped, a last lone character dropped): a cursor that is not one of ours starts after
    whatever key it decodes to, as in Miniflare's KV."""
    text = "".join(ch for ch in cursor if ch.isascii() and (ch.isalnum() or ch in "+/-_"))
    text = text.replace("-", "+").replace("_", "/")
    if len(text) % 4 == 1:
        text = text[:-1]
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""
