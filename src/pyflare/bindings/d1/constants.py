"""D1's limits and fixed values, as named numbers (production Cloudflare D1, see docs/d1.md)."""

from __future__ import annotations

# -- SQLite limits D1 applies to every connection (workerd's SqliteDatabase::setupSecurity) -------
MAX_BOUND_PARAMETERS = 100  # SQLITE_LIMIT_VARIABLE_NUMBER
MAX_STATEMENT_BYTES = 100_000  # SQLITE_LIMIT_SQL_LENGTH
MAX_COLUMNS = 100  # SQLITE_LIMIT_COLUMN
MAX_VALUE_BYTES = 2_000_000  # SQLITE_LIMIT_LENGTH: largest string, BLOB or row (production D1)
MAX_LIKE_PATTERN_BYTES = 50  # SQLITE_LIMIT_LIKE_PATTERN_LENGTH
MAX_COMPOUND_SELECT = 5  # SQLITE_LIMIT_COMPOUND_SELECT
MAX_EXPR_DEPTH = 100  # SQLITE_LIMIT_EXPR_DEPTH
MAX_FUNCTION_ARGS = 127  # SQLITE_LIMIT_FUNCTION_ARG
MAX_TRIGGER_DEPTH = 10  # SQLITE_LIMIT_TRIGGER_DEPTH
MAX_VDBE_OPS = 25_000  # SQLITE_LIMIT_VDBE_OP
MAX_ATTACHED = 0  # SQLITE_LIMIT_ATTACHED

# name of the sqlite3 limit constant -> value (applied with Connection.setlimit on Python 3.11+)
SQLITE_LIMITS: dict[str, int] = {
    "SQLITE_LIMIT_LENGTH": MAX_VALUE_BYTES,
    "SQLITE_LIMIT_SQL_LENGTH": MAX_STATEMENT_BYTES,
    "SQLITE_LIMIT_COLUMN": MAX_COLUMNS,
    "SQLITE_LIMIT_EXPR_DEPTH": MAX_EXPR_DEPTH,
    "SQLITE_LIMIT_COMPOUND_SELECT": MAX_COMPOUND_SELECT,
    "SQLITE_LIMIT_VDBE_OP": MAX_VDBE_OPS,
    "SQLITE_LIMIT_FUNCTION_ARG": MAX_FUNCTION_ARGS,
    "SQLITE_LIMIT_ATTACHED": MAX_ATTACHED,
    "SQLITE_LIMIT_LIKE_PATTERN_LENGTH": MAX_LIKE_PATTERN_BYTES,
    "SQLITE_LIMIT_VARIABLE_NUMBER": MAX_BOUND_PARAMETERS,
    "SQLITE_LIMIT_TRIGGER_DEPTH": MAX_TRIGGER_DEPTH,
}

# Largest integer a JS number holds exactly; Pyodide turns larger Python ints into BigInt, which
# D1's bind() rejects.
MAX_SAFE_INTEGER = 2**53 - 1

# meta.served_by: Miniflare reports "miniflare.db"; pyflare reports its own name.
SERVED_BY = "pyflare.db"

# withSession() constraints (they are not bookmarks: getBookmark() stays null until a query runs).
SESSION_FIRST_PRIMARY = "first-primary"
SESSION_FIRST_UNCONSTRAINED = "first-unconstrained"

# wrangler's migrations defaults.
DEFAULT_MIGRATIONS_DIR = "migrations"
DEFAULT_MIGRATIONS_TABLE = "d1_migrations"
