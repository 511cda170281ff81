"""Hypothesis over Durable Object storage (KV API on both backends, and SQL): only the documented errors,
and whatever put() stored reads back."""

from __future__ import annotations

from typing import Any

import pytest
from fuzzing import any_text, anything, edge_numbers, maybe
from hypothesis import given
from hypothesis import strategies as st

from pyflare.bindings.durable_objects.sql import SqlError
from pyflare.bindings.durable_objects.validation import RangeError
from pyflare.kernel.jserrors import RangeError as JsRangeError
from pyflare.testing import run_in_durable_object
from pyflare.workers.rpc import DataCloneError, RpcSizeError

CONFIG = """
name = "fuzz-do"
main = "src/entry.py"
compatibility_date = "2025-11-02"

[[durable_objects.bindings]]
name = "SQLITE"
class_name = "SqliteBacked"

[[durable_objects.bindings]]
name = "LEGACY"
class_name = "KvBacked"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["SqliteBacked"]
new_classes = ["KvBacked"]
"""

ENTRY = """
from workers import DurableObject, Response, WorkerEntrypoint

class SqliteBacked(DurableObject):
    pass

class KvBacked(DurableObject):
    pass

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""

DOCUMENTED = (TypeError, RangeError, JsRangeError, DataCloneError, RpcSizeError, SqlError)
keys = st.one_of(any_text, st.sampled_from(["k", "", "\ud800", "x" * 2049]), anything)


@pytest.fixture
def objects(worker_dir: Any) -> Any:
    from fuzzing import Driver

    d = Driver(worker_dir(CONFIG, {"src/entry.py": ENTRY}))
    yield d, [d.mf.env.SQLITE.getByName("f"), d.mf.env.LEGACY.getByName("f")]
    d.close()


def inside(d: Any, stub: Any, fn: Any) -> Any:
    return d.run(run_in_durable_object(stub, fn))


def test_put_get_delete_list(objects: Any) -> None:
    d, stubs = objects

    @given(st.sampled_from([0, 1]), keys, anything, maybe(st.dictionaries(any_text, anything, max_size=3)),
           st.fixed_dictionaries({}, optional={"prefix": maybe(any_text), "limit": maybe(edge_numbers),
                                               "reverse": anything, "start": maybe(any_text)}))
    def check(which: int, key: Any, value: Any, entries: Any, list_options: Any) -> None:
        async def body(obj: Any, ctx: Any) -> None:
            storage = ctx.storage
            stored = False
            try:
                await storage.put(key, value)
                stored = True
            except DOCUMENTED:
                pass
            if stored and isinstance(key, str):
                await storage.get(key)
                await storage.list()
            try:
                if entries is not None:
                    await storage.put(entries)
                    await storage.get(list(entries))
            except DOCUMENTED:
                pass
            for call in (lambda: storage.get(key), lambda: storage.delete(key),
                         lambda: storage.list(list_options)):
                try:
                    await call()
                except DOCUMENTED:
                    pass
            await storage.list()  # whatever is stored reads back

        inside(d, stubs[which], body)

    check()


def test_sql_exec(objects: Any) -> None:
    d, stubs = objects
    inside(d, stubs[0], lambda obj, ctx: ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (v)"))
    queries = st.one_of(st.sampled_from(["INSERT INTO t VALUES (?)", "SELECT * FROM t WHERE v = ?", "SELECT ?",
                                         "BEGIN", ""]), any_text, anything)

    @given(queries, st.lists(st.one_of(edge_numbers, any_text, st.binary(max_size=8), st.none(), anything),
                             max_size=3))
    def check(query: Any, bindings: list[Any]) -> None:
        def body(obj: Any, ctx: Any) -> None:
            try:
                ctx.storage.sql.exec(query, *bindings).toArray()
            except DOCUMENTED:
                pass
            ctx.storage.sql.exec("SELECT * FROM t").toArray()  # what was stored reads back

        inside(d, stubs[0], body)

    check()


def test_lone_surrogate_key_is_stored_as_workerd_stores_it(objects: Any) -> None:
    d, stubs = objects

    async def body(obj: Any, ctx: Any) -> None:
        await ctx.storage.put("a\ud800", 1)  # V8 writes the lone surrogate as 3 bytes: 3 U+FFFD read back
        assert await ctx.storage.get("a\ud800") == 1
        assert await ctx.storage.get("a\ufffd") is None
        assert list(await ctx.storage.list()) == ["a\ufffd\ufffd\ufffd"]

    for stub in stubs:
        inside(d, stub, body)


def test_deeply_nested_value_is_a_range_error_and_nan_limit_is_zero(objects: Any) -> None:
    d, stubs = objects
    value: Any = 1
    for _ in range(5000):
        value = [value]

    async def body(obj: Any, ctx: Any) -> None:
        with pytest.raises(JsRangeError, match="Maximum call stack size exceeded"):
            await ctx.storage.put("deep", value)
        assert await ctx.storage.get("deep") is None
        with pytest.raises(TypeError, match="List limit must be positive"):
            await ctx.storage.list(limit=float("nan"))

    for stub in stubs:
        inside(d, stub, body)
