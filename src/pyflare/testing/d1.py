"""pytest-side D1 helpers: start a test's fresh database from the project's migrations or from seed data.

    from pyflare.testing.d1 import apply_d1_migrations, seed_d1

    async def test_lists_users(pyflare):
        await apply_d1_migrations(pyflare, "DB")           # the project's migrations/, in one call
        await seed_d1(pyflare, "DB", "INSERT INTO users (name) VALUES ('ada');")
        response = await pyflare.dispatch_fetch("/users")

``seed_d1`` also takes a ``.sql`` file, or a prepared SQLite file (``.sqlite``/``.db``) that is copied in
whole with SQLite's backup API: the fastest start for a large fixture database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from pyflare.bindings.d1 import D1Plugin, D1Store
from pyflare.bindings.d1.migrations import Migrations
from pyflare.storage.sql import split_statements

if TYPE_CHECKING:
    from pyflare.instance import Pyflare

__all__ = ["apply_d1_migrations", "d1_store", "seed_d1"]

_SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")


def d1_store(mf: Pyflare, database: str = "DB") -> D1Store:
    """The :class:`D1Store` behind a binding or database name of a started ``Pyflare``."""
    return mf.plugin(D1Plugin).store(database)


async def apply_d1_migrations(
    mf: Pyflare, database: str = "DB", *, migrations_dir: str | Path | None = None
) -> list[str]:
    """Apply the database's unapplied migrations (``migrations_dir`` from the config unless given).

    Returns the names applied; raises :class:`~pyflare.bindings.d1.migrations.MigrationError` if one fails.
    """
    plugin = mf.plugin(D1Plugin)
    config = plugin.config(database)
    migrations = Migrations.for_database(mf.config, config)
    if migrations_dir is not None:
        migrations = Migrations(Path(migrations_dir).resolve(), config.migrations_table)
    return migrations.apply(plugin.store(database))


async def seed_d1(mf: Pyflare, database: str, source: str | Path) -> None:
    """Load seed data: SQL text, a ``.sql`` file, or a prepared SQLite file copied in whole.

    SQL runs as one D1 batch (atomic, D1's rules apply); a SQLite file replaces the database's contents.
    """
    store = d1_store(mf, database)
    path = Path(source) if isinstance(source, Path) else _as_path(source)
    if path is not None and path.suffix.lower() in _SQLITE_SUFFIXES:
        source_db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            store.restore_from(source_db)
        finally:
            source_db.close()
        return
    sql = path.read_text(encoding="utf-8") if path is not None else str(source)
    await store.call(store.transaction, [(statement, ()) for statement in split_statements(sql)])


def _as_path(source: str) -> Path | None:
    if "\n" in source or ";" in source or len(source) > 4096:
        return None
    candidate = Path(source)
    return candidate if candidate.suffix.lower() in (".sql", *_SQLITE_SUFFIXES) and candidate.is_file() else None
