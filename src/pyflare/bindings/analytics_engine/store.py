"""Data points, in one SQLite table for every dataset of a pyflare: ``<state>/analytics-engine/analytics.sqlite``.

Columns are the SQL API's: ``dataset``, ``timestamp`` (seconds since the epoch, on pyflare's clock),
``_sample_interval`` (always 1: nothing is sampled locally), ``index1``, ``blob1``..``blob20`` (text; an
unset blob is ``''``) and ``double1``..``double20`` (an unset double is 0), as the API shows them.
"""

from __future__ import annotations

from pyflare.bindings.analytics_engine import constants as c
from pyflare.kernel.clock import Clock
from pyflare.storage.sqlite import Database

BLOBS = [f"blob{i}" for i in range(1, c.MAX_BLOBS + 1)]
DOUBLES = [f"double{i}" for i in range(1, c.MAX_DOUBLES + 1)]
COLUMNS = ["dataset", "timestamp", "_sample_interval", "index1", *BLOBS, *DOUBLES]

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS data_points (dataset TEXT NOT NULL, timestamp REAL NOT NULL, "
    "_sample_interval INTEGER NOT NULL DEFAULT 1, index1 TEXT NOT NULL DEFAULT '', "
    + ", ".join(f"{b} TEXT NOT NULL DEFAULT ''" for b in BLOBS) + ", "
    + ", ".join(f"{d} REAL NOT NULL DEFAULT 0" for d in DOUBLES)
    + ");\nCREATE INDEX IF NOT EXISTS data_points_by_dataset ON data_points (dataset, timestamp);"
)


class DataPointStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        db.executescript(SCHEMA)

    def write_now(self, dataset: str, index: str, blobs: list[str], doubles: list[float]) -> None:
        names = ["dataset", "timestamp", "index1", *BLOBS[:len(blobs)], *DOUBLES[:len(doubles)]]
        values = [dataset, self.clock.time(), index, *blobs, *doubles]
        self.db.execute(f"INSERT INTO data_points ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                        values)

    def datasets_now(self) -> list[str]:
        return [row[0] for row in self.db.all("SELECT DISTINCT dataset FROM data_points ORDER BY dataset")]

    def expire_now(self) -> int:
        """Forget data points older than the retention period (three months on the clock)."""
        cursor = self.db.execute("DELETE FROM data_points WHERE timestamp < ?",
                                 (self.clock.time() - c.RETENTION_SECONDS,))
        return cursor.rowcount
