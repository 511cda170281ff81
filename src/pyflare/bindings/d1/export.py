"""``pyflare d1 export``: a database's schema and data as SQL statements, as ``wrangler d1 export`` writes.

The output starts with ``PRAGMA defer_foreign_keys=TRUE;``, then each table's ``CREATE TABLE`` and its
rows as ``INSERT INTO "t" ("a","b") VALUES(...);``, then indexes, triggers and views. Reserved
(``_cf_``) and SQLite-internal tables are skipped. As on D1, databases with virtual tables (FTS5)
cannot be exported. Feeding the file to ``pyflare d1 execute --file`` rebuilds the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pyflare.bindings.d1.errors import D1Error
from pyflare.bindings.d1.validation import escape_identifier

if TYPE_CHECKING:
    from pyflare.bindings.d1.database import D1Store

_LINE_BREAK = re.compile(r"(\r|\n)")


class D1ExportError(D1Error):
    prefix = "D1 Export error"


def sql_literal(value: Any) -> str:
    """A value as an SQL literal that reads back as the same value (newlines via ``char(10)``)."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    if isinstance(value, float):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else "NULL"
    if isinstance(value, int):
        return str(value)
    parts = _LINE_BREAK.split(str(value))
    pieces = []
    for part in parts:
        if part == "\n":
            pieces.append("char(10)")
        elif part == "\r":
            pieces.append("char(13)")
        elif part or len(parts) == 1:
            pieces.append("'" + part.replace("'", "''") + "'")
    return "||".join(pieces)


def dump_sql(
    store: D1Store, *, schema: bool = True, data: bool = True, tables: Sequence[str] = ()
) -> Iterator[str]:
    """The statements that recreate the database (optionally only some tables, schema or data)."""
    wanted = set(tables)
    yield "PRAGMA defer_foreign_keys=TRUE;"
    rows = store.rows(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql NOT NULL"
        " ORDER BY name = 'sqlite_sequence', rowid"
    )
    for name, create in rows:
        if wanted and name not in wanted:
            continue
        if create.upper().startswith("CREATE VIRTUAL TABLE"):
            raise D1ExportError("cannot export databases with Virtual Tables (fts5)")
        if name == "sqlite_sequence":
            if schema:
                yield "DELETE FROM sqlite_sequence;"
        elif name.startswith("sqlite_stat"):
            if schema:
                yield "ANALYZE sqlite_schema;"
        elif name.lower().startswith(("_cf_", "sqlite_")):
            continue
        elif schema:
            yield f"{create};"
        if not data:
            continue
        columns = [row[1] for row in store.rows(f"PRAGMA table_info({escape_identifier(name)})")]
        if not columns:
            continue
        column_list = ",".join(escape_identifier(c) for c in columns)
        select = f"SELECT {column_list} FROM {escape_identifier(name)}"
        for values in store.rows(select):
            cells = ",".join(sql_literal(v) for v in values)
            yield f"INSERT INTO {escape_identifier(name)} ({column_list}) VALUES({cells});"
    if schema:
        rest = store.rows(
            "SELECT name, tbl_name, sql FROM sqlite_schema WHERE sql NOT NULL"
            " AND type IN ('index', 'trigger', 'view') ORDER BY type COLLATE NOCASE, rowid"
        )
        for name, table, create in rest:
            if wanted and name not in wanted and table not in wanted:
                continue
            yield f"{create};"
