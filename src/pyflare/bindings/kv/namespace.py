"""``KVNamespace``: the object a worker finds in ``env`` for each ``[[kv_namespaces]]`` entry.

It keeps Cloudflare's method names and calling conventions (``get(key, "json")``,
``put(key, value, expirationTtl=60, metadata={...})``, ``list(prefix=..., cursor=...)``): it checks the
arguments (validation.py), asks the namespace's :class:`~pyflare.bindings.kv.store.KVStore`, and shapes
the results as Cloudflare's Python Workers see them (``str``, parsed JSON, ``bytes``, an async byte
stream, ``JsDict`` results, a ``dict``-like Map for bulk gets).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Mapping
from typing import Any, TypeVar

from pyflare.bindings.kv import validation as v
from pyflare.bindings.kv.constants import MAX_BULK_SIZE, MAX_VALUE_SIZE, STREAM_CHUNK
from pyflare.bindings.kv.errors import KVError, KVTypeError
from pyflare.bindings.kv.store import Entry, KVStore
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jserrors import JsException
from pyflare.kernel.jsvalues import json_parse, usv
from pyflare.kernel.tracing import traced
from pyflare.storage.errors import StorageError
from pyflare.workers import ReadableStream

_UNSET: Any = object()  # an option not given (``None`` is JavaScript's null, which means something)
T = TypeVar("T")


class KVMap(dict):
    """The result of a bulk get: JavaScript returns a ``Map``; here a ``dict`` with its ``has``/``size`` too."""

    def has(self, key: str) -> bool:
        return key in self

    @property
    def size(self) -> int:
        return len(self)


class KVListResult(JsDict):
    """A ``list()`` result. ``result.keys`` is the list of keys, as on Cloudflare (not ``dict.keys``)."""

    __slots__ = ()

    @property
    def keys(self) -> Any:  # type: ignore[override]
        return self["keys"]


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), STREAM_CHUNK):
        yield data[start : start + STREAM_CHUNK]


def _decode(entry: Entry, kind: str) -> Any:
    if kind == "text":
        return entry.value.decode("utf-8", "replace")
    if kind == "json":
        return json_parse(entry.value.decode("utf-8", "replace"))
    if kind == "arrayBuffer":
        return memoryview(entry.value)  # an ArrayBuffer reaches Python as a memoryview (Pyodide's to_py)
    if kind == "stream":
        return ReadableStream(_chunks(entry.value))
    raise KVTypeError(v.UNKNOWN_TYPE)


def _metadata(entry: Entry | None) -> Any:
    return None if entry is None or entry.metadata is None else json_parse(entry.metadata)


async def _read_stream(stream: AsyncIterable[Any]) -> tuple[bytes, int]:
    """Read a stream whole; past the value limit keep only counting, so the error names the real length."""
    parts: list[bytes] = []
    size = 0
    async for chunk in stream:
        data = usv(chunk).encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
        size += len(data)
        if size <= MAX_VALUE_SIZE:
            parts.append(data)
    return b"".join(parts), size


def _utf16_length(text: str) -> int:
    """Length as JavaScript counts it (UTF-16 code units), which is what the bulk size limit measures."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _is_array_index(name: str) -> bool:
    """Whether JavaScript treats ``name`` as an array index (a canonical integer below 2**32 - 1)."""
    return name.isdigit() and name.isascii() and (name == "0" or name[0] != "0") and int(name) < 2**32 - 1


def _span_attributes(ns: KVNamespace, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """A KV call's span attributes, as workerd sets them (kv.c++)."""
    attributes: dict[str, Any] = {"db.system.name": "cloudflare-kv", "db.operation.name": _OPERATIONS[method],
                                  "cloudflare.binding.type": "KV", "cloudflare.binding.name": ns.binding}
    if method == "list":
        options = args[0] if args and isinstance(args[0], dict) else {}
        prefix = kwargs.get("prefix", options.get("prefix"))
        if prefix is not None:
            attributes["cloudflare.kv.query.prefix"] = prefix
    elif args:
        keys = args[0] if isinstance(args[0], (list, tuple)) else [args[0]]
        attributes["cloudflare.kv.query.keys"] = ", ".join(map(str, keys))
        attributes["cloudflare.kv.query.keys.count"] = len(keys)
    return attributes


_OPERATIONS = {"get": "get", "getWithMetadata": "get", "put": "put", "delete": "delete", "list": "list"}


@traced("kv", {"get": "kv_get", "getWithMetadata": "kv_getWithMetadata", "put": "kv_put", "delete": "kv_delete",
               "list": "kv_list"}, _span_attributes)
class KVNamespace:
    """A KV namespace binding (``env.KV``)."""

    def __init__(self, store: KVStore, binding: str) -> None:
        self._store = store
        self.binding = binding

    def __repr__(self) -> str:
        return f"KVNamespace({self.binding!r})"

    # -- get -------------------------------------------------------------------------------------
    async def get(
        self,
        key: str | list[str],
        options: str | dict[str, Any] | None = None,
        *,
        type: Any = _UNSET,
        cacheTtl: Any = _UNSET,  # Cloudflare's names
    ) -> Any:
        """The value of ``key`` (None if missing) as "text" (default), "json", "arrayBuffer" or "stream".

        With a list of keys (1..100, type "text" or "json"), a Map of key -> value or None.
        """
        kind, cache_ttl = v.get_options(options, type, cacheTtl, _UNSET)
        if isinstance(key, (list, tuple)):
            return await self._get_bulk(list(key), kind, cache_ttl, with_metadata=False)
        entry = await self._get_one(key, cache_ttl)
        return None if entry is None else _decode(entry, kind)

    async def getWithMetadata(  # Cloudflare's name
        self,
        key: str | list[str],
        options: str | dict[str, Any] | None = None,
        *,
        type: Any = _UNSET,
        cacheTtl: Any = _UNSET,
    ) -> Any:
        """``{value, metadata, cacheStatus}`` for ``key``; with a list of keys, a Map of key -> {value, metadata}."""
        kind, cache_ttl = v.get_options(options, type, cacheTtl, _UNSET)
        if isinstance(key, (list, tuple)):
            return await self._get_bulk(list(key), kind, cache_ttl, with_metadata=True)
        entry = await self._get_one(key, cache_ttl)
        value = None if entry is None else _decode(entry, kind)
        return JsDict(value=value, metadata=_metadata(entry), cacheStatus=None)

    async def _stored(self, op: str, operation: Awaitable[T]) -> T:
        """A store call: a failing disk is what the KV service answers then, with the storage's text: ``KV PUT
        failed: 500 Internal Server Error (database or disk is full: SQLITE_FULL)``; nothing of a refused write
        is stored."""
        try:
            return await operation
        except StorageError as exc:
            raise KVError(op, 500, f"Internal Server Error ({exc})") from exc

    async def _get_one(self, key: Any, cache_ttl: int | None) -> Entry | None:
        key = v.validate_key("GET", key)
        v.validate_cache_ttl("GET", cache_ttl)
        return await self._stored("GET", self._store.get(key))

    async def _get_bulk(
        self, keys: list[Any], kind: str, cache_ttl: int | None, *, with_metadata: bool
    ) -> KVMap:
        v.validate_bulk_request(keys, kind)
        result = KVMap()
        total = 0
        for key in keys:
            key = v.validate_bulk_key(key)
            v.validate_cache_ttl("GET_BULK", cache_ttl)
            entry = await self._stored("GET_BULK", self._store.get(key))
            if _is_array_index(key):
                # workerd builds the Map from the service's JSON object skipping index-like names ("0", "42"):
                # such keys are read (and count towards the size limit) but never in the result.
                if entry is not None:
                    total += _utf16_length(entry.value.decode("utf-8", "replace"))
                continue
            if entry is None:
                result[key] = None
                continue
            text = entry.value.decode("utf-8", "replace")
            total += _utf16_length(text)
            if kind == "json":
                try:
                    value = json_parse(text)
                except JsException:
                    raise KVError(
                        "GET_BULK", 400, "At least one of the requested keys corresponds to a non-json value"
                    ) from None
            else:
                value = text
            result[key] = JsDict(value=value, metadata=_metadata(entry)) if with_metadata else value
        if total > MAX_BULK_SIZE:
            raise KVError(
                "GET_BULK",
                413,
                f"Total size of request exceeds the limit of {MAX_BULK_SIZE // 1024 // 1024}MB",
            )
        return result

    # -- put / delete ----------------------------------------------------------------------------
    async def put(
        self,
        key: str,
        value: Any,
        options: dict[str, Any] | None = None,
        *,
        expiration: Any = _UNSET,
        expirationTtl: Any = _UNSET,  # Cloudflare's names
        metadata: Any = _UNSET,
        **_other: Any,  # options KV does not know are ignored, as on Cloudflare
    ) -> None:
        """Store ``value`` under ``key``: str, bytes or an async stream of bytes; anything else is stored as
        JavaScript writes it as a string (``None`` as ``"null"``). ``expirationTtl`` wins over ``expiration``.

        An option given as ``None`` is JavaScript's ``null``, which Cloudflare reads as 0 for the
        expirations (so ``expirationTtl=None`` is refused) and as no metadata."""
        merged: dict[str, Any] = {}
        if options is not None:
            if not isinstance(options, Mapping):
                raise KVTypeError(v.NOT_PUT_OPTIONS)
            merged.update(options)
        for name, given in (("expiration", expiration), ("expirationTtl", expirationTtl), ("metadata", metadata)):
            if given is not _UNSET:
                merged[name] = given
        key = v.validate_key("PUT", key)
        metadata_json = v.encode_metadata(merged.get("metadata"))
        data = v.primitive_value(value)
        expires = v.resolve_expiration(
            self._store.clock.time(), merged.get("expiration", _UNSET), merged.get("expirationTtl", _UNSET), _UNSET
        )
        v.validate_metadata_size(metadata_json)
        if data is None:
            data, size = await _read_stream(value)
        else:
            size = len(data)
        v.validate_value_size(size)
        await self._stored("PUT", self._store.put(key, data, expires, metadata_json))

    async def delete(self, key: str) -> None:
        """Delete ``key``; deleting a missing key is not an error."""
        key = v.validate_key("DELETE", key)
        await self._stored("DELETE", self._store.delete(key))

    # -- list ------------------------------------------------------------------------------------
    async def list(
        self,
        options: dict[str, Any] | None = None,
        *,
        prefix: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> KVListResult:
        """Keys in order: ``{keys: [{name, expiration?, metadata?}], list_complete, cursor?, cacheStatus}``."""
        prefix_, count, after = v.list_options(options, prefix, limit, cursor)
        infos, more = await self._stored("GET", self._store.list(prefix_, after, count))
        keys = []
        for info in infos:
            item = JsDict(name=info.name)
            if info.expiration is not None:
                item["expiration"] = info.expiration
            if info.metadata is not None:
                item["metadata"] = json_parse(info.metadata)
            keys.append(item)
        result = KVListResult(keys=keys, list_complete=not more)
        if more:
            result["cursor"] = v.encode_cursor(infos[-1].name)
        result["cacheStatus"] = None
        return result


__all__ = ["KVListResult", "KVMap", "KVNamespace"]
