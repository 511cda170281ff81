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


class Database:
    """One SQLite file with one connection, explicit transactions and a small query API."""

    def __init__(
        self, path: str | Path, *, synchronous: str = "NORMAL", busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        durable: bool = True,
    ) -> None:
        synchronous = synchronous.upper()
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}, not {synchronous!r}")
        self.path = Path(path)
        self.synchronous = synchronous
        self.busy_timeout = busy_timeout
        try:
            self.connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, cached_statements=256, timeout=0
            )
        except (sqlite3.DatabaseError, OSError) as exc:  # no descriptor left, a full disk...
            _raise_storage_error(exc)
            raise
        self.connection.execute("PRAGMA busy_timeout=0")
        if durable:
            self.blocking(self.connection.execute, "PRAGMA journal_mode=WAL")
        else:
            # Temporary storage (one process, one connection, deleted on close): holding the file lock and
            # keeping the journal in memory halves the cost of creating the database and of every read and
            # write (no lock and change-counter checks per statement, no WAL files).
            self.connection.execute("PRAGMA locking_mode=EXCLUSIVE")
            self.connection.execute("PRAGMA journal_mode=MEMORY")
        self.connection.execute(f"PRAGMA synchronous={synchronous}")
        self._lock = threading.RLock()
        self._depth = 0

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
        process's lock like :meth:`blocking`, so two processes opening a new state folder at once both work."""
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

    def close(self) -> None:
        try:
            self.connection.close()
        except sqlite3.Error:
            pass


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
