"""ctx.storage.sql: exec and its cursor, databaseSize, and what workerd refuses."""

from __future__ import annotations

import pytest

from pyflare.bindings.durable_objects.sql import SqlError
from pyflare.testing import run_in_durable_object


@pytest.fixture
def sql(counter):
    stub = counter.getByName("sql")

    async def run(fn):
        return await run_in_durable_object(stub, lambda obj, ctx: fn(ctx.storage.sql))

    return run


async def test_exec_and_cursor(sql):
    def body(sql):
        sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB)")
        insert = sql.exec("INSERT INTO t (name, data) VALUES (?, ?), (?, ?)", "a", b"\x01", "b", None)
        cursor = sql.exec("SELECT id, name FROM t ORDER BY id")
        return insert.rowsWritten, cursor.columnNames, [dict(r) for r in cursor], cursor.rowsRead

    written, columns, rows, read = await sql(body)
    assert written == 2
    assert columns == ["id", "name"]
    assert rows == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    assert read == 2


async def test_to_array_one_raw_and_next(sql):
    def body(sql):
        sql.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")
        cursor = sql.exec("SELECT x FROM t ORDER BY x")
        first = cursor.next()
        return (first, cursor.next(), cursor.next(), sql.exec("SELECT x FROM t").toArray(),
                list(sql.exec("SELECT x, x * 2 AS y FROM t ORDER BY x").raw()),
                sql.exec("SELECT count(*) AS n FROM t").one())

    first, second, done, array, raw, one = await sql(body)
    assert first == {"done": False, "value": {"x": 1}} and second.value.x == 2 and done.done is True
    assert array == [{"x": 1}, {"x": 2}]
    assert raw == [[1, 2], [2, 4]]
    assert one.n == 2


async def test_one_needs_exactly_one_row(sql):
    await sql(lambda s: s.exec("CREATE TABLE t (x)"))
    with pytest.raises(SqlError, match="^Expected exactly one result from SQL query, but got no results.$"):
        await sql(lambda s: s.exec("SELECT * FROM t").one())
    await sql(lambda s: s.exec("INSERT INTO t VALUES (1), (2)"))
    with pytest.raises(SqlError, match="^Expected exactly one result from SQL query, but got multiple results.$"):
        await sql(lambda s: s.exec("SELECT * FROM t").one())


async def test_large_integers_come_back_as_floats_like_javascript_numbers(sql):
    value = await sql(lambda s: s.exec("SELECT 1 << 60 AS big, ? AS small, ? AS whole", 5, 2.0).one())
    assert value.big == float(2**60) and isinstance(value.big, float)
    assert value.small == 5 and value.whole == 2 and type(value.whole) is int  # Pyodide: a whole number is an int


async def test_numbers_bind_as_real_and_booleans_as_text_as_in_workerd(sql):
    # SqlStorage::BindingValue is a double, a string, an ArrayBuffer or null: JavaScript passes a boolean as a string
    row = await sql(lambda s: s.exec("SELECT typeof(?) AS n, ? AS t, typeof(?) AS s", 5, True, "x").one())
    assert dict(row) == {"n": "real", "t": "true", "s": "text"}


async def test_an_int_beyond_2_53_cannot_be_bound(sql):
    # Pyodide passes it as a BigInt, which workerd cannot convert to a double
    with pytest.raises(TypeError, match="^Cannot convert a BigInt value to a number$"):
        await sql(lambda s: s.exec("SELECT ?", 2**60))


async def test_transactions_must_use_the_storage_api(sql):
    for statement in ("BEGIN TRANSACTION", "SAVEPOINT a", "COMMIT"):
        with pytest.raises(SqlError, match=r"^To execute a transaction, please use the state.storage.transaction\(\)"):
            await sql(lambda s, statement=statement: s.exec(statement))


async def test_internal_cf_tables_are_refused(sql, counter):
    await run_in_durable_object(counter.getByName("sql"), lambda obj, ctx: ctx.storage.put("k", 1))
    await run_in_durable_object(counter.getByName("sql"), lambda obj, ctx: ctx.storage.setAlarm(2_000_000_000_000))
    for statement in ("SELECT * FROM _cf_KV", "SELECT * FROM _CF_kv", "CREATE TABLE _cf_mine (x)",
                      "DELETE FROM _cf_METADATA"):
        with pytest.raises(SqlError, match="SQLITE_AUTH|not authorized|prohibited"):
            await sql(lambda s, statement=statement: s.exec(statement))


async def test_internal_tables_exist_only_once_used_as_in_workerd(sql, counter):
    names = lambda s: [row["name"] for row in s.exec("SELECT name FROM sqlite_master")]  # noqa: E731
    await sql(lambda s: s.exec("CREATE TABLE mine (x)"))
    assert await sql(names) == ["mine"]
    await run_in_durable_object(counter.getByName("sql"), lambda obj, ctx: ctx.storage.put("k", 1))
    assert await sql(names) == ["mine", "_cf_KV"]


async def test_errors_carry_sqlite_codes(sql):
    with pytest.raises(SqlError, match="no such table: missing"):
        await sql(lambda s: s.exec("SELECT * FROM missing"))


async def test_database_size_grows_with_data(sql):
    empty = await sql(lambda s: s.databaseSize)
    await sql(lambda s: s.exec("CREATE TABLE t (x); INSERT INTO t VALUES (zeroblob(100000))"))
    assert await sql(lambda s: s.databaseSize) > empty + 100_000


async def test_bound_parameters_are_limited_to_100(sql):
    await sql(lambda s: s.exec("SELECT " + ",".join("?" * 100), *range(100)))
    with pytest.raises(SqlError, match="too many SQL variables"):
        await sql(lambda s: s.exec("SELECT " + ",".join("?" * 101), *range(101)))


async def test_sql_and_kv_share_the_object_file(sql, counter):
    stub = counter.getByName("sql")
    await run_in_durable_object(stub, lambda obj, ctx: ctx.storage.put("k", "v"))
    await sql(lambda s: s.exec("CREATE TABLE t (x)"))
    assert await run_in_durable_object(stub, lambda obj, ctx: ctx.storage.get("k")) == "v"


@pytest.mark.skipif(not hasattr(__import__("sqlite3").Connection, "setlimit"), reason="sqlite3 setlimit: 3.11+")
async def test_sqlite_limits_are_cloudflares(sql):
    columns = ", ".join(f"c{i}" for i in range(101))
    with pytest.raises(SqlError, match="too many columns"):
        await sql(lambda s: s.exec(f"CREATE TABLE wide ({columns})"))
    with pytest.raises(SqlError, match="LIKE or GLOB pattern too complex"):
        await sql(lambda s: s.exec("SELECT 'a' LIKE ?", "%" * 51))
    with pytest.raises(SqlError, match="too big|too large"):
        await sql(lambda s: s.exec("SELECT zeroblob(2000001)"))
