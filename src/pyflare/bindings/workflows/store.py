"""Where a workflow's state lives, built on the object layer (:mod:`pyflare.objects`), as Cloudflare's
engine is one Durable Object per instance.

- :class:`InstanceObjects`: every instance is an object ``(worker, "Workflow.<name>", id_from_name(...))``
  with its own SQLite file (``<state>/do/<worker>-Workflow.<name>/<id>.sqlite``) holding its ``steps`` (one
  row per ``step.do``/``sleep``/``wait_for_event`` call, with its attempts) and ``events``, and one
  persisted alarm that wakes it when its earliest sleep, retry delay or event timeout is due (also after a
  restart, by pyflare's clock).
- :class:`WorkflowIndex`: one SQLite database per workflow (``<state>/workflows/<name>.sqlite``) listing the
  instances with their status, params, output and error (what ``status()`` and ``pyflare workflows``
  read), and the ``commands`` other processes leave for the one that runs the instances.

Every write commits before the engine goes on, so a ``kill -9`` loses nothing that was acknowledged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pyflare.objects import ObjectAddress, ObjectLayer, id_from_name
from pyflare.storage import Database

INDEX_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    object_id TEXT NOT NULL,
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
CREATE INDEX IF NOT EXISTS instances_by_object ON instances(object_id);
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

INSTANCE_SCHEMA = """
CREATE TABLE IF NOT EXISTS steps (
    key TEXT NOT NULL PRIMARY KEY,
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
    wake_ms INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    payload TEXT,
    timestamp_ms INTEGER NOT NULL,
    consumed_by TEXT
);
CREATE INDEX IF NOT EXISTS events_pending ON events(type, consumed_by, seq);
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


class WorkflowIndex:
    """Every instance of one workflow: status, params, output, error and times; and pending commands."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.executescript(INDEX_SCHEMA)

    def create_instances(self, rows: list[tuple[str, str, str, int, str]]) -> list[str]:
        """Insert ``(id, object_id, params_json, now_ms, trigger)`` rows in one transaction; returns the ids
        that already existed (then nothing is inserted)."""
        with self.db.transaction():
            existing = [row[0] for row in rows if self.db.one("SELECT 1 FROM instances WHERE id = ?", (row[0],))]
            if existing:
                return existing
            seq = (self.db.one("SELECT COALESCE(MAX(seq), 0) FROM instances") or (0,))[0]
            self.db.executemany(
                "INSERT INTO instances (id, object_id, seq, status, params, created_ms, trigger, modified_ms) "
                "VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)",
                [(i, obj, seq + n + 1, params, now, trigger, now)
                 for n, (i, obj, params, now, trigger) in enumerate(rows)],
            )
        return []

    def instance(self, instance_id: str) -> InstanceRow | None:
        row = self.db.one(f"SELECT {_INSTANCE_COLUMNS} FROM instances WHERE id = ?", (instance_id,))
        return InstanceRow(*row) if row else None

    def instance_of_object(self, object_id: str) -> str | None:
        row = self.db.one("SELECT id FROM instances WHERE object_id = ?", (object_id,))
        return row[0] if row else None

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

    def requeue(self, instance_id: str, now_ms: int) -> None:
        """Back to ``queued`` with no start, end, output or error (``restart()``)."""
        self.db.execute(
            "UPDATE instances SET status = 'queued', started_ms = NULL, ended_ms = NULL, output = NULL, "
            "error = NULL, paused_ms = NULL, modified_ms = ? WHERE id = ?", (now_ms, instance_id))

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


class InstanceStorage:
    """The steps and events of one instance, in its object's SQLite file (created by the first write)."""

    def __init__(self, objects: InstanceObjects, address: ObjectAddress) -> None:
        self._object = objects.layer.storage(address)
        self._ready = False

    def _db(self) -> Database:
        db = self._object.db
        if not self._ready:
            db.executescript(INSTANCE_SCHEMA)
            self._ready = True
        return db

    def _reader(self) -> Database | None:
        return self._db() if self._ready or self._object.exists() else None

    def steps(self) -> dict[str, StepRow]:
        db = self._reader()
        if db is None:
            return {}
        result = {}
        for row in db.all(f"SELECT {_STEP_COLUMNS} FROM steps ORDER BY seq"):
            step = StepRow(*row)
            step.attempts = json.loads(row[9])
            result[step.key] = step
        return result

    def put_step(self, step: StepRow) -> None:
        self._db().execute(
            f"INSERT OR REPLACE INTO steps ({_STEP_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (step.key, step.seq, step.kind, step.name, step.count, step.state, step.config, step.output,
             step.error, json.dumps(step.attempts), step.start_ms, step.end_ms, step.wake_ms),
        )

    def earliest_wake(self) -> int | None:
        """When the first pending sleep, retry delay or event timeout is due (None: nothing pending)."""
        db = self._reader()
        if db is None:
            return None
        row = db.one("SELECT MIN(wake_ms) FROM steps WHERE wake_ms IS NOT NULL AND state IN ('running', 'waiting')")
        return row[0] if row else None

    def shift_wakes(self, delta_ms: int) -> None:
        """Move every pending wake-up later by ``delta_ms`` (resume after a pause: paused time does not count)."""
        if self._reader() is not None:
            self._db().execute("UPDATE steps SET wake_ms = wake_ms + ? WHERE wake_ms IS NOT NULL "
                               "AND state IN ('running', 'waiting')", (delta_ms,))

    def wipe(self) -> None:
        """Forget every step and event (``restart()``)."""
        if self._reader() is not None:
            with self._db().transaction():
                self._db().execute("DELETE FROM steps")
                self._db().execute("DELETE FROM events")

    def add_event(self, type_: str, payload: str, timestamp_ms: int) -> None:
        self._db().execute("INSERT INTO events (type, payload, timestamp_ms) VALUES (?,?,?)",
                           (type_, payload, timestamp_ms))

    def has_unconsumed_events(self) -> bool:
        db = self._reader()
        return db is not None and db.one("SELECT 1 FROM events WHERE consumed_by IS NULL LIMIT 1") is not None

    def take_event(self, type_: str, consumer: str, step: StepRow) -> tuple[str, int] | None:
        """Consume the oldest unconsumed event of ``type_`` for ``consumer`` and store ``step`` with it, in
        one transaction; returns ``(payload_json, timestamp_ms)`` or None."""
        db = self._reader()
        if db is None:
            return None
        with db.transaction():
            row = db.one("SELECT seq, payload, timestamp_ms FROM events WHERE type = ? AND consumed_by IS NULL "
                         "ORDER BY seq LIMIT 1", (type_,))
            if row is None:
                return None
            db.execute("UPDATE events SET consumed_by = ? WHERE seq = ?", (consumer, row[0]))
            step.output = json.dumps({"type": type_, "payload": row[1], "timestamp": row[2]})
            self.put_step(step)
            return row[1], row[2]

    def events(self) -> list[tuple[str, str | None, int, str | None]]:
        db = self._reader()
        return [] if db is None else db.all("SELECT type, payload, timestamp_ms, consumed_by FROM events ORDER BY seq")


class InstanceObjects:
    """The instances of one workflow as objects of the object layer: storage, alarm, live object."""

    def __init__(self, layer: ObjectLayer, worker: str, workflow: str) -> None:
        self.layer = layer
        self.worker = worker
        self.class_name = f"Workflow.{workflow}"  # no Python class can be called this: no clash with DOs
        self.namespace = f"{worker}-{self.class_name}"
        self._storages: dict[str, InstanceStorage] = {}

    def object_id(self, instance_id: str) -> str:
        return id_from_name(self.namespace, instance_id)

    def address(self, instance_id: str) -> ObjectAddress:
        return ObjectAddress(self.worker, self.class_name, self.object_id(instance_id))

    def storage(self, instance_id: str) -> InstanceStorage:
        storage = self._storages.get(instance_id)
        if storage is None:
            storage = self._storages[instance_id] = InstanceStorage(self, self.address(instance_id))
        return storage

    def set_alarm(self, instance_id: str, when_ms: int | None) -> None:
        self.layer.set_alarm(self.address(instance_id), when_ms)

    def clear_alarm(self, instance_id: str) -> None:
        if self.layer.storage(self.address(instance_id)).exists():
            self.layer.set_alarm(self.address(instance_id), None)

    def enter(self, instance_id: str) -> Any:
        """``async with``: the instance is live (not evicted) while its run is inside."""
        return self.layer.enter(self.address(instance_id))

    def release(self, instance_id: str) -> None:
        """The run is over for now: let the object's file be closed (its alarm, if any, stays)."""
        self._storages.pop(instance_id, None)
        self.layer.evict(self.address(instance_id), "run finished")

    def register(self, on_alarm: Any) -> None:
        self.layer.register(self.worker, self.class_name, on_alarm=on_alarm)
