"""Hypothesis over every D1 method: only D1's documented errors, and whatever was stored reads back."""

from __future__ import annotations

from typing import Any

import pytest
from fuzzing import any_text, anything, edge_numbers
from hypothesis import given
from hypothesis import strategies as st

from pyflare.bindings.d1 import D1Error
from pyflare.kernel.jserrors import RangeError

CONFIG = """
name = "fuzz-d1"
main = "src/entry.py"
compatibility_date = "2025-11-01"

[[d1_databases]]
binding = "DB"
database_name = "fuzz"
database_id = "00000000-0000-0000-0000-000000000000"
"""

DOCUMENTED = (D1Error, TypeError, RangeError)

queries = st.one_of(
    st.sampled_from([
        "INSERT INTO t (v) VALUES (?)",
        "SELECT * FROM t WHERE v = ?",
        "SELECT ?1, ?2",
        "SELECT :a",
        "UPDATE t SET v = ? WHERE rowid = 1",
        "SELECT 1; SELECT ?",
        "BEGIN",
        "",
        "ATTACH 'x' AS y",
    ]),
    any_text,
    anything,
)
bind_values = st.lists(st.one_of(edge_numbers, any_text, st.binary(max_size=16), st.none(), st.booleans(), anything),
                       max_size=4)


@pytest.fixture
def d1(driver: Any) -> Any:
    d = driver(CONFIG)
    d.run(d.mf.env.DB.exec("CREATE TABLE t (v)"))
    return d, d.mf.env.DB


def call(d: Any, coro: Any) -> Any:
    try:
        return d.run(coro)
    except DOCUMENTED:
        return None


def read_all(d: Any, db: Any) -> None:
    d.run(db.prepare("SELECT rowid, v, typeof(v) FROM t").all())
    d.run(db.prepare("SELECT * FROM t").raw(columnNames=True))


def test_prepare_bind_run(d1: Any) -> None:
    d, db = d1

    @given(queries, bind_values, st.one_of(st.none(), any_text, anything))
    def check(query: Any, values: Any, column: Any) -> None:
        try:
            statement = db.prepare(query).bind(*values)
        except DOCUMENTED:
            return
        call(d, statement.all())
        call(d, statement.first(column))
        call(d, statement.raw())
        read_all(d, db)

    check()


def test_exec_and_batch(d1: Any) -> None:
    d, db = d1

    @given(queries, st.lists(st.tuples(queries, bind_values), max_size=3), anything)
    def check(query: Any, batch: Any, junk: Any) -> None:
        call(d, db.exec(query))
        statements = []
        for sql, values in batch:
            try:
                statements.append(db.prepare(sql).bind(*values))
            except DOCUMENTED:
                pass
        call(d, db.batch(statements))
        call(d, db.batch(junk))
        call(d, db.withSession(junk).prepare("SELECT 1").all()) if isinstance(junk, str) else None
        read_all(d, db)

    check()
