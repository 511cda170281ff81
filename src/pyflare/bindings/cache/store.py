"""The cache table: one row per (namespace, key) with the response's status, headers and body.

Rows expire at a clock time; an expired row is never returned and is removed by the read that finds it
(and in bulk when entries are written). Every write commits before it returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pyflare.storage import Database, retrying

SCHEMA = """
CREATE TABLE IF NOT EXISTS cache_entries (
    namespace TEXT NOT NULL,     -- '' for caches.default, else the name given to caches.open()
    key TEXT NOT NULL,           -- the request URL, or request.cf.cacheKey
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,       -- JSON list of [name, value]
    body BLOB NOT NULL,
    stored_at REAL NOT NULL,     -- clock time of the put (seconds since the epoch)
    expires_at REAL NOT NULL,    -- clock time from which the entry is gone
    PRIMARY KEY (namespace, key)
);
CREATE INDEX IF NOT EXISTS cache_entries_expiry ON cache_entries (expires_at);
"""


@dataclass(frozen=True)
class Entry:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    stored_at: float


class CacheStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.executescript(SCHEMA)
        self._writes = 0

    def get_now(self, namespace: str, key: str, now: float) -> Entry | None:
        row = self.db.one("SELECT status, headers, body, stored_at, expires_at FROM cache_entries "
                          "WHERE namespace = ? AND key = ?", (namespace, key))
        if row is None:
            return None
        if row[4] <= now:
            self.db.execute("DELETE FROM cache_entries WHERE namespace = ? AND key = ? AND expires_at <= ?",
                            (namespace, key, now))
            return None
        return Entry(row[0], [(k, v) for k, v in json.loads(row[1])], row[2], row[3])

    def put_now(self, namespace: str, key: str, entry: Entry, expires_at: float) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO cache_entries (namespace, key, status, headers, body, stored_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (namespace, key, entry.status, json.dumps(entry.headers), entry.body, entry.stored_at, expires_at),
            )
            self._writes += 1
            if self._writes % 256 == 0:  # now and then, drop what has expired so the file does not only grow
                self.db.execute("DELETE FROM cache_entries WHERE expires_at <= ?", (entry.stored_at,))

    def delete_now(self, namespace: str, key: str, now: float) -> bool:
        """Remove the entry; True only if a live (unexpired) one was there."""
        with self.db.transaction():
            row = self.db.one("SELECT expires_at FROM cache_entries WHERE namespace = ? AND key = ?",
                              (namespace, key))
            if row is not None:
                self.db.execute("DELETE FROM cache_entries WHERE namespace = ? AND key = ?", (namespace, key))
        return row is not None and row[0] > now

    # Worker code's calls wait (asynchronously) while another process sharing the state folder holds the lock.
    get = retrying(get_now)
    put = retrying(put_now)
    delete = retrying(delete_now)

    def count(self, namespace: str | None = None) -> int:
        if namespace is None:
            return self.db.one("SELECT COUNT(*) FROM cache_entries")[0]  # type: ignore[index]
        return self.db.one("SELECT COUNT(*) FROM cache_entries WHERE namespace = ?", (namespace,))[0]  # type: ignore[index]

    # -- for tools (the explorer) ----------------------------------------------------------------
    def namespaces(self, now: float) -> list[tuple[str, int]]:
        """Each cache with live (unexpired) entries, with their count ('' is ``caches.default``)."""
        return [(name, count) for name, count in self.db.all(
            "SELECT namespace, COUNT(*) FROM cache_entries WHERE expires_at > ? GROUP BY namespace ORDER BY namespace",
            (now,))]

    def entries(self, namespace: str, now: float, limit: int = 1000) -> list[dict[str, object]]:
        """The live entries of one cache, newest first: key (URL), status, headers, body size, when stored
        and when they expire (clock seconds)."""
        rows = self.db.all(
            "SELECT key, status, headers, length(body), stored_at, expires_at FROM cache_entries "
            "WHERE namespace = ? AND expires_at > ? ORDER BY stored_at DESC, key LIMIT ?", (namespace, now, limit))
        return [{"url": key, "status": status, "headers": [list(pair) for pair in json.loads(headers)], "size": size,
                 "stored_at": stored_at, "expires_at": expires_at}
                for key, status, headers, size, stored_at, expires_at in rows]
