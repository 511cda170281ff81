"""The D1 binding's methods and the shapes of what they return, as Cloudflare's binding gives them."""

from __future__ import annotations

import sys

import pytest

from pyflare.bindings.d1 import D1ColumnNotFoundError, D1Error, D1ExecError, D1TypeError

META_KEYS = ["served_by", "duration", "changes", "last_row_id", "changed_db", "size_after", "rows_read", "rows_written"]


async def test_all_returns_success_results_and_meta(users):
    result = await users.prepare("SELECT id, name FROM users ORDER BY id").all()
    assert result.success is True
    assert result.results == [{"id": 1, "name": "ada"}, {"id": 2, "name": "bob"}]
    assert list(result.meta) == META_KEYS
    assert result["results"][0].name == "ada"


async def test_meta_of_a_read_reports_no_change(users):
    meta = (await users.prepare("SELECT * FROM users").all()).meta
    assert meta.served_by == "pyflare.db"
    assert meta.changes == 0 and meta.rows_written == 0
    assert meta.changed_db is False
    assert meta.rows_read == 2
    assert meta.size_after > 0
    assert isinstance(meta.duration, float)


async def test_run_reports_changes_and_last_row_id(users):
    result = await users.prepare("INSERT INTO users (name) VALUES (?)").bind("cy").run()
    assert result.success is True
    assert result.results == []
    assert result.meta.changes == 1
    assert result.meta.rows_written == 1
    assert result.meta.last_row_id == 3
    assert result.meta.changed_db is True


async def test_run_returns_rows_of_returning_clause(users):
    result = await users.prepare("INSERT INTO users (name) VALUES ('cy') RETURNING id").run()
    assert result.results == [{"id": 3}]


async def test_first_returns_the_first_row(users):
    assert await users.prepare("SELECT name FROM users ORDER BY id").first() == {"name": "ada"}


async def test_first_with_column_returns_that_value(users):
    assert await users.prepare("SELECT * FROM users WHERE id = ?").bind(2).first("name") == "bob"


async def test_first_returns_none_without_rows(users):
    statement = users.prepare("SELECT * FROM users WHERE id = 99")
    assert await statement.first() is None
    assert await statement.first("name") is None


async def test_first_with_unknown_column_is_column_notfound(users):
    with pytest.raises(D1ColumnNotFoundError) as info:
        await users.prepare("SELECT name FROM users").first("nope")
    assert str(info.value) == "D1_COLUMN_NOTFOUND: Column not found (nope)"


async def test_first_with_null_column_returns_none(users):
    assert await users.prepare("SELECT data FROM users WHERE id = 1").first("data") is None


async def test_raw_returns_lists_of_values(users):
    assert await users.prepare("SELECT id, name FROM users ORDER BY id").raw() == [[1, "ada"], [2, "bob"]]


async def test_raw_with_column_names_puts_them_first(users):
    rows = await users.prepare("SELECT id, name FROM users ORDER BY id").raw(columnNames=True)
    assert rows == [["id", "name"], [1, "ada"], [2, "bob"]]


async def test_raw_accepts_the_js_options_object(users):
    rows = await users.prepare("SELECT id FROM users WHERE id = 1").raw({"columnNames": True})
    assert rows == [["id"], [1]]


async def test_raw_with_column_names_and_no_rows_gives_only_names(users):
    assert await users.prepare("SELECT id FROM users WHERE 0").raw(columnNames=True) == [["id"]]


async def test_duplicate_column_names_keep_the_last_in_objects(db):
    assert await db.prepare("SELECT 1 AS a, 2 AS a").first() == {"a": 2}
    assert await db.prepare("SELECT 1 AS a, 2 AS a").raw() == [[1, 2]]


async def test_bind_returns_a_new_statement(users):
    statement = users.prepare("SELECT name FROM users WHERE id = ?")
    first, second = statement.bind(1), statement.bind(2)
    assert await first.first("name") == "ada"
    assert await second.first("name") == "bob"
    assert statement.params == []


async def test_numbered_parameters_bind_by_position(db):
    assert await db.prepare("SELECT ?2 AS b, ?1 AS a").bind("x", "y").first() == {"b": "y", "a": "x"}


async def test_multiple_statements_in_one_prepare_return_the_last(db):
    result = await db.prepare("CREATE TABLE t (a); INSERT INTO t VALUES (1); SELECT a FROM t").all()
    assert result.results == [{"a": 1}]


async def test_only_the_last_of_several_statements_may_take_parameters(db):
    with pytest.raises(D1Error) as info:
        await db.prepare("SELECT ?; SELECT 2").bind(1).all()
    assert str(info.value) == (
        "D1_ERROR: When executing multiple SQL statements in a single call, only the last statement can have "
        "parameters."
    )


async def test_wrong_number_of_bindings_is_d1_error(db):
    with pytest.raises(D1Error) as info:
        await db.prepare("SELECT ?, ?").bind(1).all()
    assert str(info.value) == "D1_ERROR: Wrong number of parameter bindings for SQL query."


async def test_empty_query_is_no_statements_detected(db):
    # D1 drops whitespace and comment lines that start after some whitespace (Miniflare's D1:
    # /^\s+--.*/gm); anything else reaches SQLite, which finds no statement in it.
    for sql in ("", "   ", "  -- just a comment"):
        with pytest.raises(D1Error) as info:
            await db.prepare(sql).all()
        assert str(info.value) == "D1_ERROR: No SQL statements detected."
    for sql in ("-- just a comment", "/* c */ ;"):
        with pytest.raises(D1Error) as info:
            await db.prepare(sql).all()
        assert str(info.value) == "D1_ERROR: SQL code did not contain a statement."


# -- batch ---------------------------------------------------------------------------------------
async def test_batch_returns_one_result_per_statement(users):
    results = await users.batch([
        users.prepare("INSERT INTO users (name) VALUES (?)").bind("cy"),
        users.prepare("SELECT count(*) AS n FROM users"),
    ])
    assert [r.success for r in results] == [True, True]
    assert results[0].meta.changes == 1
    assert results[1].results == [{"n": 3}]


async def test_batch_rolls_back_every_statement_when_one_fails(users):
    with pytest.raises(D1Error) as info:
        await users.batch([
            users.prepare("INSERT INTO users (name) VALUES ('cy')"),
            users.prepare("UPDATE users SET name = 'changed'"),
            users.prepare("INSERT INTO users (id, name) VALUES (1, 'dup')"),
        ])
    assert str(info.value).startswith("D1_ERROR: UNIQUE constraint failed: users.id: SQLITE_CONSTRAINT")
    rows = await users.prepare("SELECT id, name FROM users ORDER BY id").raw()
    assert rows == [[1, "ada"], [2, "bob"]]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="Python 3.10's sqlite3 does not expose extended error codes")
async def test_constraint_error_names_the_extended_code(users):
    with pytest.raises(D1Error) as info:
        await users.prepare("INSERT INTO users (id, name) VALUES (1, 'dup')").run()
    assert str(info.value) == (
        "D1_ERROR: UNIQUE constraint failed: users.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"
    )


async def test_batch_after_a_failed_batch_still_works(users):
    with pytest.raises(D1Error):
        await users.batch([users.prepare("INSERT INTO users (name) VALUES ('cy')"), users.prepare("SELECT nope")])
    results = await users.batch([users.prepare("INSERT INTO users (name) VALUES ('dee')")])
    assert results[0].meta.last_row_id == 3


async def test_empty_batch_is_an_error(db):
    with pytest.raises(D1Error, match="No SQL statements detected"):
        await db.batch([])


async def test_batch_of_non_statements_is_type_error(db):
    with pytest.raises(TypeError):
        await db.batch(["SELECT 1"])


# -- exec ----------------------------------------------------------------------------------------
async def test_exec_returns_count_and_duration(db):
    result = await db.exec("CREATE TABLE t (a);\nINSERT INTO t VALUES (1);\n\nINSERT INTO t VALUES (2);")
    assert result.count == 3
    assert isinstance(result.duration, float)
    assert await db.prepare("SELECT count(*) AS n FROM t").first("n") == 2


async def test_exec_error_is_reported_as_line_1_as_d1_api_does(db):
    # d1-api.ts: "the line number is always going to be 1 because the DO is only returning the first error"
    with pytest.raises(D1ExecError) as info:
        await db.exec("CREATE TABLE t (a);\nINSERT INTO nope VALUES (1);")
    assert str(info.value) == (
        "D1_EXEC_ERROR: Error in line 1: CREATE TABLE t (a);: no such table: nope: SQLITE_ERROR"
    )


async def test_exec_is_atomic(db):
    with pytest.raises(D1ExecError):
        await db.exec("CREATE TABLE t (a);\nSELECT nope FROM t;")
    assert await db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 't'").first("n") == 0


async def test_exec_with_only_blank_lines_is_exec_error(db):
    with pytest.raises(D1ExecError, match="No SQL statements detected"):
        await db.exec("\n  \n")


async def test_exec_refuses_parameters(db):
    with pytest.raises(D1ExecError, match="Wrong number of parameter bindings"):
        await db.exec("SELECT ?")


# -- sessions ------------------------------------------------------------------------------------
async def test_session_has_no_bookmark_before_its_first_query(db):
    assert db.withSession().getBookmark() is None
    assert db.withSession("first-primary").getBookmark() is None


async def test_session_bookmark_appears_after_a_query(db):
    session = db.withSession()
    await session.prepare("SELECT 1").all()
    assert isinstance(session.getBookmark(), str)


async def test_session_bookmark_grows_after_a_write(users):
    session = users.withSession("first-primary")
    await session.prepare("SELECT 1").all()
    before = session.getBookmark()
    await session.prepare("INSERT INTO users (name) VALUES ('cy')").run()
    assert session.getBookmark() > before


async def test_session_started_from_a_bookmark_reports_it(users):
    session = users.withSession()
    await session.prepare("SELECT 1").all()
    bookmark = session.getBookmark()
    resumed = users.withSession(bookmark)
    assert resumed.getBookmark() == bookmark
    assert await resumed.prepare("SELECT name FROM users WHERE id = 1").first("name") == "ada"


async def test_session_batch_sees_committed_writes(users):
    session = users.withSession()
    results = await session.batch([
        session.prepare("INSERT INTO users (name) VALUES ('cy')"),
        session.prepare("SELECT count(*) AS n FROM users"),
    ])
    assert results[1].results[0].n == 3
    assert session.getBookmark() is not None


# -- types ---------------------------------------------------------------------------------------
async def test_bool_binds_as_integer(db):
    assert await db.prepare("SELECT ? AS t, ? AS f").bind(True, False).first() == {"t": 1, "f": 0}


async def test_none_binds_as_null(db):
    assert await db.prepare("SELECT ? IS NULL AS n").bind(None).first("n") == 1


async def test_bytes_bind_as_blob_and_come_back_as_lists_of_ints(db):
    row = await db.prepare("SELECT ? AS b, typeof(?) AS t").bind(b"\x00\x01\xff", bytearray(b"x")).first()
    assert row == {"b": [0, 1, 255], "t": "blob"}


async def test_list_of_byte_values_binds_as_blob(db):
    assert await db.prepare("SELECT typeof(?) AS t").bind([1, 2, 3]).first("t") == "blob"


async def test_numbers_and_strings_keep_their_types(db):
    row = await db.prepare("SELECT ? AS i, ? AS f, ? AS s, typeof(?) AS ti").bind(42, 1.5, "hé", 7).first()
    assert row == {"i": 42, "f": 1.5, "s": "hé", "ti": "integer"}


async def test_unsupported_type_is_d1_type_error_at_bind_time(db):
    statement = db.prepare("SELECT ?")
    with pytest.raises(D1TypeError) as info:
        statement.bind({"a": 1})
    assert str(info.value) == "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'"  # d1-api.ts: `${value}`


async def test_integer_beyond_2_53_is_a_bigint_type_error(db):
    # Pyodide passes an int beyond 2**53 as a BigInt; 2**53 itself is still a number
    with pytest.raises(D1TypeError, match="Type 'bigint' not supported for value '9007199254740993'"):
        db.prepare("SELECT ?").bind(2**53 + 1)
    assert await db.prepare("SELECT ? AS n").bind(2**53).first("n") == 2**53


async def test_list_of_non_bytes_is_type_error(db):
    with pytest.raises(D1TypeError, match="Type 'object'"):
        db.prepare("SELECT ?").bind([1, 300])


async def test_type_error_is_a_d1_error_not_a_python_type_error(db):
    with pytest.raises(D1Error):
        db.prepare("SELECT ?").bind(object())
    assert not issubclass(D1TypeError, TypeError)


async def test_dump_is_no_longer_supported(db):
    with pytest.raises(D1Error, match="D1_DUMP_ERROR"):
        await db.dump()


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT ?2 AS b, ?1 AS a", {"b": "y", "a": "x"}),
    ("SELECT :first AS a, :second AS b, :first AS c", {"a": "x", "b": "y", "c": "x"}),
    ("SELECT @one AS a, $two AS b", {"a": "x", "b": "y"}),
    ("SELECT '?9 :not_a_param' AS a, ?1 AS b, ?2 AS c", {"a": "?9 :not_a_param", "b": "x", "c": "y"}),
])
async def test_named_and_numbered_placeholders_bind_by_position_without_deprecated_sqlite_use(db, sql, expected):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Python 3.12+ warns (3.14 fails) when a sequence meets named placeholders
        assert await db.prepare(sql).bind("x", "y").first() == expected
