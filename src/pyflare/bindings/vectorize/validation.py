"""Every input check of the Vectorize API, each raising the error Cloudflare gives (errors.py).

Two layers check inputs on Cloudflare and both are mirrored: workerd's binding (the ``returnMetadata``
option) and the Vectorize service, which receives the call as JSON. What JSON cannot carry (a value that is
not a number, NaN, an id that is not a string) fails the service's parsing, as it does on Cloudflare.
Vector values are kept as float32 (Vectorize's precision: "32 bits (float32)"), as little-endian bytes.
"""

from __future__ import annotations

import array
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyflare.bindings.vectorize import constants as c
from pyflare.bindings.vectorize import errors as e
from pyflare.bindings.vectorize.errors import VectorizeApiError, VectorizeError, refuse
from pyflare.kernel.jserrors import JsException, RangeError
from pyflare.kernel.jsvalues import is_number, json_stringify, usv

_NUMBER_TYPES = {float, int}


@dataclass(frozen=True)
class Vector:
    """One checked vector: float32 values as bytes, its namespace and its metadata as JSON text."""

    id: str
    values: bytes
    namespace: str | None = None
    metadata: str | None = None  # JSON text of an object


@dataclass(frozen=True)
class QueryOptions:
    top_k: int
    namespace: str | None
    return_values: bool
    return_metadata: str  # "none" | "indexed" | "all"
    filter: Any  # the raw filter (checked by pyflare.bindings.vectorize.filters.parse_filter)


# -- strings ---------------------------------------------------------------------------------------
def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def truncate_utf8(text: str, limit: int) -> str:
    """The longest well-formed prefix of ``text`` whose UTF-8 encoding fits in ``limit`` bytes."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def js_string(value: Any) -> str:
    """``String(value)`` as JavaScript writes it, for error texts that interpolate a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join("" if v is None else js_string(v) for v in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    return str(value)


# -- vector values ---------------------------------------------------------------------------------
def float32_bytes(values: Any) -> bytes | None:
    """``values`` (a list or tuple of numbers, an ``array.array``, a NumPy array, a Float32Array-like with
    ``tolist()``) as little-endian float32 bytes; None when JSON could not carry them as an array of finite
    numbers (something that is not a number, NaN, infinity, a value float32 cannot hold)."""
    if isinstance(values, (str, bytes, Mapping)) or values is None:
        return None
    if not isinstance(values, (list, tuple, array.array)):
        tolist = getattr(values, "tolist", None)
        if callable(tolist):
            values = tolist()
        else:
            try:
                values = list(values)
            except TypeError:
                return None
    if not isinstance(values, array.array) and not set(map(type, values)) <= _NUMBER_TYPES:
        # bool is an int to Python but not a number to JSON; subclasses of float/int are checked one by one
        if not all(is_number(v) for v in values):
            return None
    try:
        packed = array.array("f", values)
    except (TypeError, OverflowError):
        return None
    # NaN and infinities (doubles beyond float32's range became infinities): a sum of float32 values cannot
    # overflow a double, so it is finite exactly when every value is
    if not math.isfinite(sum(packed)):
        return None
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def dimensions_of(values: bytes) -> int:
    return len(values) // 4


# -- vectors ---------------------------------------------------------------------------------------
def _operation(kind: str) -> str:
    return e.VECTOR_INSERT if kind == "insert" else e.VECTOR_UPSERT


def check_id(op: str, value: Any, parse_error: VectorizeError) -> str:
    if not isinstance(value, str):
        raise parse_error
    value = usv(value)
    if value == "":
        raise refuse(op, e.EMPTY_ID)
    size = utf8_length(value)
    if size > c.MAX_ID_BYTES:
        raise refuse(op, e.ID_TOO_LONG, max=c.MAX_ID_BYTES, got=size)
    return value


def check_metadata(op: str, vector_id: str, metadata: Any, parse_error: VectorizeError) -> str | None:
    """Metadata as compact JSON text: an object whose keys (at every level) are not empty and do not contain
    ``.`` or ``"`` or start with ``$`` ("Metadata keys cannot be empty, contain the dot character (.), contain
    the double-quote character ("), or start with the dollar character ($)"), at most 10 KiB."""
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise parse_error
    problem = _metadata_key_problem(metadata)
    if problem:
        raise refuse(op, e.INVALID_METADATA, id=vector_id, why=problem)
    try:
        text = json_stringify(dict(metadata))
    except (TypeError, ValueError, RangeError):
        raise parse_error from None
    size = utf8_length(text)
    if size > c.MAX_METADATA_BYTES:
        raise refuse(op, e.METADATA_TOO_LARGE, id=vector_id, max=c.MAX_METADATA_BYTES, got=size)
    return text


def _metadata_key_problem(value: Any, depth: int = 0) -> str | None:
    if depth > 64:
        return "metadata is nested too deeply"
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"keys must be strings, got {js_string(key)}"
            if key == "":
                return "keys cannot be empty"
            if "." in key:
                return f'key "{key}" contains ".", which is reserved for nesting'
            if '"' in key:
                return f"key {key!r} contains a double quote"
            if key.startswith("$"):
                return f'key "{key}" starts with "$"'
            problem = _metadata_key_problem(item, depth + 1)
            if problem:
                return problem
    elif isinstance(value, (list, tuple)):
        for item in value:
            problem = _metadata_key_problem(item, depth + 1)
            if problem:
                return problem
    return None


def check_vectors(kind: str, vectors: Any, dimensions: int, max_batch: int = c.MAX_BATCH_WORKERS) -> list[Vector]:
    """The vectors of one ``insert``/``upsert`` call (``kind``), checked as the service checks them."""
    op = _operation(kind)
    parse_error = refuse(op, e.PARSE_VECTORS, kind=kind)
    if isinstance(vectors, (str, bytes, Mapping)) or not hasattr(vectors, "__iter__"):
        raise TypeError(f"{kind}() takes a list of vectors (dicts with id and values), not {type(vectors).__name__}")
    items = list(vectors)
    if len(items) > max_batch:
        raise refuse(op, e.TOO_MANY_VECTORS, max=max_batch, got=len(items))
    checked: list[Vector] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise parse_error
        vector_id = check_id(op, item.get("id"), parse_error)
        values = float32_bytes(item.get("values"))
        if values is None:
            raise parse_error
        if dimensions_of(values) != dimensions:
            raise refuse(op, e.VECTOR_DIMENSIONS, id=vector_id, expected=dimensions, got=dimensions_of(values))
        namespace = check_namespace(op, item.get("namespace"), parse_error)
        metadata = check_metadata(op, vector_id, item.get("metadata"), parse_error)
        checked.append(Vector(vector_id, values, namespace, metadata))
    return checked


def check_namespace(op: str, namespace: Any, parse_error: VectorizeError) -> str | None:
    """A vector's namespace: None or "" for none; a string of at most 64 bytes."""
    if namespace is None:
        return None
    if not isinstance(namespace, str):
        raise parse_error
    namespace = usv(namespace)
    size = utf8_length(namespace)
    if size > c.MAX_NAMESPACE_BYTES:
        raise refuse(op, e.NAMESPACE_TOO_LONG, max=c.MAX_NAMESPACE_BYTES, got=size)
    return namespace or None


def check_ids(op: str, ids: Any, maximum: int) -> list[str]:
    """The ids of ``getByIds`` (``VECTOR_GET``) or ``deleteByIds`` (``VECTOR_DELETE``)."""
    if isinstance(ids, (str, bytes, Mapping)) or not hasattr(ids, "__iter__"):
        raise TypeError(f"expected a list of vector ids (strings), not {type(ids).__name__}")
    items = list(ids)
    if len(items) > maximum:
        raise refuse(op, e.TOO_MANY_IDS, max=maximum, got=len(items))
    parse_error = VectorizeError(op, e.PARSE_QUERY[0], e.PARSE_QUERY[1].format(field="ids"))
    checked = []
    for item in items:
        if not isinstance(item, str):
            raise parse_error
        checked.append(usv(item))
    return checked


# -- queries ---------------------------------------------------------------------------------------
def _parse_error(field: str) -> VectorizeError:
    return refuse(e.VECTOR_QUERY, e.PARSE_QUERY, field=field)


def query_options(options: Any, overrides: dict[str, Any]) -> QueryOptions:
    """Merge ``query(v, {...})`` and keyword arguments (keywords win), then check them in workerd's order:
    ``returnMetadata`` in the binding, the rest in the service."""
    merged: dict[str, Any] = {}
    if options is not None:
        if not isinstance(options, Mapping):
            raise TypeError(f"query() options must be a dict, not {type(options).__name__}")
        merged.update(options)
    merged.update({k: v for k, v in overrides.items() if v is not None})
    level = _return_metadata(merged.get("returnMetadata"))
    return_values = merged.get("returnValues")
    if return_values is None:
        return_values = False
    elif not isinstance(return_values, bool):
        raise _parse_error("returnValues")
    top_k = _top_k(merged.get("topK"), return_values or level == "all")
    namespace = merged.get("namespace")
    if namespace is not None:
        if not isinstance(namespace, str):
            raise _parse_error("namespace")
        namespace = usv(namespace)
    return QueryOptions(top_k, namespace, return_values, level, merged.get("filter"))


def _return_metadata(value: Any) -> str:
    # workerd: a truthy value must be a boolean or a level; true becomes "all"; a falsy one is sent as it
    # is, and the service accepts only a missing value (default "none") or a level.
    if value is None:
        return "none"
    if _truthy(value):
        if isinstance(value, bool):
            return "all"
        if isinstance(value, str) and value in c.RETURN_METADATA_LEVELS:
            return value
        raise JsException(e.BAD_RETURN_METADATA.format(got=js_string(value)))
    raise _parse_error("returnMetadata")


def _truthy(value: Any) -> bool:
    """JavaScript's truthiness (objects and arrays are truthy even when empty)."""
    if isinstance(value, (Mapping, list, tuple)):
        return True
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)


def _top_k(value: Any, with_payload: bool) -> int:
    if value is None:
        return c.DEFAULT_TOP_K
    if not is_number(value) or (isinstance(value, float) and not value.is_integer()):
        raise _parse_error("topK")
    top_k = int(value)
    if top_k < 1:
        raise refuse(e.VECTOR_QUERY, e.INVALID_TOP_K, max=c.MAX_TOP_K, got=js_string(value))
    if with_payload and top_k > c.MAX_TOP_K_WITH_PAYLOAD:
        raise refuse(e.VECTOR_QUERY, e.TOP_K_WITH_PAYLOAD, max=c.MAX_TOP_K_WITH_PAYLOAD, got=top_k,
                     limit=c.MAX_TOP_K)
    if top_k > c.MAX_TOP_K:
        raise refuse(e.VECTOR_QUERY, e.TOP_K, max=c.MAX_TOP_K, got=top_k)
    return top_k


def query_vector(vector: Any, dimensions: int) -> bytes:
    values = float32_bytes(vector)
    if values is None:
        raise _parse_error("vector")
    if dimensions_of(values) != dimensions:
        raise refuse(e.VECTOR_QUERY, e.QUERY_DIMENSIONS, expected=dimensions, got=dimensions_of(values))
    return values


def query_id(vector_id: Any) -> str:
    if not isinstance(vector_id, str):
        raise _parse_error("vectorId")
    return usv(vector_id)


# -- index management (the REST API behind the CLI) ------------------------------------------------
def index_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise VectorizeApiError(e.API_BAD_REQUEST, "an index name must be a non-empty string")
    size = utf8_length(name)
    if size > c.MAX_INDEX_NAME_BYTES:
        raise VectorizeApiError(e.API_BAD_REQUEST, f'index name "{name}" is too long; max is '
                                                   f"{c.MAX_INDEX_NAME_BYTES} bytes, got {size} bytes")
    return name


def index_config(dimensions: Any, metric: Any, preset: Any = None) -> tuple[int, str]:
    """``(dimensions, metric)`` of a new index, from both or from a known preset (as ``wrangler vectorize
    create`` takes them)."""
    if preset is not None:
        if preset not in c.PRESETS:
            choices = ", ".join(f'"{p}"' for p in c.PRESETS)
            raise VectorizeApiError(e.API_BAD_REQUEST, f'unknown preset "{preset}"; choices: {choices}')
        return c.PRESETS[preset]
    if dimensions is None or metric is None:
        raise VectorizeApiError(e.API_BAD_REQUEST, "You must provide both dimensions and a metric, or a known "
                                                   "model preset when creating an index.")
    if metric not in c.METRICS:
        choices = ", ".join(f'"{m}"' for m in c.METRICS)
        raise VectorizeApiError(e.API_BAD_REQUEST, f'unknown metric "{metric}"; choices: {choices}')
    if not isinstance(dimensions, int) or isinstance(dimensions, bool) or not 1 <= dimensions <= c.MAX_DIMENSIONS:
        raise VectorizeApiError(e.API_BAD_REQUEST, f"dimensions must be a whole number from 1 to "
                                                   f"{c.MAX_DIMENSIONS}, got {js_string(dimensions)}")
    return dimensions, metric


def metadata_index(property_name: Any, index_type: Any) -> tuple[str, str]:
    if not isinstance(property_name, str) or not property_name:
        raise VectorizeApiError(e.API_BAD_REQUEST, "a metadata index needs a property name")
    segments = property_name.split(".")
    if any(s == "" or '"' in s or s.startswith("$") for s in segments):
        raise VectorizeApiError(e.API_BAD_REQUEST, f'invalid property name "{property_name}": keys cannot be empty, '
                                                   'contain ", or start with $ ("." separates nested keys)')
    if index_type not in c.METADATA_INDEX_TYPES:
        choices = ", ".join(f"'{t}'" for t in c.METADATA_INDEX_TYPES)
        raise VectorizeApiError(e.API_BAD_REQUEST, f"invalid metadata index type {js_string(index_type)!r}; "
                                                   f"valid types are {choices}")
    return property_name, index_type
