"""SQLite access shared by the bindings.

Bindings call SQLite synchronously on the event loop thread: a point read or write takes a few
microseconds, far less than handing the query to a worker thread would cost (benchmarks/bench_storage.py).

Waiting for a lock never happens on that thread. Connections have SQLite's busy timeout set to 0, so
a statement that meets another process's lock (``pyflare d1 execute``, the ``sqlite3`` shell) fails at
once with SQLITE_BUSY; :meth:`Database.run` then retries the whole operation with asynchronous backoff
until :attr:`Database.busy_timeout` seconds have passed. Only the request that needs the locked file
waits; requests on other files, or reads of the same file (WAL readers never wait), go on.
Code that has no event loop to return to (one-shot CLI commands) uses :meth:`Database.blocking`. Both raise
:class:`~pyflare.storage.errors.StorageError` when the disk fails (full, I/O error), never a bare
``sqlite3.OperationalError``.

That retry is the store's business, not its callers': a store (a binding's ``store`` module) writes each
operation as a plain method ``name_now(...)`` (it runs at once, SQLITE_BUSY if another process holds the
lock) and offers it as ``name = retrying(name_now)``, so binding code calls ``await store.name(...)``.

Durability (docs/durability.md): WAL mode. With ``synchronous=NORMAL`` (the default) a committed
write survives a crash of the process (kill -9) but the last transactions may be lost if the OS
crashes or the power fails; ``synchronous=FULL`` (``[pyflare] synchronous = "full"``) fsyncs the WAL
at every commit, so those survive too, at the cost of one fsync per write.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from pyflare.storage.errors import storage_error

T = TypeVar("T")
P = ParamSpec("P")

SYNCHRONOUS_MODES = ("NORMAL", "FULL")
DEFAULT_BUSY_TIMEOUT = 5.0  # seconds a write waits for another process's lock, as SQLite's usual 5000 ms
_FIRST_BACKOFF = 0.001
_MAX_BACKOFF = 0.025  # below SQLite's own busy handler's 100 ms steps: a released lock is taken quickly

_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (extended codes keep these in their low byte)


def is_busy(exc: BaseException) -> bool:
    """Did SQLite refuse because another connection holds a lock (worth retrying)?"""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _BUSY_CODES
    text = str(exc)  # Python 3.10 exposes no result code
    return text.startswith(("database is locked", "database table is locked"))


def _raise_storage_error(exc: BaseException) -> None:
    """Raise ``exc`` as a :class:`StorageError` if the disk failed (full, I/O); else return."""
    failure = storage_error(exc)
    if failure is not None:
        raise failure from exc


# Empty databases with a schema, by schema script (see Database.executescript).
_schema_images: dict[str, bytes] = {}
_CAN_IMAGE = hasattr(sqlite3.Connection, "deserialize")  # Python 3.11+


def _schema_image(script: str) -> bytes:
    image = _schema_images.get(script)
    if image is None:
        scratch = sqlite3.connect(":memory:", isolation_level=None)
        try:
            scratch.executescript(script)
            image = _schema_images[script] = scratch.serialize()
        finally:
            scratch.close()
    return image


class Database:
    """One SQLite file with one connection, explicit transactions and a small query API.

    A durable database (a persist folder) opens its file at once, in WAL mode. A temporary one (a test's
    fresh storage) opens on first use, and a new one lives in memory: opening a file costs far more than the
    few reads and writes a test makes. If that first use is a store setting up its schema, the database
    starts as a copy of a ready-made image of that schema (every test creates the same tables). Its file
    receives the contents if the database is closed and may be opened again (:meth:`close`); a ``listed``
    one's file exists from the first use, so listings and existence checks see it as they would a file's.
    """

    def __init__(
        self, path: str | Path, *, synchronous: str = "NORMAL", busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        durable: bool = True, listed: bool = True,
    ) -> None:
        synchronous = synchronous.upper()
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}, not {synchronous!r}")
        self.path = Path(path)
        self.synchronous = synchronous
        self.busy_timeout = busy_timeout
        self.durable = durable
        self.listed = listed
        self._connection: sqlite3.Connection | None = None
        self._in_memory = False  # the contents live in memory; the file is written on close
        self._lock = threading.RLock()
        self._depth = 0
        if durable:
            self._open()

    @property
    def connection(self) -> sqlite3.Connection:
        connection = self._connection
        return connection if connection is not None else self._open()

    def _open(self, schema: str | None = None) -> sqlite3.Connection:
        if not self.durable and _CAN_IMAGE and self._is_new():
            connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False,
                                         cached_statements=256)
            if schema is not None:
                connection.deserialize(_schema_image(schema))
            connection.execute(f"PRAGMA synchronous={self.synchronous}")  # no effect in memory; reads back as set
            if self.listed:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.path.touch()
            self._connection, self._in_memory = connection, True
            return connection
        if not self.durable:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = self._connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, cached_statements=256, timeout=0
            )
        except (sqlite3.DatabaseError, OSError) as exc:  # no descriptor left, a full disk...
            _raise_storage_error(exc)
            raise
        connection.execute("PRAGMA busy_timeout=0")
        if self.durable:
            self.blocking(connection.execute, "PRAGMA journal_mode=WAL")
        else:
            # A temporary file written before (closed and opened again): one process, one connection, deleted
            # on close, so it holds the file lock and keeps the journal in memory (no lock and change-counter
            # checks per statement, no WAL files).
            connection.execute("PRAGMA locking_mode=EXCLUSIVE")
            connection.execute("PRAGMA journal_mode=MEMORY")
        connection.execute(f"PRAGMA synchronous={self.synchronous}")
        return connection

    def _is_new(self) -> bool:
        try:
            return self.path.stat().st_size == 0
        except FileNotFoundError:
            return True

    # -- waiting for other processes' locks --------------------------------------------------------
    async def run(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``operation(*args, **kwargs)`` now if the file is free (the fast path: no thread, no extra await);
        if another process holds a lock, retried after asynchronous pauses until ``busy_timeout``.

        ``operation`` must do all its writes in one transaction (or one statement), so a failed
        attempt leaves nothing behind. After ``busy_timeout`` the last SQLITE_BUSY error is raised.
        """
        try:
            return operation(*args, **kwargs)
        except (sqlite3.DatabaseError, OSError) as exc:
            if not is_busy(exc):
                _raise_storage_error(exc)
                raise
        loop = asyncio.get_running_loop()
        # Waiting for another process is real time, not emulated time: pyflare's clock does not apply.
        deadline = loop.time() + self.busy_timeout
        pause = _FIRST_BACKOFF
        while True:
            await asyncio.sleep(pause)
            try:
                return operation(*args, **kwargs)
            except (sqlite3.DatabaseError, OSError) as exc:
                if not is_busy(exc):
                    _raise_storage_error(exc)
                if not is_busy(exc) or loop.time() >= deadline:
                    raise
            pause = min(pause * 2, _MAX_BACKOFF)

    def blocking(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """:meth:`run` for code with no event loop to yield to (CLI commands, opening a file): it sleeps."""
        deadline = time.monotonic() + self.busy_timeout
        pause = _FIRST_BACKOFF
        while True:
            try:
                return operation(*args, **kwargs)
            except (sqlite3.DatabaseError, OSError) as exc:
                if not is_busy(exc):
                    _raise_storage_error(exc)
                if not is_busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, _MAX_BACKOFF)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self.connection.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        return self.connection.executemany(sql, rows)

    def executescript(self, sql: str) -> None:
        """Run a schema script (``CREATE ... IF NOT EXISTS``, once when a file is opened); waits for another
        process's lock like :meth:`blocking`, so two processes opening a new state folder at once both work.
        A new temporary database starts as a copy of the script's image instead (see the class)."""
        if self._connection is None and not self.durable:
            self._open(schema=sql)
            if self._in_memory:
                return  # a copy of the schema's image
        self.blocking(self.connection.executescript, sql)

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> tuple | None:
        return self.connection.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        return self.connection.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """A transaction that commits on success and rolls back on any exception; nests as savepoints."""
        with self._lock:
            if self._depth:
                name = f"sp{self._depth}"
                self.connection.execute(f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield self.connection
                except BaseException:
                    self.connection.execute(f"ROLLBACK TO {name}")
                    self.connection.execute(f"RELEASE {name}")
                    raise
                else:
                    self.connection.execute(f"RELEASE {name}")
                finally:
                    self._depth -= 1
                return
            self.connection.execute(f"BEGIN {mode}")
            self._depth = 1
            try:
                yield self.connection
                self.connection.execute("COMMIT")
            except BaseException:
                if self.connection.in_transaction:
                    self.connection.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    def close(self, *, keep: bool = True) -> None:
        """Close the connection. A database held in memory is written to its file first, so that opening it
        again finds its contents, unless ``keep`` is false (the file is about to be deleted)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if self._in_memory and keep:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.path.write_bytes(connection.serialize())
            connection.close()
        except sqlite3.Error:
            pass
        self._in_memory = False


class _HasDatabase(Protocol):
    db: Database


S = TypeVar("S", bound=_HasDatabase)


def retrying(operation: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], Awaitable[T]]:
    """``name = retrying(name_now)`` in a store class: ``await store.name(...)`` runs ``name_now`` under the
    retry policy of the store's ``db`` (:meth:`Database.run`)."""

    async def method(self: S, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.db.run(operation, self, *args, **kwargs)

    method.__name__ = operation.__name__.removesuffix("_now")
    method.__qualname__ = operation.__qualname__.removesuffix("_now")
    method.__doc__ = f"``{operation.__name__}``, waiting (asynchronously) while another process holds the lock."
    return method
