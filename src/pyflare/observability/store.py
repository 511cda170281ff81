"""The trace store: every trace's spans and logs in one SQLite file of the state folder
(``<state>/observability/traces.sqlite``), bounded, and readable with SQL.

The tables are Miniflare's local observability tables (``spans``, ``logs``), so a query written for
``wrangler dev``'s store runs here too:

- ``spans(trace_id, span_id, parent_id, service, name, kind, start_ms, duration_ms, outcome, error, attributes)``:
  ``service`` is the worker, ``attributes`` JSON text (read with ``json_extract(attributes, '$."url.full"')``),
  ``duration_ms`` NULL while the span runs. A trace's top span has no parent; each invocation's root span
  carries ``cloudflare.handler_type`` and the request-level attributes.
- ``logs(trace_id, span_id, seq, ts_ms, level, message, operation, source)``: ``level`` ``debug``/``info``/
  ``log``/``warn``/``error``; ``source`` says where it came from (``console``, ``print``, ``logging``,
  ``exception``); ``operation`` is the name of the span it was written in.

Bounded: the newest :data:`MAX_TRACES` traces are kept; past that (with a tenth of slack, so trimming is
rare) the oldest written are deleted. Reading is :meth:`TraceStore.query`: one SELECT or WITH statement, under an
authorizer that lets nothing but reads through, at most :data:`MAX_QUERY_ROWS` rows, :data:`QUERY_TIMEOUT`
seconds.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from pyflare.storage import Storage
from pyflare.storage.sqlite import Database

MAX_TRACES = 10_000
MAX_QUERY_ROWS = 10_000  # as Miniflare's trace store: a SELECT never pulls the whole store back
QUERY_TIMEOUT = 5.0  # seconds a query may run before it is interrupted

SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
    trace_id    TEXT NOT NULL,
    span_id     TEXT NOT NULL,
    parent_id   TEXT,
    service     TEXT,
    name        TEXT,
    kind        TEXT,
    start_ms    REAL,
    duration_ms REAL,
    outcome     TEXT,
    error       TEXT,
    attributes  TEXT,
    PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX IF NOT EXISTS spans_roots ON spans (start_ms) WHERE parent_id IS NULL;
CREATE TABLE IF NOT EXISTS logs (
    trace_id  TEXT NOT NULL,
    span_id   TEXT,
    seq       INTEGER NOT NULL,
    ts_ms     REAL,
    level     TEXT,
    message   TEXT,
    operation TEXT,
    source    TEXT,
    PRIMARY KEY (trace_id, seq)
);
"""

UPSERT_SPAN = """
INSERT INTO spans (trace_id, span_id, parent_id, service, name, kind, start_ms, duration_ms, outcome, error, attributes)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (trace_id, span_id) DO UPDATE SET duration_ms = excluded.duration_ms, outcome = excluded.outcome,
    error = excluded.error, attributes = excluded.attributes
"""
INSERT_LOG = "INSERT OR REPLACE INTO logs VALUES (?, ?, ?, ?, ?, ?, ?, ?)"

SpanRow = tuple[Any, ...]  # the columns of spans, in order
LogRow = tuple[Any, ...]  # the columns of logs, in order

_READS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
_FIRST_WORD = re.compile(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(\w+)", re.S)


class QueryError(ValueError):
    """A query the store refuses, or one SQLite failed to run; the message says why."""


def _only_reads(action: int, *_: Any) -> int:
    return sqlite3.SQLITE_OK if action in _READS else sqlite3.SQLITE_DENY


class TraceStore:
    """The spans and logs of one state folder. The file is opened on first use: a worker that serves
    nothing (most test instances) creates nothing."""

    def __init__(self, storage: Storage, *, limit: int = MAX_TRACES) -> None:
        self.storage = storage
        self.limit = limit
        self._db: Database | None = None
        self._count = 0  # traces in the file (top spans), kept up to date by write()

    @property
    def db(self) -> Database:
        if self._db is None:
            db = self.storage.database("observability", "traces")
            # Traces are diagnostics, not data a worker was promised: no fsync (a power cut may lose the last
            # few), which keeps writing them cheap. A crash of pyflare itself loses nothing written.
            db.connection.execute("PRAGMA synchronous=OFF")
            db.executescript(SCHEMA)
            self._count = db.one("SELECT COUNT(*) FROM spans WHERE parent_id IS NULL")[0]  # type: ignore[index]
            self._db = db
        return self._db

    @property
    def opened(self) -> bool:
        return self._db is not None

    # -- writing ------------------------------------------------------------------------------------
    def write(self, spans: Sequence[SpanRow], logs: Sequence[LogRow], new_traces: int) -> None:
        """Write a batch in one transaction (spans are upserted: a span that ended late updates its row);
        raises sqlite3.OperationalError (busy) if another process holds the lock, leaving nothing written."""
        db = self.db
        with db.transaction():
            if spans:
                db.executemany(UPSERT_SPAN, spans)
            if logs:
                db.executemany(INSERT_LOG, logs)
        self._count += new_traces
        if self._count > self.limit + self.limit // 10:
            self.trim()

    def trim(self) -> None:
        """Delete the oldest traces beyond :attr:`limit`."""
        db = self.db
        with db.transaction():
            # The oldest kept trace's top span (rows are numbered in the order traces were written), found
            # through the index of top spans; older traces go in two statements, not one per trace.
            edge = db.one("SELECT rowid FROM spans WHERE parent_id IS NULL ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                          (self.limit - 1,))
            if edge is None:
                return
            old = "SELECT trace_id FROM spans WHERE parent_id IS NULL AND rowid < ?"
            db.execute(f"DELETE FROM logs WHERE trace_id IN ({old})", edge)
            db.execute(f"DELETE FROM spans WHERE trace_id IN ({old})", edge)
            self._count = db.one("SELECT COUNT(*) FROM spans WHERE parent_id IS NULL")[0]  # type: ignore[index]

    def clear(self) -> None:
        """Delete every trace."""
        db = self.db
        with db.transaction():
            db.execute("DELETE FROM spans")
            db.execute("DELETE FROM logs")
        self._count = 0

    # -- reading ------------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[list[Any]]]:
        """Run one read-only statement (SELECT or WITH) with bound ``params``; (column names, rows)."""
        if not isinstance(sql, str) or not sql.strip():
            raise QueryError("sql must be a non-empty string")
        statement = sql.strip()
        if statement.endswith(";"):
            statement = statement[:-1]
        first = _FIRST_WORD.match(statement)
        if first is None or first.group(1).upper() not in ("SELECT", "WITH"):
            raise QueryError("Only read-only SELECT/WITH queries are allowed")
        if not isinstance(params, (list, tuple)):
            raise QueryError("params must be a list")
        connection = self.db.connection
        deadline = time.monotonic() + QUERY_TIMEOUT
        connection.set_authorizer(_only_reads)
        connection.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
        try:
            cursor = connection.execute(statement, list(params))
            columns = [d[0] for d in cursor.description or ()]
            rows = [list(row) for row in cursor.fetchmany(MAX_QUERY_ROWS)]
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if text == "not authorized":
                text = "Only read-only SELECT/WITH queries are allowed"
            elif text == "interrupted":
                text = f"the query ran longer than {QUERY_TIMEOUT:g}s and was stopped"
            raise QueryError(text) from None
        except (sqlite3.ProgrammingError, sqlite3.Warning) as exc:  # several statements, wrong parameter count
            raise QueryError(str(exc)) from None
        finally:
            connection.set_authorizer(None)
            connection.set_progress_handler(None, 0)
        return columns, rows

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """pyflare's own reads (trusted SQL), as dicts by column name."""
        cursor = self.db.connection.execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
