"""``ctx.storage``: the async key-value API, transactions, alarms, and the ``sql`` / ``kv`` properties.

Each method does its SQLite work when it is called and returns an already-settled awaitable (:class:`Settled`),
so no other event reaches the object while a storage operation is pending (the input gate), a write is
committed before the call returns (the output gate: nothing the object sends afterwards can get ahead of
it), and a call that is not awaited still happens, as a JavaScript promise does. The options ``allowConcurrency``,
``allowUnconfirmed`` and ``noCache`` are accepted; they only relax guarantees, so honouring the stricter
behaviour is always correct.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pyflare.bindings.durable_objects import constants as C
from pyflare.bindings.durable_objects import validation
from pyflare.kernel.jsobjects import JsMap
from pyflare.kernel.tracing import traced
from pyflare.objects import MISSING, ObjectAddress
from pyflare.objects import values as stored_values
from pyflare.storage.errors import storage_error
from pyflare.workers.rpc import from_rpc

if TYPE_CHECKING:
    from pyflare.bindings.durable_objects.host import ClassHost
    from pyflare.bindings.durable_objects.sql import SqlStorage
    from pyflare.objects import ObjectStorage

_UNSET: Any = object()


def _options(options: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    merged = dict(options) if options else {}
    merged.update(kwargs)
    return merged


def _not_of_type(method: str, expected: str) -> str:
    """workerd's TypeError text for a missing or mistyped first argument."""
    return f"Failed to execute '{method}' on 'DurableObjectStorage': parameter 1 is not of type '{expected}'."


class Settled:
    """An awaitable that is already settled: what a storage call returns. The work happened when the method
    was called, as a JavaScript promise starts at once; so ``storage.put(k, v)`` without ``await`` still
    writes, as on Cloudflare. Awaiting it gives the result, or raises the error."""

    __slots__ = ("_value", "_error")

    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self._value = value
        self._error = error

    def __await__(self) -> Generator[Any, None, Any]:
        if self._error is not None:
            raise self._error
        return self._value
        yield  # a generator: awaiting it finishes at once, without yielding to the event loop

    def __repr__(self) -> str:
        return f"<settled storage call: {'error ' + repr(self._error) if self._error else repr(self._value)}>"


@contextmanager
def _failing_disk(host: ClassHost, address: ObjectAddress) -> Iterator[None]:
    """A storage failure (disk full, I/O error) becomes workerd's error (``database or disk is full:
    SQLITE_FULL``, a JavaScript ``Error``) and, as on Cloudflare, resets the object, so no instance goes on
    with state that was never stored. SQLite has rolled the failed write back; earlier writes stay."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        failure = storage_error(exc)
        if failure is None:
            raise
        host.layer.evict(address, f"reset: storage failed: {failure}")
        raise failure from exc


def _eager(method: Callable[..., Any]) -> Callable[..., Settled]:
    @functools.wraps(method)
    def run(self: _KVOperations, *args: Any, **kwargs: Any) -> Settled:
        try:
            with _failing_disk(self._host, self._address):
                return Settled(method(self, *args, **kwargs))
        except Exception as exc:
            return Settled(error=exc)

    return run


class _Rollback(Exception):
    """Unwinds a transaction whose callback called ``txn.rollback()``."""


def _span_attributes(owner: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """A storage call's span attributes, as workerd's actor-state.c++ sets them."""
    attributes: dict[str, Any] = {"db.system.name": "cloudflare-durable-object", "db.operation.name": method,
                                  "cloudflare.durable_object.id": owner._address.id}
    if method in ("get", "put", "delete") and args:
        first = args[0]
        keys = list(first) if isinstance(first, (list, tuple)) else list(first) if isinstance(first, dict) else [first]
        attributes["cloudflare.durable_object.kv.query.keys"] = ", ".join(map(str, keys))
        attributes["cloudflare.durable_object.kv.query.keys.count"] = len(keys)
    return attributes


_KV_SPANS = {"get": "durable_object_storage_get", "put": "durable_object_storage_put",
             "delete": "durable_object_storage_delete", "list": "durable_object_storage_list",
             "getAlarm": "durable_object_storage_getAlarm", "setAlarm": "durable_object_storage_setAlarm",
             "deleteAlarm": "durable_object_storage_deleteAlarm"}


@traced("do_storage", _KV_SPANS, _span_attributes)
class _KVOperations:
    """The key-value methods shared by ``ctx.storage`` and a transaction's ``txn``."""

    _host: ClassHost
    _address: ObjectAddress
    _in_transaction = False

    @property
    def _store(self) -> ObjectStorage:
        return self._host.layer.storage(self._address)

    def _check_open(self, op: str) -> None:
        pass

    @_eager
    def get(self, keys: Any = _UNSET, options: Any = None, /, **kwargs: Any) -> Any:
        self._check_open("get()")
        if keys is _UNSET:
            raise TypeError(_not_of_type("get", "string or Array"))
        backend = self._host.backend
        store = self._store
        if not isinstance(keys, (list, tuple)):
            value = store.get(validation.check_key(keys, backend))
            return None if value is MISSING else from_rpc(value)
        if isinstance(keys, (list, tuple)):
            found = store.get_many(validation.check_keys(list(keys), backend))
            return JsMap({k: from_rpc(v) for k, v in found.items()})  # a JS Map, as on Cloudflare
        validation.check_key(keys, backend)
        return None

    @_eager
    def put(self, key_or_entries: Any = _UNSET, value: Any = _UNSET, options: Any = None, /, **kwargs: Any) -> None:
        self._check_open("put()")
        if key_or_entries is _UNSET:
            raise TypeError(_not_of_type("put", "string or object"))
        backend = self._host.backend
        if isinstance(key_or_entries, dict):
            entries = key_or_entries
            if value is not _UNSET and value is not None and not isinstance(value, dict):
                raise TypeError(C.PUT_SHAPES)  # put(entries, options): the second argument is the options
            validation.check_entries_count(len(entries), backend)
            encoded = []
            for key, item in entries.items():
                key = validation.check_key(key, backend)
                item = validation.check_put_value(item)
                data = stored_values.encode(item)
                validation.check_value_size(key, item, stored_values.size(data), backend)
                encoded.append((key, data))
            self._store.put_encoded(encoded)
            return
        key = validation.check_key(key_or_entries, backend)
        if value is _UNSET:
            raise TypeError("put() called with undefined value.")
        value = validation.check_put_value(value)
        data = stored_values.encode(value)
        validation.check_value_size(key, value, stored_values.size(data), backend)
        self._store.put_encoded_one(key, data)

    @_eager
    def delete(self, keys: Any = _UNSET, options: Any = None, /, **kwargs: Any) -> Any:
        self._check_open("delete()")
        if keys is _UNSET:
            raise TypeError(_not_of_type("delete", "string or Array"))
        backend = self._host.backend
        if isinstance(keys, (list, tuple)):
            return self._store.delete_many(validation.check_keys(list(keys), backend))
        return self._store.delete(validation.check_key(keys, backend))

    @_eager
    def list(self, options: Any = None, /, **kwargs: Any) -> JsMap:
        self._check_open("list()")
        opts = validation.check_list_options(_options(options, kwargs))
        pairs = self._store.list(
            start=opts.get("start"), start_after=opts.get("startAfter"), end=opts.get("end"),
            prefix=opts.get("prefix"), reverse=bool(opts.get("reverse")), limit=opts.get("limit"),
        )
        return JsMap({k: from_rpc(v) for k, v in pairs})

    @_eager
    def getAlarm(self, options: Any = None, /, **kwargs: Any) -> int | None:  # noqa: N802
        self._check_open("getAlarm()")
        return self._host.layer.get_alarm(self._address)

    @_eager
    def setAlarm(self, scheduled_time: Any, options: Any = None, /, **kwargs: Any) -> None:  # noqa: N802
        self._check_open("setAlarm()")
        when = validation.alarm_time_ms(scheduled_time)
        if not self._host.has_alarm_handler():
            raise TypeError(C.NO_ALARM_HANDLER)
        self._host.layer.set_alarm(self._address, max(when, self._host.clock.time_ms()))

    @_eager
    def deleteAlarm(self, options: Any = None, /, **kwargs: Any) -> None:  # noqa: N802
        self._check_open("deleteAlarm()")
        self._host.layer.set_alarm(self._address, None)

    get_alarm = getAlarm
    set_alarm = setAlarm
    delete_alarm = deleteAlarm


class DurableObjectTransaction(_KVOperations):
    """``txn`` inside ``storage.transaction(fn)``: the same API, plus ``rollback()``."""

    _in_transaction = True

    def __init__(self, host: ClassHost, address: ObjectAddress) -> None:
        self._host = host
        self._address = address
        self.rolled_back = False

    def _check_open(self, op: str) -> None:
        if self.rolled_back:
            raise RuntimeError(f"Cannot {op} on rolled back transaction")

    def rollback(self) -> None:
        self._check_open("rollback()")
        self.rolled_back = True

    @_eager
    def deleteAll(self, options: Any = None, /, **kwargs: Any) -> None:  # noqa: N802
        raise RuntimeError("Cannot call deleteAll() within a transaction")

    delete_all = deleteAll


@traced("do_storage", {"deleteAll": "durable_object_storage_deleteAll",
                        "transaction": "durable_object_storage_transaction"}, _span_attributes)
class DurableObjectStorage(_KVOperations):
    """``ctx.storage`` of one object."""

    def __init__(self, host: ClassHost, address: ObjectAddress) -> None:
        self._host = host
        self._address = address
        self._sql: SqlStorage | None = None
        self._kv: SyncKvStorage | None = None

    @_eager
    def deleteAll(self, options: Any = None, /, **kwargs: Any) -> None:  # noqa: N802
        """Delete every key (and, for SQLite-backed objects, every table; the alarm too from 2026-02-24)."""
        host = self._host
        keep_alarm = None if host.delete_all_deletes_alarm else host.layer.get_alarm(self._address)
        if host.backend == C.SQLITE:
            if self._store.exists():
                host.layer.delete_storage(self._address)
        else:
            self._store.delete_all_keys()
            if not keep_alarm:
                host.layer.set_alarm(self._address, None)
        if keep_alarm is not None and host.backend == C.SQLITE:
            host.layer.set_alarm(self._address, keep_alarm)

    delete_all = deleteAll

    async def transaction(self, callback: Callable[[DurableObjectTransaction], Any], options: Any = None) -> Any:
        """Run ``await callback(txn)``; its writes commit together when it returns, or none do if it throws
        or calls ``txn.rollback()``. No other event reaches the object meanwhile."""
        live = self._host.layer.live(self._address)
        txn = DurableObjectTransaction(self._host, self._address)
        store = self._store
        gate_closed = live is not None and live.gate is None
        if gate_closed:
            live.close_gate()  # type: ignore[union-attr]
        try:
            try:
                with _failing_disk(self._host, self._address), store.transaction():
                    result = callback(txn)
                    if hasattr(result, "__await__"):
                        result = await result
                    if txn.rolled_back:
                        raise _Rollback()
                return result
            except _Rollback:
                return result
        finally:
            if gate_closed:
                live.open_gate()  # type: ignore[union-attr]

    def transactionSync(self, callback: Callable[[], Any] = _UNSET) -> Any:  # noqa: N802
        """Run ``callback()`` in one SQL transaction (SQLite-backed objects only)."""
        if not callable(callback):
            raise TypeError(_not_of_type("transactionSync", "function"))
        if self._host.backend != C.SQLITE:
            raise RuntimeError(C.NOT_SQL_BACKED)
        with _failing_disk(self._host, self._address), self._store.transaction():
            return callback()

    transaction_sync = transactionSync

    @_eager
    def sync(self) -> None:
        """Writes are already durable when their call returns; nothing is queued."""

    @property
    def sql(self) -> SqlStorage:
        if self._sql is None:
            if self._host.backend != C.SQLITE:
                raise RuntimeError(C.SQL_NOT_ENABLED)
            from pyflare.bindings.durable_objects.sql import SqlStorage

            self._sql = SqlStorage(self._host, self._address)
        return self._sql

    @property
    def kv(self) -> SyncKvStorage:
        if self._kv is None:
            if self._host.backend != C.SQLITE:
                raise RuntimeError(C.SYNC_KV_NOT_ENABLED)
            self._kv = SyncKvStorage(self)
        return self._kv


class SyncKvStorage:
    """``ctx.storage.kv``: synchronous get/put/delete/list over the same keys (SQLite-backed objects)."""

    def __init__(self, storage: DurableObjectStorage) -> None:
        self._storage = storage
        self._generation = 0

    def _failing_disk(self) -> Any:
        return _failing_disk(self._storage._host, self._storage._address)

    def get(self, key: str) -> Any:
        key = validation.check_key(key, C.SQLITE)
        with self._failing_disk():
            value = self._storage._store.get(key)
        return None if value is MISSING else from_rpc(value)

    def put(self, key: str, value: Any = _UNSET) -> None:
        key = validation.check_key(key, C.SQLITE)
        if value is _UNSET:  # SyncKvStorage::put(key, jsg::JsValue value): JSG's own argument check
            raise TypeError("Failed to execute 'put' on 'SyncKvStorage': parameter 2 is not of type 'JsValue'.")
        value = validation.check_put_value(value)
        data = stored_values.encode(value)
        validation.check_value_size(key, value, stored_values.size(data), C.SQLITE)
        with self._failing_disk():
            self._storage._store.put_encoded_one(key, data)

    def delete(self, key: str) -> bool:
        key = validation.check_key(key, C.SQLITE)
        with self._failing_disk():
            return self._storage._store.delete(key)

    def list(self, options: Any = None, /, **kwargs: Any) -> Iterator[list[Any]]:
        """An iterator of ``[key, value]``; starting another list() ends this one, as workerd does."""
        opts = validation.check_list_options(_options(options, kwargs))
        with self._failing_disk():
            pairs = self._storage._store.list(
                start=opts.get("start"), start_after=opts.get("startAfter"), end=opts.get("end"),
                prefix=opts.get("prefix"), reverse=bool(opts.get("reverse")), limit=opts.get("limit"),
            )
        self._generation += 1
        generation = self._generation

        def iterate() -> Iterator[list[Any]]:
            for key, value in pairs:
                if generation != self._generation:
                    return
                yield [key, from_rpc(value)]

        return iterate()
