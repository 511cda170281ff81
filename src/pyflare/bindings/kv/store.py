"""KV semantics over one SQLite file per namespace: versions, visibility, expiry, ordered listing.

Each write adds a *version* row ``(key, visible_at, value, expiration, metadata)``; a delete adds a
version whose value is NULL (a tombstone). A read at time ``now`` sees, for each key, the newest
version with ``visible_at <= now``. With no propagation delay a version is visible the moment it is
written and it replaces every older row of its key, so the table holds one row per key. With a delay
of N seconds, versions become visible N seconds after the write, and until then reads see the
previous version; older versions are removed once a newer one is visible.

Expired versions are never returned and are deleted lazily (by the read that finds them, and by
``list``). Time always comes from pyflare's clock. Every write commits before it returns, so an
acknowledged put survives a kill -9 of the process.

The values are stored inline (BLOB), which keeps a point read to one indexed lookup; files stay
readable with ``sqlite3``: ``SELECT key, value FROM kv_entries``.
"""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass
from typing import Any

from pyflare.kernel.clock import Clock
from pyflare.storage import Database, retrying
from pyflare.storage.sqlite import is_busy

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv_entries (
    key TEXT NOT NULL,
    visible_at REAL NOT NULL,   -- clock time (seconds since the epoch) from which this version is read
    value BLOB,                 -- NULL marks a delete
    expiration INTEGER,         -- seconds since the epoch; NULL: never expires
    metadata TEXT,              -- JSON; NULL: no metadata
    UNIQUE (key, visible_at)
);
CREATE INDEX IF NOT EXISTS kv_entries_expiration ON kv_entries (expiration) WHERE expiration IS NOT NULL;
"""

_LATEST = (
    "SELECT value, expiration, metadata, visible_at FROM kv_entries"
    " WHERE key = ? AND visible_at <= ? ORDER BY visible_at DESC LIMIT 1"
)
_LIST = """
SELECT key, expiration, metadata FROM kv_entries AS e
WHERE key > :after AND key >= :low AND (:high IS NULL OR key < :high)
  AND value IS NOT NULL AND (expiration IS NULL OR expiration > :now)
  AND visible_at = (SELECT MAX(visible_at) FROM kv_entries WHERE key = e.key AND visible_at <= :now)
ORDER BY key LIMIT :limit
"""


@dataclass(frozen=True)
class Entry:
    """One visible value with what was stored beside it."""

    key: str
    value: bytes
    expiration: int | None
    metadata: str | None  # JSON text


@dataclass(frozen=True)
class KeyInfo:
    name: str
    expiration: int | None
    metadata: str | None  # JSON text


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (None: no bound)."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= sys.maxunicode:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


class KVStore:
    """The stored state of one KV namespace."""

    def __init__(self, db: Database, clock: Clock, propagation_delay: float = 0.0) -> None:
        self.db = db
        self.clock = clock
        self.delay = max(0.0, float(propagation_delay))
        db.executescript(SCHEMA)

    # -- reads -----------------------------------------------------------------------------------
    def get_now(self, key: str) -> Entry | None:
        """The value of ``key`` visible now, or None (missing, deleted or expired)."""
        now = self.clock.time()
        row = self.db.one(_LATEST, (key, now))
        if row is None:
            return None
        value, expiration, metadata, visible_at = row
        if value is None:
            return None
        if expiration is not None and expiration <= now:
            self._tidy(self._drop_through, key, visible_at)
            return None
        return Entry(key, value, expiration, metadata)

    def list_now(self, prefix: str, after: str, limit: int) -> tuple[list[KeyInfo], bool]:
        """Up to ``limit`` visible keys starting with ``prefix``, after ``after``, in order; and whether more exist."""
        now = self.clock.time()
        self._tidy(self.purge_expired, now)
        rows = self.db.all(
            _LIST,
            {
                "after": after,
                "low": prefix,
                "high": prefix_upper_bound(prefix),
                "now": now,
                "limit": limit + 1,
            },
        )
        more = len(rows) > limit
        return [KeyInfo(name, expiration, metadata) for name, expiration, metadata in rows[:limit]], more

    # -- writes ----------------------------------------------------------------------------------
    def put_now(self, key: str, value: bytes, expiration: int | None, metadata: str | None) -> None:
        self._write(key, value, expiration, metadata)

    def delete_now(self, key: str) -> None:
        if self.delay <= 0:
            self.db.execute("DELETE FROM kv_entries WHERE key = ?", (key,))
            return
        self._write(key, None, None, None)

    # What the binding calls: each waits while another process holds the write lock.
    get = retrying(get_now)
    list = retrying(list_now)
    put = retrying(put_now)
    delete = retrying(delete_now)

    def _write(self, key: str, value: bytes | None, expiration: int | None, metadata: str | None) -> None:
        now = self.clock.time()
        with self.db.transaction():
            if self.delay <= 0:
                self.db.execute("DELETE FROM kv_entries WHERE key = ?", (key,))
            else:
                self._compact(key, now)
            self.db.execute(
                "INSERT OR REPLACE INTO kv_entries (key, visible_at, value, expiration, metadata)"
                " VALUES (?, ?, ?, ?, ?)",
                (key, now + self.delay, value, expiration, metadata),
            )

    # -- housekeeping ----------------------------------------------------------------------------
    def _compact(self, key: str, now: float) -> None:
        """Remove versions of ``key`` that can never be read again (superseded, or a visible delete)."""
        row = self.db.one(
            "SELECT visible_at, value IS NULL FROM kv_entries WHERE key = ? AND visible_at <= ?"
            " ORDER BY visible_at DESC LIMIT 1",
            (key, now),
        )
        if row is None:
            return
        visible_at, deleted = row
        op = "<=" if deleted else "<"
        self.db.execute(f"DELETE FROM kv_entries WHERE key = ? AND visible_at {op} ?", (key, visible_at))

    @staticmethod
    def _tidy(operation: Any, *args: Any) -> None:
        """Housekeeping a read does on the way (deleting expired rows): skipped while another process holds
        the write lock, so a read never waits for it; reads hide expired rows themselves."""
        try:
            operation(*args)
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise

    def _drop_through(self, key: str, visible_at: float) -> None:
        """Delete an expired visible version together with the older versions it superseded."""
        self.db.execute("DELETE FROM kv_entries WHERE key = ? AND visible_at <= ?", (key, visible_at))

    def purge_expired(self, now: float | None = None) -> int:
        """Delete every visible version that has expired (and what it superseded); returns how many keys."""
        now = self.clock.time() if now is None else now
        expired = self.db.all(
            "SELECT key, MAX(visible_at) FROM kv_entries"
            " WHERE expiration IS NOT NULL AND expiration <= ? AND visible_at <= ? GROUP BY key",
            (now, now),
        )
        if expired:
            with self.db.transaction():
                for key, visible_at in expired:
                    self._drop_through(key, visible_at)
        return len(expired)
