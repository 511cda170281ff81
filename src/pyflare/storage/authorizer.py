"""What user SQL may do on one of pyflare's SQLite files: workerd's authorizer, shared by every surface.

Every place that runs SQL a user wrote goes through one :class:`Authorizer` installed on the connection
(``sqlite3.Connection.set_authorizer``): a D1 database (the binding, the explorer's D1 console,
``pyflare d1 execute``), a Durable Object's ``ctx.storage.sql`` and the explorer's Durable Object console.
It is workerd's ``SqliteDatabase::isAuthorized`` (src/workerd/util/sqlite.c++), which Cloudflare applies to
D1 and to SQLite-backed Durable Objects alike:

- one database only: ``ATTACH`` and ``DETACH`` are refused, and with them ``VACUUM`` and ``VACUUM INTO
  'file'`` (SQLite attaches the target to copy into it), so no statement reads or writes another file;
- pragmas from an allow-list (``table_info``, ``foreign_keys``, ``quick_check``...), none that changes the
  journal, the temporary folder, the schema's writability or anything else on disk;
- functions from an allow-list (core, date, math, JSON, aggregate, window, FTS5): no ``load_extension``,
  ``readfile``, ``writefile`` or ``sqlite_*`` introspection;
- virtual tables of the FTS5 and R*Tree modules only; no temporary tables, views, indexes or triggers;
- names starting ``_cf_`` (any case) are Cloudflare's (a Durable Object's key-value rows live in ``_cf_KV``);
- no ``BEGIN``/``SAVEPOINT``: transactions go through the binding's API.

pyflare's own statements run *trusted*, past every check. Which mode is the default depends on the file:
a D1 database checks unless told otherwise (:meth:`Authorizer.trusted`), a Durable Object's file trusts
unless told otherwise (:meth:`Authorizer.checking`), since most of its statements are pyflare's own.
SQLite asks the authorizer when a statement is prepared, so the mode that counts is the one in force then.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

OK = sqlite3.SQLITE_OK
DENY = sqlite3.SQLITE_DENY

RESERVED_PREFIX = "_cf_"

# Action codes (SQLite's stable ABI; the sqlite3 module names them too).
_CREATE_INDEX, _CREATE_TABLE, _CREATE_TRIGGER, _CREATE_VIEW = 1, 2, 7, 8
_DELETE, _DROP_INDEX, _DROP_TABLE, _DROP_TRIGGER, _DROP_VIEW = 9, 10, 11, 16, 17
_INSERT, _PRAGMA, _READ, _SELECT, _TRANSACTION, _UPDATE = 18, 19, 20, 21, 22, 23
_ATTACH, _DETACH, _ALTER_TABLE, _REINDEX, _ANALYZE = 24, 25, 26, 27, 28
_CREATE_VTABLE, _DROP_VTABLE, _FUNCTION, _SAVEPOINT, _RECURSIVE = 29, 30, 31, 32, 33
_NAMED = frozenset({_CREATE_TABLE, _DELETE, _DROP_TABLE, _INSERT, _CREATE_VIEW, _DROP_VIEW, _REINDEX, _READ,
                    _UPDATE})  # arg1 names a table, view or index
_PAIRS = frozenset({_CREATE_INDEX, _DROP_INDEX, _CREATE_TRIGGER, _DROP_TRIGGER})  # arg1 and arg2 are names

# Pragmas and the argument each takes (workerd's ALLOWED_PRAGMAS).
NO_ARG = "no-arg"
BOOLEAN = "boolean"
OBJECT_NAME = "object-name"
OPTIONAL_OBJECT_NAME = "optional-object-name"
NULL_OR_NUMBER = "null-or-number"
NULL_NUMBER_OR_OBJECT_NAME = "null-number-or-object-name"
ALLOWED_PRAGMAS: dict[str, str] = {
    "data_version": NO_ARG,
    "page_size": NO_ARG,  # reading it only (R*Tree does); setting it is refused
    "case_sensitive_like": BOOLEAN,
    "foreign_keys": BOOLEAN,
    "defer_foreign_keys": BOOLEAN,
    "ignore_check_constraints": BOOLEAN,
    "legacy_alter_table": BOOLEAN,
    "recursive_triggers": BOOLEAN,
    "reverse_unordered_selects": BOOLEAN,
    "foreign_key_check": OPTIONAL_OBJECT_NAME,
    "foreign_key_list": OBJECT_NAME,
    "index_info": OBJECT_NAME,
    "index_list": OBJECT_NAME,
    "index_xinfo": OBJECT_NAME,
    "quick_check": NULL_NUMBER_OR_OBJECT_NAME,
    "optimize": NULL_OR_NUMBER,
}
_BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "1", "0"})

ALLOWED_VTABLE_MODULES = frozenset({"fts5", "fts5vocab", "rtree", "rtree_i32"})

# workerd's ALLOWED_SQLITE_FUNCTIONS.
ALLOWED_FUNCTIONS = frozenset("""
abs changes char coalesce concat concat_ws format glob hex ifnull iif instr last_insert_rowid length like
likelihood likely load_extension lower ltrim max_scalar min_scalar nullif octet_length printf quote random
randomblob replace round rtrim sign soundex substr substring total_changes trim typeof unhex unicode unlikely
upper zeroblob
date time datetime julianday unixepoch strftime timediff current_date current_time current_timestamp
avg count group_concat max min string_agg sum total
row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
acos acosh asin asinh atan atan2 atanh ceil cos cosh degrees exp floor ln log log2 mod pi pow radians sin sinh sqrt
tan tanh trunc
json jsonb json_array jsonb_array json_array_length json_extract jsonb_extract -> ->> json_insert jsonb_insert
json_object jsonb_object json_patch jsonb_patch json_remove jsonb_remove json_replace jsonb_replace json_set
jsonb_set json_type json_valid json_quote json_group_array jsonb_group_array json_group_object
jsonb_group_object json_each json_tree
match highlight bm25 snippet rtreecheck
sqlite_rename_column sqlite_rename_table sqlite_rename_test sqlite_drop_column sqlite_rename_quotefix
""".split())
# (workerd lists load_extension: its SQLite is built without extension loading, and Python's sqlite3 keeps
# extension loading off, so the call fails either way.)


def reserved(name: str | None) -> bool:
    """Is ``name`` one of Cloudflare's (``_cf_...``, any case)?"""
    return name is not None and name[:4].lower() == RESERVED_PREFIX


class Authorizer:
    """The ``set_authorizer`` callback of one connection, with a switch between checking and trusting.

    ``checks``: whether statements are checked when no :meth:`trusted` / :meth:`checking` block says
    otherwise. ``denied_transaction`` is set when a ``BEGIN``/``SAVEPOINT`` was refused, so the caller can
    raise its binding's own wording of that refusal."""

    __slots__ = ("active", "denied_transaction")

    def __init__(self, *, checks: bool) -> None:
        self.active = checks
        self.denied_transaction = False

    def install(self, connection: sqlite3.Connection) -> None:
        connection.set_authorizer(self)

    @contextmanager
    def trusted(self) -> Iterator[None]:
        """pyflare's own statements: every check off."""
        previous, self.active = self.active, False
        try:
            yield
        finally:
            self.active = previous

    @contextmanager
    def checking(self) -> Iterator[None]:
        """Statements a user wrote: every check on."""
        previous, self.active = self.active, True
        self.denied_transaction = False
        try:
            yield
        finally:
            self.active = previous

    def __call__(self, action: int, arg1: str | None, arg2: str | None, db_name: str | None,
                 trigger: str | None) -> int:
        if not self.active:
            return OK
        return OK if self.allows(action, arg1, arg2, db_name) else DENY

    def allows(self, action: int, arg1: str | None, arg2: str | None, db_name: str | None) -> bool:
        if action == _ALTER_TABLE or action == _DETACH:  # SQLite passes the database name first for these
            arg1, arg2, db_name = arg2, db_name, arg1
        if db_name == "temp":
            return action in (_READ, _UPDATE) and not reserved(arg1)
        if db_name is not None and db_name != "main":
            return False  # another database file: never
        if action in _NAMED:
            return not reserved(arg1)
        if action in _PAIRS:
            return not reserved(arg1) and not reserved(arg2)
        if action == _SELECT or action == _RECURSIVE or action == _ANALYZE:
            return True
        if action == _FUNCTION:
            return (arg2 or "").lower() in ALLOWED_FUNCTIONS
        if action == _PRAGMA:
            return _pragma_allowed((arg1 or "").lower(), arg2)
        if action == _ALTER_TABLE:
            return not reserved(arg1) and not reserved(arg2)
        if action == _CREATE_VTABLE or action == _DROP_VTABLE:
            return (arg2 or "").lower() in ALLOWED_VTABLE_MODULES and not reserved(arg1)
        if action == _TRANSACTION or action == _SAVEPOINT:
            self.denied_transaction = True
        # ATTACH (and VACUUM, which attaches), DETACH, temporary objects, transactions, anything unknown.
        return False


def _pragma_allowed(pragma: str, arg: str | None) -> bool:
    if pragma == "table_list":
        return True
    if pragma in ("table_info", "table_xinfo"):
        return arg is not None and not reserved(arg)
    signature = ALLOWED_PRAGMAS.get(pragma)
    if signature is None:
        return False
    if signature == NO_ARG:
        return arg is None
    if arg is None:
        return signature != OBJECT_NAME
    if signature == BOOLEAN:
        return arg.strip("'\"").lower() in _BOOLEAN_WORDS
    if signature == NULL_OR_NUMBER:
        return _is_int(arg)
    if signature == NULL_NUMBER_OR_OBJECT_NAME and _is_int(arg):
        return True
    return not reserved(arg)


def _is_int(text: str) -> bool:
    try:
        int(text, 0)
    except ValueError:
        return False
    return True
