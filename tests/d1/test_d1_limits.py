"""D1's errors, refusals and SQLite limits, with D1's texts."""

from __future__ import annotations

import sqlite3
import sys

import pytest

from pyflare.bindings.d1 import D1Error

TRANSACTION_TEXT = (
    "D1_ERROR: To execute a transaction, please use the state.storage.transaction() or "
    "state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. "
    "The JavaScript API is safer because it will automatically roll back on exceptions, and because it "
    "interacts correctly with Durable Objects' automatic atomic write coalescing."
)

# Python 3.10's sqlite3 has no Connection.setlimit: pyflare checks parameters, statement length, value
# size and result columns itself there, but cannot apply SQLite's other limits.
needs_error_codes = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="Python 3.10's sqlite3 does not expose SQLite's error codes"
)
needs_setlimit = pytest.mark.skipif(not hasattr(sqlite3.Connection, "setlimit"), reason="Python < 3.11")


async def error_of(db, sql, *values):
    with pytest.raises(D1Error) as info:
        await db.prepare(sql).bind(*values).all()
    return str(info.value)


async def test_syntax_error_is_d1_error_with_sqlite_code(db):
    assert await error_of(db, "SELEC 1") == 'D1_ERROR: near "SELEC": syntax error at offset 0: SQLITE_ERROR'


async def test_missing_table_is_d1_error(db):
    assert await error_of(db, "SELECT * FROM nope") == "D1_ERROR: no such table: nope: SQLITE_ERROR"


@needs_error_codes
async def test_datatype_mismatch_names_its_code(db):
    await db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    assert await error_of(db, "INSERT INTO t (id) VALUES ('x')") == "D1_ERROR: datatype mismatch: SQLITE_MISMATCH"


@pytest.mark.parametrize("sql", ["BEGIN", "BEGIN TRANSACTION", "COMMIT", "ROLLBACK", "SAVEPOINT sp", "RELEASE sp",
                                 "END TRANSACTION"])
async def test_transaction_statements_are_refused(db, sql):
    assert await error_of(db, sql) == TRANSACTION_TEXT


async def test_begin_inside_a_multi_statement_query_is_refused(db):
    assert await error_of(db, "SELECT 1; BEGIN; SELECT 2") == TRANSACTION_TEXT


async def test_begin_in_a_batch_rolls_the_batch_back(users):
    with pytest.raises(D1Error, match="To execute a transaction"):
        await users.batch([users.prepare("DELETE FROM users"), users.prepare("BEGIN")])
    assert await users.prepare("SELECT count(*) AS n FROM users").first("n") == 2


async def test_100_bound_parameters_are_allowed(db):
    sql = "SELECT " + ", ".join("?" for _ in range(100))
    assert len(await db.prepare(sql).bind(*range(100)).raw()) == 1


async def test_101_bound_parameters_are_too_many(db):
    sql = "SELECT " + ", ".join("?" for _ in range(101))
    assert await error_of(db, sql, *range(101)) == "D1_ERROR: too many SQL variables at offset 307: SQLITE_ERROR"


async def test_statement_of_100000_bytes_is_allowed(db):
    sql = "SELECT 1 -- "
    sql += "x" * (100_000 - len(sql))
    assert len(sql.encode()) == 100_000
    assert await db.prepare(sql).raw() == [[1]]


async def test_statement_over_100000_bytes_is_too_long(db):
    sql = "SELECT 1 -- " + "é" * 50_000
    assert await error_of(db, sql) == "D1_ERROR: statement too long: SQLITE_TOOBIG"


async def test_101_result_columns_are_too_many(db):
    sql = "SELECT " + ", ".join(str(i) for i in range(101))
    assert await error_of(db, sql) == "D1_ERROR: too many columns in result set: SQLITE_ERROR"


@needs_setlimit
async def test_table_with_101_columns_is_refused(db):
    sql = "CREATE TABLE wide (" + ", ".join(f"c{i}" for i in range(101)) + ")"
    assert await error_of(db, sql) == "D1_ERROR: too many columns on wide: SQLITE_ERROR"


async def test_string_over_2_000_000_bytes_is_too_big(db):
    assert await error_of(db, "SELECT ?", "x" * 2_000_001) == "D1_ERROR: string or blob too big: SQLITE_TOOBIG"


@needs_setlimit
async def test_blob_over_2_000_000_bytes_is_too_big(db):
    assert await error_of(db, "SELECT zeroblob(2000001)") == "D1_ERROR: string or blob too big: SQLITE_TOOBIG"


@needs_setlimit
async def test_like_pattern_over_50_bytes_is_too_complex(db):
    sql = "SELECT 'a' LIKE ?"
    assert await db.prepare(sql).bind("a" * 50).raw() == [[0]]
    assert await error_of(db, sql, "a" * 51) == "D1_ERROR: LIKE or GLOB pattern too complex: SQLITE_ERROR"


@needs_setlimit
async def test_compound_select_of_more_than_5_terms_is_refused(db):
    five = " UNION ALL ".join(f"SELECT {i}" for i in range(5))
    assert len(await db.prepare(five).raw()) == 5
    assert await error_of(db, five + " UNION ALL SELECT 6") == (
        "D1_ERROR: too many terms in compound SELECT: SQLITE_ERROR"
    )


@needs_setlimit
async def test_expression_deeper_than_100_is_refused(db):
    assert len(await db.prepare("SELECT 1" + " + 1" * 98).raw()) == 1
    assert await error_of(db, "SELECT 1" + " + 1" * 100) == (
        "D1_ERROR: Expression tree is too large (maximum depth 100): SQLITE_ERROR"
    )


async def test_attach_is_not_authorized(db, tmp_path):
    assert await error_of(db, f"ATTACH DATABASE '{tmp_path / 'x.db'}' AS other") == (
        "D1_ERROR: not authorized: SQLITE_AUTH"
    )


async def test_creating_a_cf_table_is_not_authorized(db):
    assert await error_of(db, "CREATE TABLE _cf_mine (a)") == "D1_ERROR: not authorized: SQLITE_AUTH"


async def test_reading_a_cf_table_is_prohibited(db, mf):
    from pyflare.testing.d1 import d1_store

    with d1_store(mf, "DB").trusted() as conn:
        conn.execute("CREATE TABLE _cf_KV (key TEXT PRIMARY KEY, value BLOB)")
    assert await error_of(db, "SELECT * FROM _cf_KV") == "D1_ERROR: access to _cf_KV.key is prohibited: SQLITE_AUTH"
    assert await error_of(db, "INSERT INTO _cf_KV VALUES ('a', 'b')") == "D1_ERROR: not authorized: SQLITE_AUTH"


async def test_temporary_tables_are_not_authorized(db):
    assert await error_of(db, "CREATE TEMP TABLE t (a)") == "D1_ERROR: not authorized: SQLITE_AUTH"


async def test_pragmas_outside_d1_list_are_not_authorized(db):
    assert await error_of(db, "PRAGMA journal_mode = DELETE") == "D1_ERROR: not authorized: SQLITE_AUTH"
    assert await error_of(db, "PRAGMA page_size = 8192") == "D1_ERROR: not authorized: SQLITE_AUTH"


async def test_d1_pragmas_are_allowed(users):
    columns = await users.prepare("PRAGMA table_info(users)").all()
    assert [c.name for c in columns.results] == ["id", "name", "data"]
    assert await users.prepare("PRAGMA foreign_keys").first("foreign_keys") == 1
    assert (await users.prepare("PRAGMA defer_foreign_keys = on").run()).success


async def test_sqlite_internal_functions_are_not_authorized(db):
    assert "not authorized to use function: sqlite_version" in await error_of(db, "SELECT sqlite_version()")


@needs_error_codes
async def test_foreign_keys_are_enforced(db):
    await db.exec("CREATE TABLE a (id INTEGER PRIMARY KEY);\nCREATE TABLE b (a_id INTEGER REFERENCES a(id));")
    assert await error_of(db, "INSERT INTO b VALUES (42)") == (
        "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"
    )


async def test_json_functions_work(db):
    row = await db.prepare(
        "SELECT json_extract(?, '$.a[1]') AS x, ? ->> '$.b' AS y, json_array_length(?) AS n"
    ).bind('{"a": [1, 2]}', '{"b": "c"}', "[1,2,3]").first()
    assert row == {"x": 2, "y": "c", "n": 3}


async def test_fts5_full_text_search_works(db):
    await db.exec(
        "CREATE VIRTUAL TABLE docs USING fts5(title, body);\n"
        "INSERT INTO docs VALUES ('Python', 'workers run python code');\n"
        "INSERT INTO docs VALUES ('Rust', 'fast and safe');"
    )
    rows = await db.prepare("SELECT title FROM docs WHERE docs MATCH ? ORDER BY rank").bind("python").raw()
    assert rows == [["Python"]]


async def test_other_virtual_table_modules_are_not_authorized(db):
    assert await error_of(db, "CREATE VIRTUAL TABLE x USING fts4(a)") == "D1_ERROR: not authorized: SQLITE_AUTH"


async def test_triggers_with_inner_statements_are_created_whole(db):
    await db.exec("CREATE TABLE t (a);\nCREATE TABLE log (a);")
    await db.prepare(
        "CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.a); END"
    ).run()
    result = await db.prepare("INSERT INTO t VALUES (5)").run()
    assert result.meta.changes == 2  # the trigger's insert counts too
    assert await db.prepare("SELECT a FROM log").first("a") == 5
