"""D1 migrations as wrangler keeps them; the one implementation behind ``pyflare d1 migrations`` and
the pytest helper ``apply_d1_migrations``.

- Files ``NNNN_message.sql`` in ``migrations_dir`` (default ``migrations`` beside the config).
- Applied migrations are rows of the ``d1_migrations`` table (``migrations_table``): ``id INTEGER
  PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL``,
  ``name`` being the file name.
- Each migration runs with its ``INSERT INTO d1_migrations`` as one D1 batch: it applies entirely or
  not at all; a failure stops the run and leaves the database as it was before that migration.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pyflare.bindings.d1.errors import D1Error
from pyflare.bindings.d1.validation import migration_file_name, quote_identifier
from pyflare.storage.locks import FileLock
from pyflare.storage.sql import split_statements

if TYPE_CHECKING:
    from pyflare.bindings.d1.database import D1Store
    from pyflare.config import ResolvedConfig
    from pyflare.config.models import D1Database as D1DatabaseConfig

_NUMBER = re.compile(r"^(\d+)")

# Functions whose value differs from run to run: a migration whose statements (other than schema, where they
# are evaluated later) use one is always run, never copied.
_VARYING = re.compile(r"\b(random|randomblob|now|current_(date|time|timestamp)|julianday|unixepoch|strftime|"
                      r"datetime|date|time|changes|last_insert_rowid|total_changes)\b", re.IGNORECASE)
_SCHEMA_ONLY = re.compile(r"^\s*create\b(?!\s+(temp\w*\s+)?table\b[^(]*\bas\b)", re.IGNORECASE)

# Databases as a set of migrations leaves an empty one, by (table, the files' names and texts). Every test of a
# suite applies the same migrations to a fresh temporary database; after the first, it gets a copy instead.
_results: dict[tuple[str, tuple[tuple[str, str], ...]], sqlite3.Connection] = {}
_RESULTS_MAX = 16


class MigrationError(Exception):
    """A migration failed; ``name`` is its file, ``error`` D1's error. Earlier ones stay applied."""

    def __init__(self, name: str, error: D1Error, applied: list[str]) -> None:
        self.name = name
        self.error = error
        self.applied = applied
        super().__init__(f"Migration {name} failed with the following errors:\n{error}")


@dataclass(frozen=True)
class Migrations:
    """The migrations of one D1 database: its folder and its table."""

    folder: Path
    table: str = "d1_migrations"

    @classmethod
    def for_database(cls, config: ResolvedConfig, database: D1DatabaseConfig) -> Migrations:
        return cls((config.root / database.migrations_dir).resolve(), database.migrations_table)

    # -- files -----------------------------------------------------------------------------------
    def files(self) -> list[str]:
        """Migration file names in the order they apply (by number, then name)."""
        if not self.folder.is_dir():
            return []
        names = [p.name for p in self.folder.iterdir() if p.name.endswith(".sql") and p.is_file()]
        return sorted(names, key=_sort_key)

    def next_number(self) -> int:
        numbers = [int(m.group(1)) for m in (_NUMBER.match(n) for n in self.files()) if m]
        return max(numbers) + 1 if numbers else 0

    def create(self, message: str, now: datetime) -> Path:
        """Write the next migration file (``0000_message.sql`` for the first, as wrangler numbers them)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        number = self.next_number()
        path = self.folder / migration_file_name(number, message)
        stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        path.write_text(f"-- Migration number: {number:04d} \t {stamp}\n", encoding="utf-8")
        return path

    # -- the table -------------------------------------------------------------------------------
    def ensure_table(self, store: D1Store) -> None:
        store.call_blocking(
            store.query,
            f"CREATE TABLE IF NOT EXISTS {quote_identifier(self.table)}("
            "id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, "
            "applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)"
        )

    def applied(self, store: D1Store) -> list[str]:
        exists = store.rows("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (self.table,))
        if not exists:
            return []
        rows = store.rows(f"SELECT name FROM {quote_identifier(self.table)} ORDER BY id")
        return [row[0] for row in rows]

    def unapplied(self, store: D1Store) -> list[str]:
        done = set(self.applied(store))
        return [name for name in self.files() if name not in done]

    # -- applying --------------------------------------------------------------------------------
    def apply(self, store: D1Store, *, progress: Callable[[str, bool], None] | None = None) -> list[str]:
        """Apply every unapplied migration in order; returns their names (raises MigrationError).

        Processes sharing the state folder take turns (a lock beside the database file), so two of them
        starting at once (``pyflare dev --apply-migrations`` and a test session) never apply one twice."""
        if not store.db.durable:  # temporary storage is this process's alone
            return self._apply(store, progress)
        with FileLock(store.db.path.with_name(store.db.path.name + ".migrations.lock")):
            return self._apply(store, progress)

    def _apply(self, store: D1Store, progress: Callable[[str, bool], None] | None) -> list[str]:
        key = self._result_key(store)
        if key is not None and key in _results:
            store.restore_from(_results[key])
            with store.trusted() as connection:  # applied now, as far as the table can tell
                connection.execute(f"UPDATE {quote_identifier(self.table)} SET applied_at = CURRENT_TIMESTAMP")
            names = [name for name, _ in key[1]]
            for name in names if progress else ():
                progress(name, True)  # type: ignore[misc]
            return names
        self.ensure_table(store)
        applied: list[str] = []
        for name in self.unapplied(store):
            sql = (self.folder / name).read_text(encoding="utf-8")
            queries: list[tuple[str, tuple]] = [(statement, ()) for statement in split_statements(sql)]
            queries.append((f"INSERT INTO {quote_identifier(self.table)} (name) VALUES (?)", (name,)))
            try:
                store.call_blocking(store.transaction, queries)
            except D1Error as exc:
                if progress:
                    progress(name, False)
                raise MigrationError(name, exc, applied) from None
            applied.append(name)
            if progress:
                progress(name, True)
        if key is not None:
            if len(_results) >= _RESULTS_MAX:
                _results.pop(next(iter(_results))).close()
            _results[key] = result = sqlite3.connect(":memory:", check_same_thread=False)
            store.connection.backup(result)
        return applied

    def _result_key(self, store: D1Store) -> tuple[str, tuple[tuple[str, str], ...]] | None:
        """The key of :data:`_results` for applying these migrations to ``store``, or None when the result must
        not be reused: a durable database, one that is not empty, or a migration writing varying values."""
        if store.db.durable or store.rows("SELECT 1 FROM sqlite_schema LIMIT 1"):
            return None
        files = []
        for name in self.files():
            sql = (self.folder / name).read_text(encoding="utf-8")
            if any(_VARYING.search(s) and not _SCHEMA_ONLY.match(s) for s in split_statements(sql)):
                return None
            files.append((name, sql))
        return (self.table, tuple(files))


def _sort_key(name: str) -> tuple[int, str]:
    match = _NUMBER.match(name)
    return (int(match.group(1)) if match else -1, name)
