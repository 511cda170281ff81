"""Where a workflow's instances live: one SQLite database per workflow name, written before anything is
acknowledged, so an instance resumes after a crash from exactly what was stored.

:class:`WorkflowStore` is the persistence interface the engine uses; nothing else in the package touches
SQL. Tables: ``instances`` (one row each: status, params, output, error, times), ``steps`` (one row per
``step.do``/``sleep``/``wait_for_event`` call by its cache key, with its attempts), ``events`` (sent
events, consumed by a waiting step exactly once) and ``commands`` (control requests another process,
such as ``pyflare workflows terminate``, leaves for the process that runs the instances).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pyflare.storage import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    params TEXT,
    created_ms INTEGER NOT NULL,
    started_ms INTEGER,
    ended_ms INTEGER,
    output TEXT,
    error TEXT,
    paused_ms INTEGER,
    trigger TEXT NOT NULL DEFAULT 'binding',
    modified_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS instances_by_status ON instances(status, seq);
CREATE TABLE IF NOT EXISTS steps (
    instance_id TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    count INTEGER NOT NULL,
    state TEXT NOT NULL,
    config TEXT,
    output TEXT,
    error TEXT,
    attempts TEXT NOT NULL DEFAULT '[]',
    start_ms INTEGER,
    end_ms INTEGER,
    wake_ms INTEGER,
    PRIMARY KEY (instance_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT,
    timestamp_ms INTEGER NOT NULL,
    consumed_by TEXT
);
CREATE INDEX IF NOT EXISTS events_pending ON events(instance_id, type, consumed_by, seq);
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,
    instance_id TEXT,
    args TEXT,
    created_ms INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    result TEXT,
    error TEXT
);
"""

_INSTANCE_COLUMNS = "id, seq, status, params, created_ms, started_ms, ended_ms, output, error, paused_ms, trigger, modified_ms"
_STEP_COLUMNS = "key, seq, kind, name, count, state, config, output, error, attempts, start_ms, end_ms, wake_ms"


@dataclass
class InstanceRow:
    id: str
    seq: int
    status: str
    params: str | None
    created_ms: int
    started_ms: int | None
    ended_ms: int | None
    output: str | None
    error: str | None
    paused_ms: int | None
    trigger: str
    modified_ms: int


@dataclass
class StepRow:
    """One step call: ``kind`` is ``do``, ``sleep``, ``waitForEvent`` or ``termination``; ``state`` is
    ``running``, ``waiting``, ``success`` or ``failure``; ``attempts`` holds ``{start, end, success, error}``."""

    key: str
    seq: int
    kind: str
    name: str
    count: int
    state: str
    config: str | None = None
    output: str | None = None
    error: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    start_ms: int | None = None
    end_ms: int | None = None
    wake_ms: int | None = None


class WorkflowStore:
    """The stored state of every instance of one workflow."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.executescript(SCHEMA)

    # -- instances ---------------------------------------------------------------------------------
    def create_instances(self, rows: list[tuple[str, str, int, str]]) -> list[str]:
        """Insert ``(id, params_json, now_ms, trigger)`` rows in one transaction; returns the ids that
        already existed (then nothing is inserted)."""
        with self.db.transaction():
            existing = [row[0] for row in rows if self.db.one("SELECT 1 FROM instances WHERE id = ?", (row[0],))]
            if existing:
                return existing
            seq = (self.db.one("SELECT COALESCE(MAX(seq), 0) FROM instances") or (0,))[0]
            self.db.executemany(
                "INSERT INTO instances (id, seq, status, params, created_ms, trigger, modified_ms) "
                "VALUES (?, ?, 'queued', ?, ?, ?, ?)",
                [(i, seq + n + 1, params, now, trigger, now) for n, (i, params, now, trigger) in enumerate(rows)],
            )
        return []

    def instance(self, instance_id: str) -> InstanceRow | None:
        row = self.db.one(f"SELECT {_INSTANCE_COLUMNS} FROM instances WHERE id = ?", (instance_id,))
        return InstanceRow(*row) if row else None

    def instances(self, status: str | None = None, limit: int = -1, offset: int = 0,
                  newest_first: bool = True) -> list[InstanceRow]:
        order = "DESC" if newest_first else "ASC"
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        rows = self.db.all(
            f"SELECT {_INSTANCE_COLUMNS} FROM instances {where} ORDER BY seq {order} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [InstanceRow(*row) for row in rows]

    def ids_with_status(self, statuses: tuple[str, ...]) -> list[str]:
        marks = ",".join("?" * len(statuses))
        return [r[0] for r in self.db.all(f"SELECT id FROM instances WHERE status IN ({marks}) ORDER BY seq", statuses)]

    def status_counts(self) -> dict[str, int]:
        return dict(self.db.all("SELECT status, COUNT(*) FROM instances GROUP BY status"))

    def update_instance(self, instance_id: str, now_ms: int, **fields: Any) -> None:
        sets = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(f"UPDATE instances SET {sets}, modified_ms = ? WHERE id = ?",
                        (*fields.values(), now_ms, instance_id))

    def reset_instance(self, instance_id: str, now_ms: int) -> None:
        """Forget every step and event of an instance and queue it again (``restart()``)."""
        with self.db.transaction():
            self.db.execute("DELETE FROM steps WHERE instance_id = ?", (instance_id,))
            self.db.execute("DELETE FROM events WHERE instance_id = ?", (instance_id,))
            self.db.execute(
                "UPDATE instances SET status = 'queued', started_ms = NULL, ended_ms = NULL, output = NULL, "
                "error = NULL, paused_ms = NULL, modified_ms = ? WHERE id = ?", (now_ms, instance_id))

    # -- steps -------------------------------------------------------------------------------------
    def steps(self, instance_id: str) -> dict[str, StepRow]:
        rows = self.db.all(f"SELECT {_STEP_COLUMNS} FROM steps WHERE instance_id = ? ORDER BY seq", (instance_id,))
        result = {}
        for row in rows:
            step = StepRow(*row)
            step.attempts = json.loads(row[9])
            result[step.key] = step
        return result

    def put_step(self, instance_id: str, step: StepRow) -> None:
        self.db.execute(
            f"INSERT OR REPLACE INTO steps (instance_id, {_STEP_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (instance_id, step.key, step.seq, step.kind, step.name, step.count, step.state, step.config,
             step.output, step.error, json.dumps(step.attempts), step.start_ms, step.end_ms, step.wake_ms),
        )

    def shift_wakes(self, instance_id: str, delta_ms: int) -> None:
        """Move every pending wake-up (sleeps, retry delays, event timeouts) later by ``delta_ms`` (resume
        after a pause: time spent paused does not count)."""
        self.db.execute("UPDATE steps SET wake_ms = wake_ms + ? WHERE instance_id = ? AND wake_ms IS NOT NULL "
                        "AND state IN ('running', 'waiting')", (delta_ms, instance_id))

    # -- events ------------------------------------------------------------------------------------
    def add_event(self, instance_id: str, type_: str, payload: str, timestamp_ms: int) -> int:
        cursor = self.db.execute("INSERT INTO events (instance_id, type, payload, timestamp_ms) VALUES (?,?,?,?)",
                                 (instance_id, type_, payload, timestamp_ms))
        return int(cursor.lastrowid or 0)

    def take_event(self, instance_id: str, type_: str, consumer: str, step: StepRow) -> tuple[str, int] | None:
        """Consume the oldest unconsumed event of ``type_`` for ``consumer`` and store ``step`` with it, in
        one transaction; returns ``(payload_json, timestamp_ms)`` or None."""
        with self.db.transaction():
            row = self.db.one("SELECT seq, payload, timestamp_ms FROM events WHERE instance_id = ? AND type = ? "
                              "AND consumed_by IS NULL ORDER BY seq LIMIT 1", (instance_id, type_))
            if row is None:
                return None
            self.db.execute("UPDATE events SET consumed_by = ? WHERE seq = ?", (consumer, row[0]))
            step.output = json.dumps({"type": type_, "payload": row[1], "timestamp": row[2]})
            self.put_step(instance_id, step)
            return row[1], row[2]

    def events(self, instance_id: str) -> list[tuple[str, str | None, int, str | None]]:
        return self.db.all("SELECT type, payload, timestamp_ms, consumed_by FROM events WHERE instance_id = ? "
                           "ORDER BY seq", (instance_id,))

    # -- commands from other processes ------------------------------------------------------------
    def add_command(self, action: str, instance_id: str | None, args: dict[str, Any], now_ms: int) -> int:
        cursor = self.db.execute("INSERT INTO commands (action, instance_id, args, created_ms) VALUES (?,?,?,?)",
                                 (action, instance_id, json.dumps(args), now_ms))
        return int(cursor.lastrowid or 0)

    def pending_commands(self) -> list[tuple[int, str, str | None, dict[str, Any]]]:
        rows = self.db.all("SELECT id, action, instance_id, args FROM commands WHERE done = 0 ORDER BY id")
        return [(r[0], r[1], r[2], json.loads(r[3] or "{}")) for r in rows]

    def finish_command(self, command_id: int, result: Any, error: str | None) -> None:
        self.db.execute("UPDATE commands SET done = 1, result = ?, error = ? WHERE id = ?",
                        (json.dumps(result), error, command_id))

    def command_outcome(self, command_id: int) -> tuple[bool, Any, str | None]:
        row = self.db.one("SELECT done, result, error FROM commands WHERE id = ?", (command_id,))
        if row is None or not row[0]:
            return False, None, None
        return True, json.loads(row[1]) if row[1] else None, row[2]

    def data_version(self) -> int:
        """Changes whenever another connection commits (cheap to poll)."""
        return int(self.db.one("PRAGMA data_version")[0])  # type: ignore[index]
