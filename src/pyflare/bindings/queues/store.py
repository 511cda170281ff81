"""Where queue messages live: one SQLite table shared by every queue of this state folder.

A message row is written (and committed) before ``send()`` returns, so it survives a crash. A consumer
*leases* the rows of a batch before handing it to the worker (``lease`` is set, ``lease_owner`` names the
process), which keeps them from being delivered twice at once, also by another process consuming the same
queue from the same state folder; settling the batch deletes acked rows, puts retried ones back with a later
``available_at`` and moves exhausted ones to the dead letter queue, in one transaction. Leases of a process
that is gone (a crash) are released by the next consumer that starts or looks, so every stored message is
delivered at least once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pyflare.storage import Database, retrying

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    id TEXT NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    available_at REAL NOT NULL,
    lease INTEGER,
    lease_owner TEXT
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, lease, available_at, seq);
CREATE INDEX IF NOT EXISTS messages_id ON messages (id);
"""


@dataclass
class StoredMessage:
    seq: int
    queue: str
    id: str
    timestamp_ms: int
    content_type: str
    body: bytes
    failed_attempts: int
    available_at: float


@dataclass(frozen=True)
class Backlog:
    """Messages stored on a queue and not yet acknowledged: how many, their bytes, the oldest's timestamp."""

    count: int
    bytes: int
    oldest_ms: int | None


@dataclass
class NewMessage:
    id: str
    timestamp_ms: int
    content_type: str
    body: bytes
    available_at: float


_COLUMNS = "seq, queue, id, timestamp_ms, content_type, body, failed_attempts, available_at"


class MessageStore:
    """The ``messages`` table: append, lease, settle, inspect."""

    def __init__(self, db: Database) -> None:
        self.db = db
        columns = {row[1] for row in db.all("PRAGMA table_info(messages)")}
        if columns and "lease_owner" not in columns:  # a state folder from before leases had owners
            db.blocking(db.execute, "ALTER TABLE messages ADD COLUMN lease_owner TEXT")
        self.db.executescript(SCHEMA)

    # -- producing ---------------------------------------------------------------------------------
    def append_now(self, queue: str, messages: Sequence[NewMessage]) -> Backlog:
        """Store messages atomically (all of a sendBatch, or none); returns the queue's backlog as it was
        when they arrived (what a send reports)."""
        with self.db.transaction():
            count, size, oldest = self.db.one(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0), MIN(timestamp_ms) FROM messages WHERE queue = ?",
                (queue,),
            )
            self.db.executemany(
                "INSERT INTO messages (queue, id, timestamp_ms, content_type, body, available_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(queue, m.id, m.timestamp_ms, m.content_type, m.body, m.available_at) for m in messages],
            )
        return Backlog(count, size, oldest)

    def receive_now(self, queue: str, messages: Sequence[tuple[NewMessage, int]]) -> int:
        """Store messages another process forwarded, with their failed attempts so far, atomically; a message
        whose id is already here (sent again after a lost answer) is kept once. Returns how many were new."""
        added = 0
        with self.db.transaction():
            for message, attempts in messages:
                added += self.db.execute(
                    "INSERT INTO messages (queue, id, timestamp_ms, content_type, body, available_at, failed_attempts) "
                    "SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM messages WHERE id = ? AND queue = ?)",
                    (queue, message.id, message.timestamp_ms, message.content_type, message.body,
                     message.available_at, attempts, message.id, queue)).rowcount
        return added

    # -- consuming ---------------------------------------------------------------------------------
    def release_leases(self, queue: str, alive: Callable[[str], bool]) -> int:
        """Make messages leased by a process that is gone (crashed mid-batch) deliverable again; leases of live
        processes (another one consuming the same queue from this state folder) stay. Called at start, before
        any request, and now and then: it waits (sleeping) while another process holds the write lock."""
        return self.db.blocking(self._release_leases, queue, alive)

    def lease_owners(self, queue: str) -> set[str | None]:
        return {row[0] for row in self.db.all(
            "SELECT DISTINCT lease_owner FROM messages WHERE queue = ? AND lease IS NOT NULL", (queue,))}

    def _release_leases(self, queue: str, alive: Callable[[str], bool]) -> int:
        gone = [owner for owner in self.lease_owners(queue) if owner is None or not alive(owner)]
        if not gone:
            return 0
        with self.db.transaction():
            released = 0
            for owner in gone:
                released += self.db.execute(
                    "UPDATE messages SET lease = NULL, lease_owner = NULL WHERE queue = ? AND lease IS NOT NULL AND "
                    + ("lease_owner IS NULL" if owner is None else "lease_owner = ?"),
                    (queue,) if owner is None else (queue, owner)).rowcount
            return released

    def count_ready(self, queue: str, now: float, limit: int) -> int:
        row = self.db.one(
            "SELECT COUNT(*) FROM (SELECT 1 FROM messages WHERE queue = ? AND lease IS NULL AND available_at <= ? "
            "LIMIT ?)",
            (queue, now, limit),
        )
        return row[0] if row else 0

    def earliest_ready(self, queue: str, now: float) -> float | None:
        """When the oldest deliverable message became deliverable (the start of the batch window)."""
        row = self.db.one(
            "SELECT MIN(available_at) FROM messages WHERE queue = ? AND lease IS NULL AND available_at <= ?",
            (queue, now),
        )
        return row[0] if row else None

    def next_available(self, queue: str, now: float) -> float | None:
        """When the next delayed message becomes deliverable."""
        row = self.db.one(
            "SELECT MIN(available_at) FROM messages WHERE queue = ? AND lease IS NULL AND available_at > ?",
            (queue, now),
        )
        return row[0] if row else None

    def lease(self, queue: str, now: float | None, limit: int, lease: int, owner: str | None = None) -> list[StoredMessage]:
        """Take up to ``limit`` deliverable messages (any not in flight when ``now`` is None), oldest first, and
        mark them in flight for ``owner`` (this process's id in the state folder)."""
        with self.db.transaction():
            rows = self.db.all(
                f"SELECT {_COLUMNS} FROM messages WHERE queue = ? AND lease IS NULL AND available_at <= ? "
                "ORDER BY available_at, seq LIMIT ?",
                (queue, float("inf") if now is None else now, limit),
            )
            self.db.executemany("UPDATE messages SET lease = ?, lease_owner = ? WHERE seq = ?",
                                [(lease, owner, r[0]) for r in rows])
        return [StoredMessage(*r) for r in rows]

    def settle_now(
        self,
        *,
        acked: Iterable[int],
        retried: Iterable[tuple[int, float]],
        dead: Iterable[tuple[int, str, float]],
        released: Iterable[tuple[int, float]] = (),
    ) -> None:
        """Apply a batch's outcome in one transaction.

        ``acked``: seqs to delete. ``retried``: (seq, available_at), one more failed attempt.
        ``dead``: (seq, dead letter queue or "" to drop, now). ``released``: (seq, available_at) handed back
        without counting an attempt (the worker could not be loaded).
        """
        with self.db.transaction():
            self.db.executemany("DELETE FROM messages WHERE seq = ?", [(s,) for s in acked])
            self.db.executemany(
                "UPDATE messages SET lease = NULL, lease_owner = NULL, failed_attempts = failed_attempts + 1, "
                "available_at = ? WHERE seq = ?",
                [(at, s) for s, at in retried],
            )
            self.db.executemany(
                "UPDATE messages SET lease = NULL, lease_owner = NULL, available_at = ? WHERE seq = ?",
                [(at, s) for s, at in released]
            )
            for seq, dlq, now in dead:
                if dlq:
                    self.db.execute(
                        "UPDATE messages SET queue = ?, lease = NULL, lease_owner = NULL, failed_attempts = 0, "
                        "available_at = ? WHERE seq = ?",
                        (dlq, now, seq),
                    )
                else:
                    self.db.execute("DELETE FROM messages WHERE seq = ?", (seq,))

    # -- inspecting --------------------------------------------------------------------------------
    # What the producer and the consumer call: each waits while another process holds the write lock.
    append = retrying(append_now)
    settle = retrying(settle_now)
    receive = retrying(receive_now)

    def messages(self, queue: str) -> list[StoredMessage]:
        """Every stored message of a queue (waiting, delayed or in flight), oldest first."""
        rows = self.db.all(f"SELECT {_COLUMNS} FROM messages WHERE queue = ? ORDER BY seq", (queue,))
        return [StoredMessage(*r) for r in rows]

    def leased_ids(self, queue: str) -> set[str]:
        """Ids of the queue's messages that are in flight (delivered, not yet settled)."""
        return {row[0] for row in self.db.all("SELECT id FROM messages WHERE queue = ? AND lease IS NOT NULL",
                                              (queue,))}

    # -- operating by hand (the explorer) ----------------------------------------------------------
    def remove(self, queue: str, message_id: str) -> bool:
        """Delete one message that is not in flight; False if there is no such message."""
        with self.db.transaction():
            cursor = self.db.execute("DELETE FROM messages WHERE queue = ? AND id = ? AND lease IS NULL",
                                     (queue, message_id))
        return cursor.rowcount > 0

    def move(self, queue: str, message_id: str, destination: str, now: float) -> bool:
        """Move a message that is not in flight to ``destination`` as a fresh delivery (a redrive)."""
        with self.db.transaction():
            cursor = self.db.execute(
                "UPDATE messages SET queue = ?, failed_attempts = 0, available_at = ? "
                "WHERE queue = ? AND id = ? AND lease IS NULL",
                (destination, now, queue, message_id),
            )
        return cursor.rowcount > 0

    def in_flight(self, queue: str) -> int:
        row = self.db.one("SELECT COUNT(*) FROM messages WHERE queue = ? AND lease IS NOT NULL", (queue,))
        return row[0] if row else 0
