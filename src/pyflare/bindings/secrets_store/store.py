"""The local Secrets Store: secrets by (store id, name), in one SQLite file, ``<persist>/secrets-store/secrets.sqlite``.

Every worker of a pyflare shares it, as an account's stores are shared on Cloudflare. Values are kept as
plain text (local state is the developer's own); the management methods never return a value, only the
binding's :meth:`SecretStore.value` reads one. Each secret has a 32-hex-digit id, as wrangler prints them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from pyflare.bindings.secrets_store import constants as c
from pyflare.bindings.secrets_store.errors import NAME_TEXT, VALUE_TOO_LONG, SecretsStoreApiError
from pyflare.kernel.clock import Clock
from pyflare.storage.sqlite import Database, retrying

SCHEMA = """
CREATE TABLE IF NOT EXISTS secrets (
    store_id TEXT NOT NULL,
    name TEXT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    value TEXT NOT NULL,
    scopes TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    modified REAL NOT NULL,
    PRIMARY KEY (store_id, name)
);
"""


@dataclass
class SecretRecord:
    """A secret's description, without its value (what ``secrets-store secret list`` shows)."""

    id: str
    store_id: str
    name: str
    scopes: list[str] = field(default_factory=list)
    comment: str = ""
    created: float = 0.0
    modified: float = 0.0
    status: str = "active"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not c.NAME.match(name):
        raise SecretsStoreApiError(NAME_TEXT)
    return name


def check_value(value: str) -> str:
    if not isinstance(value, str) or not value:
        raise SecretsStoreApiError("Need to pass in a value when creating a secret.")
    size = len(value.encode("utf-8"))
    if size > c.MAX_VALUE_BYTES:
        raise SecretsStoreApiError(VALUE_TOO_LONG.format(max=c.MAX_VALUE_BYTES, got=size))
    return value


_COLUMNS = "id, store_id, name, scopes, comment, created, modified"


def _record(row: tuple) -> SecretRecord:
    secret_id, store_id, name, scopes, comment, created, modified = row
    return SecretRecord(secret_id, store_id, name, [s for s in scopes.split(",") if s], comment, created, modified)


class SecretStore:
    """All local stores' secrets. Methods named ``*_now`` run at once; the others wait for another
    process's lock (``pyflare secrets-store`` while ``pyflare dev`` runs) without blocking the loop."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        db.executescript(SCHEMA)

    # -- the binding -----------------------------------------------------------------------------
    def value_now(self, store_id: str, name: str) -> str | None:
        row = self.db.one("SELECT value FROM secrets WHERE store_id = ? AND name = ?", (store_id, name))
        return row[0] if row else None

    value = retrying(value_now)

    # -- management (wrangler's secrets-store secret commands) -----------------------------------
    def create_now(self, store_id: str, name: str, value: str, scopes: list[str] | None = None,
                   comment: str = "") -> SecretRecord:
        check_name(name)
        check_value(value)
        now = self.clock.time()
        secret_id = uuid.uuid4().hex
        with self.db.transaction():
            if self.db.one("SELECT 1 FROM secrets WHERE store_id = ? AND name = ?", (store_id, name)):
                raise SecretsStoreApiError(f'A secret named "{name}" already exists in store {store_id}; change it '
                                           "with `secrets-store secret update` or delete it first")
            self.db.execute("INSERT INTO secrets (store_id, name, id, value, scopes, comment, created, modified) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (store_id, name, secret_id, value, ",".join(scopes or []), comment or "", now, now))
        return SecretRecord(secret_id, store_id, name, list(scopes or []), comment or "", now, now)

    create = retrying(create_now)

    def list_now(self, store_id: str) -> list[SecretRecord]:
        rows = self.db.all(f"SELECT {_COLUMNS} FROM secrets WHERE store_id = ? ORDER BY name", (store_id,))
        return [_record(row) for row in rows]

    list = retrying(list_now)

    def stores_now(self) -> list[str]:
        return [row[0] for row in self.db.all("SELECT DISTINCT store_id FROM secrets ORDER BY store_id")]

    stores = retrying(stores_now)

    def get_now(self, store_id: str, secret_id: str) -> SecretRecord:
        row = self.db.one(f"SELECT {_COLUMNS} FROM secrets WHERE store_id = ? AND id = ?", (store_id, secret_id))
        if row is None:
            raise SecretsStoreApiError("Secret not found")
        return _record(row)

    get = retrying(get_now)

    def update_now(self, store_id: str, secret_id: str, value: str | None = None, scopes: list[str] | None = None,
                   comment: str | None = None) -> SecretRecord:
        if value is None and scopes is None and comment is None:
            raise SecretsStoreApiError("Need to pass in a new field using `--value`, `--scopes`, or `--comment` to "
                                       "update a secret.")
        if value is not None:
            check_value(value)
        with self.db.transaction():
            record = self.get_now(store_id, secret_id)
            record.modified = self.clock.time()
            if scopes is not None:
                record.scopes = list(scopes)
            if comment is not None:
                record.comment = comment
            self.db.execute("UPDATE secrets SET value = COALESCE(?, value), scopes = ?, comment = ?, modified = ? "
                            "WHERE id = ?", (value, ",".join(record.scopes), record.comment, record.modified,
                                             secret_id))
        return record

    update = retrying(update_now)

    def delete_now(self, store_id: str, secret_id: str) -> None:
        with self.db.transaction():
            self.get_now(store_id, secret_id)
            self.db.execute("DELETE FROM secrets WHERE id = ?", (secret_id,))

    delete = retrying(delete_now)

    def duplicate_now(self, store_id: str, secret_id: str, name: str, scopes: list[str] | None = None,
                      comment: str = "") -> SecretRecord:
        with self.db.transaction():
            self.get_now(store_id, secret_id)
            row = self.db.one("SELECT value FROM secrets WHERE id = ?", (secret_id,))
            assert row is not None
            return self.create_now(store_id, name, row[0], scopes, comment)

    duplicate = retrying(duplicate_now)
