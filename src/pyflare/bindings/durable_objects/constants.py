"""Durable Object limits and fixed texts (workerd api/actor-state, api/sql, io/io-context; Cloudflare's docs)."""

from __future__ import annotations

PLUGIN = "do"

# Storage backends: a class from `new_sqlite_classes` is SQLite-backed, one from `new_classes` KV-backed.
SQLITE = "sqlite"
KV = "kv"

# KV-backed storage (enforced by production only; local workerd always uses SQLite and never checks).
MAX_KEY_BYTES = 2048
MAX_VALUE_BYTES = 128 * 1024  # 131072, the size the error text advertises
# What production enforces: 34 bytes of cushion for V8's serialization header and tags (workerd actor-storage.h).
ENFORCED_MAX_VALUE_BYTES = MAX_VALUE_BYTES + 34
MAX_KEYS_PER_CALL = 128

# SQLite-backed storage.
MAX_SQLITE_KV_BYTES = 2 * 1000 * 1000  # key + value
MAX_SQL_STATEMENT_BYTES = 100_000
MAX_SQL_BOUND_PARAMETERS = 100
MAX_SQL_COLUMNS = 100
MAX_SQL_ROW_BYTES = 2 * 1000 * 1000
MAX_SQL_FUNCTION_ARGS = 32
MAX_SQL_LIKE_PATTERN_BYTES = 50
MAX_SQLITE_DATABASE_BYTES = 10 * 1000 * 1000 * 1000

# Concurrency.
BLOCK_CONCURRENCY_TIMEOUT = 30.0  # seconds
MAX_BLOCK_CONCURRENCY_DEPTH = 64

# From this compatibility date deleteAll() deletes the alarm too (`delete_all_deletes_alarm`).
DELETE_ALL_DELETES_ALARM_DATE = "2026-02-24"

# Production's texts (workerd src/workerd/api/actor-state.c++; local workerd, not backed by SQLite for real,
# words the first two differently).
SQL_NOT_ENABLED = (
    "This Durable Object is not backed by SQLite storage, so the SQL API is not available. SQL can be enabled "
    "on a new Durable Object class by using the `new_sqlite_classes` instead of `new_classes` under "
    "`[[migrations]]` in your wrangler.toml, but an already-deployed class cannot be converted to SQLite "
    "(except by deleting the existing data)."
)
SYNC_KV_NOT_ENABLED = (
    "The storage.kv (synchronous KV) API is only available for SQLite-backed Durable Objects, but this "
    "object's namespace is not declared to use SQLite. You can use the older, asyncronous interface via "
    "methods of `storage` itself (e.g. `storage.get()`). SQLite can be enabled on a new Durable Object class "
    "by using the `new_sqlite_classes` instead of `new_classes` under `migrations` in your wrangler.jsonc or "
    "wrangler.toml, but an already-deployed class cannot be converted to SQLite (except by deleting the "
    "existing data)."
)
NOT_SQL_BACKED = "Durable Object is not backed by SQL."
PUT_SHAPES = (
    "put() may only be called with a single key-value pair and optional options as put(key, value, options) "
    "or with multiple key-value pairs and optional options as put(entries, options)"
)
SQL_TRANSACTION = (
    "To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() "
    "APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it "
    "will automatically roll back on exceptions, and because it interacts correctly with Durable Objects' "
    "automatic atomic write coalescing."
)
BLOCK_CONCURRENCY_TOO_LONG = (
    "A call to blockConcurrencyWhile() in a Durable Object waited for too long. The call was canceled and "
    "the Durable Object was reset."
)
BLOCK_CONCURRENCY_TOO_DEEP = "blockConcurrencyWhile() calls are nested too deeply."
ABORT_DEFAULT = "Application called abort() to reset Durable Object."
PY_ABORT_DEFAULT = "Durable Object abort requested"
NO_ALARM_HANDLER = "Your Durable Object class must have an alarm() handler in order to call setAlarm()"
JURISDICTION = "Jurisdiction restrictions are not implemented in workerd."
