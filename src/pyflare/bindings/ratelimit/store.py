"""Fixed-window counters per (namespace, key, period), committed before ``limit()`` answers."""

from __future__ import annotations

from pyflare.storage import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS ratelimit_buckets (
    namespace TEXT NOT NULL,   -- the binding's namespace_id: bindings that share it share counters
    key TEXT NOT NULL,
    period INTEGER NOT NULL,   -- seconds: 10 or 60
    epoch INTEGER NOT NULL,    -- floor(clock_ms / (period * 1000)): the window the count belongs to
    count INTEGER NOT NULL,
    PRIMARY KEY (namespace, key, period)
);
"""


class RateLimitStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.executescript(SCHEMA)

    def hit(self, namespace: str, key: str, limit: float, period: int, now_ms: int) -> bool:
        """Count one call in the current window; False (and not counted) once the window is full."""
        epoch = now_ms // (period * 1000)
        with self.db.transaction():
            row = self.db.one("SELECT epoch, count FROM ratelimit_buckets WHERE namespace = ? AND key = ? "
                              "AND period = ?", (namespace, key, period))
            count = row[1] if row is not None and row[0] == epoch else 0
            if row is None or row[0] != epoch:
                # Windows are aligned to the clock: every key of this period rolls over together.
                self.db.execute("DELETE FROM ratelimit_buckets WHERE namespace = ? AND period = ? AND epoch != ?",
                                (namespace, period, epoch))
            if count >= limit:
                return False
            self.db.execute("INSERT OR REPLACE INTO ratelimit_buckets (namespace, key, period, epoch, count) "
                            "VALUES (?, ?, ?, ?, ?)", (namespace, key, period, epoch, count + 1))
        return True
