"""D1: ``[[d1_databases]]`` bindings, each one plain SQLite file under ``<persist>/d1/<database_name>.sqlite``.

Modules: :mod:`~.constants` (limits), :mod:`~.validation` (input checks and exact error texts),
:mod:`~.sql` (splitting queries into statements), :mod:`~.database` (:class:`D1Store`: the semantics),
:mod:`~.binding` (the objects in ``env``), :mod:`~.migrations` (wrangler-compatible migrations, shared
by ``pyflare d1 migrations`` and the pytest helpers), :mod:`~.export` (schema and data as SQL),
:mod:`~.errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyflare.bindings.d1.binding import D1Database, D1DatabaseSession, D1PreparedStatement
from pyflare.bindings.d1.database import D1Store
from pyflare.bindings.d1.errors import (
    D1ColumnNotFoundError,
    D1Error,
    D1ExecError,
    D1SessionError,
    D1TypeError,
)
from pyflare.bindings.d1.migrations import MigrationError, Migrations
from pyflare.runtime.plugin import Platform, Plugin

if TYPE_CHECKING:
    from pyflare.config.models import D1Database as D1DatabaseConfig

__all__ = [
    "D1ColumnNotFoundError",
    "D1Database",
    "D1DatabaseSession",
    "D1Error",
    "D1ExecError",
    "D1Plugin",
    "D1PreparedStatement",
    "D1SessionError",
    "D1Store",
    "D1TypeError",
    "MigrationError",
    "create",
]


class D1Plugin(Plugin):
    """The D1 databases of one worker: a :class:`D1Store` per database and a binding per entry."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.configs: list[D1DatabaseConfig] = list(platform.config.worker.d1_databases)
        self._stores: dict[str, D1Store] = {}
        self._bindings: dict[str, D1Database] = {}
        for config in self.configs:
            self._bindings[config.binding] = D1Database(self.store(config.binding), binding=config.binding)

    def bindings(self) -> dict[str, Any]:
        return dict(self._bindings)

    def config(self, name: str) -> D1DatabaseConfig:
        """The ``[[d1_databases]]`` entry whose binding or database_name is ``name`` (as wrangler looks)."""
        for config in self.configs:
            if name in (config.binding, config.database_name):
                return config
        for config in self.configs:
            if name == config.database_id:
                return config
        raise LookupError(f"Couldn't find a D1 DB with the name or binding '{name}' in your config file.")

    def store(self, name: str) -> D1Store:
        """The database for a binding or database name (opened on first use)."""
        config = self.config(name)
        storage_name = config.storage_name
        store = self._stores.get(storage_name)
        if store is None:
            db = self.platform.storage.database("d1", storage_name)
            store = self._stores[storage_name] = D1Store(db, self.platform.clock, name=storage_name)
        return store

    def binding(self, name: str) -> D1Database:
        return self._bindings[self.config(name).binding]

    async def start(self) -> None:
        if self.platform.options.apply_migrations:
            self.apply_migrations()

    def apply_migrations(self) -> dict[str, list[str]]:
        """Apply every database's unapplied migrations (those with a migrations folder); returns the names
        applied per binding and logs them. Raises MigrationError (earlier migrations stay applied)."""
        done: dict[str, list[str]] = {}
        for config in self.configs:
            migrations = Migrations.for_database(self.platform.config, config)
            if not migrations.files():
                continue
            applied = migrations.apply(self.store(config.binding))
            done[config.binding] = applied
            if applied:
                self.platform.log.info("D1 database %s (%s): applied %s", config.binding, config.database_name,
                                       ", ".join(applied))
        return done


def create(platform: Platform) -> D1Plugin | None:
    if not platform.config.worker.d1_databases:
        return None
    return D1Plugin(platform)
