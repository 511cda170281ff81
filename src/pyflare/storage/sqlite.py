"""SQLite access shared by the bindings.

Bindings call SQLite synchronously on the event loop thread: a point read or write takes a few
microseconds, far less than handing the query to a worker thread would cost (measured in
benchmarks/bench_storage.py). WAL mode with synchronous=NORMAL means a committed write survives a
crash of the process (kill -9); only an OS crash could lose the last transactions.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class Database:
    """One SQLite file with one connection, explicit transactions and a small query API."""

    def __init__(self, path: str | Path, *, durable: bool = True) -> None:
        self.path = Path(path)
        self.connection = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, cached_statements=256
        )
        if durable:
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA synchronous=NORMAL")
        else:
            # Temporary storage (one process, one connection, deleted on close, nothing to survive): holding
            # the file lock and keeping the journal in memory halves the cost of creating the database and
            # of every read and write (no lock and change-counter checks per statement, no WAL files).
            self.connection.execute("PRAGMA locking_mode=EXCLUSIVE")
            self.connection.execute("PRAGMA journal_mode=MEMORY")
            self.connection.execute("PRAGMA synchronous=OFF")
        self.connection.execute("PRAGMA busy_timeout=5000")
        self._lock = threading.RLock()
        self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self.connection.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        return self.connection.executemany(sql, rows)

    def executescript(self, sql: str) -> None:
        self.connection.executescript(sql)

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
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            else:
                self.connection.execute("COMMIT")
            finally:
                self._depth = 0

    def close(self) -> None:
        try:
            self.connection.close()
        except sqlite3.Error:
            pass
