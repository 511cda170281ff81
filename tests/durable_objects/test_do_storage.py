"""ctx.storage: the key-value API with its options and errors, transactions, deleteAll, sync kv, limits."""

from __future__ import annotations

import datetime as dt

import pytest

from pyflare.bindings.durable_objects.validation import RangeError
from pyflare.testing import list_durable_object_ids, run_in_durable_object


@pytest.fixture
def inside(counter):
    """``await inside(fn)`` runs ``fn(storage)`` in object "s" of the SQLite-backed class."""
    stub = counter.getByName("s")

    async def run(fn, stub=stub):
        return await run_in_durable_object(stub, lambda obj, ctx: fn(ctx.storage))

    return run


@pytest.fixture
def legacy(mf):
    """The same for the KV-backed class (from new_classes)."""
    stub = mf.env.LEGACY.getByName("s")

    async def run(fn):
        return await run_in_durable_object(stub, lambda obj, ctx: fn(ctx.storage))

    return run


async def test_get_put_delete_one_key(inside):
    assert await inside(lambda s: s.get("k")) is None
    await inside(lambda s: s.put("k", {"a": [1, 2]}))
    value = await inside(lambda s: s.get("k"))
    assert value == {"a": [1, 2]} and value.a == [1, 2]
    assert await inside(lambda s: s.delete("k")) is True
    assert await inside(lambda s: s.delete("k")) is False


async def test_values_keep_their_types(inside):
    values = {"int": 1, "float": 1.5, "str": "x", "true": True, "none": None, "bytes": b"\x00",
              "set": {1, 2}, "when": dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc), "nan": float("inf")}
    await inside(lambda s: s.put(values))
    got = await inside(lambda s: s.get(list(values)))
    assert bytes(got.pop("bytes")) == b"\x00"
    values.pop("bytes")
    # through JavaScript and back: a Date is a naive datetime in UTC, as a Python worker gets it
    assert got == {**values, "when": dt.datetime(2025, 1, 1)}


async def test_whole_numbers_read_back_as_ints_as_pyodide_gives_them(inside):
    await inside(lambda s: s.put({"f": 3.0, "z": -0.0, "big": 2**60}))
    got = await inside(lambda s: s.get(["f", "z", "big"]))
    assert got == {"f": 3, "z": 0, "big": 2**60} and type(got["f"]) is int  # 2**60 was a BigInt


async def test_keys_are_read_as_javascript_writes_them(inside):
    await inside(lambda s: s.put(1, "one"))
    await inside(lambda s: s.put(None, "null"))
    assert await inside(lambda s: s.get(["1", "null"])) == {"1": "one", "null": "null"}


async def test_put_none_stores_null_but_a_missing_value_is_an_error(inside):
    await inside(lambda s: s.put("k", None))
    assert await inside(lambda s: s.list()) == {"k": None}
    with pytest.raises(TypeError, match=r"^put\(\) called with undefined value.$"):
        await inside(lambda s: s.put("k"))


async def test_rpc_type_rules_apply_to_stored_values(inside):
    with pytest.raises(TypeError, match=r"^<class 'tuple'> cannot be sent over RPC.$"):
        await inside(lambda s: s.put("k", (1, 2)))


async def test_get_many_omits_missing_keys_in_key_order(inside):
    await inside(lambda s: s.put({"b": 2, "a": 1, "é": 3}))
    got = await inside(lambda s: s.get(["é", "missing", "b", "a"]))
    assert list(got.items()) == [("a", 1), ("b", 2), ("é", 3)]
    assert await inside(lambda s: s.delete(["a", "b", "missing"])) == 2


async def test_list_options(inside):
    await inside(lambda s: s.put({f"k{i}": i for i in range(6)} | {"other": 9}))

    async def keys(**options):
        return list(await inside(lambda s: s.list(**options)))

    assert await keys() == ["k0", "k1", "k2", "k3", "k4", "k5", "other"]
    assert await keys(prefix="k", limit=2) == ["k0", "k1"]
    assert await keys(start="k2", end="k4") == ["k2", "k3"]
    assert await keys(startAfter="k2", end="k4") == ["k3"]
    assert await keys(prefix="k", reverse=True, limit=2) == ["k5", "k4"]
    assert await inside(lambda s: s.list({"prefix": "o"})) == {"other": 9}


async def test_list_errors(inside):
    with pytest.raises(TypeError, match="^List limit must be positive.$"):
        await inside(lambda s: s.list(limit=0))
    with pytest.raises(TypeError, match=r"^list\(\) cannot be called with both start and startAfter values.$"):
        await inside(lambda s: s.list(start="a", startAfter="b"))


async def test_transaction_commits_or_rolls_back(inside):
    async def ok(txn):
        await txn.put("a", 1)
        await txn.put("b", 2)
        return "done"

    assert await inside(lambda s: s.transaction(ok)) == "done"

    async def fails(txn):
        await txn.put("a", 100)
        raise ValueError("no")

    with pytest.raises(ValueError):
        await inside(lambda s: s.transaction(fails))

    async def rolls_back(txn):
        await txn.put("b", 200)
        txn.rollback()
        with pytest.raises(RuntimeError, match=r"^Cannot put\(\) on rolled back transaction$"):
            await txn.put("c", 1)
        with pytest.raises(RuntimeError, match=r"^Cannot call deleteAll\(\) within a transaction$"):
            await txn.deleteAll()
        return "rolled back"

    assert await inside(lambda s: s.transaction(rolls_back)) == "rolled back"
    assert await inside(lambda s: s.get(["a", "b", "c"])) == {"a": 1, "b": 2}


async def test_transaction_sync_and_sync_kv(inside):
    def body(storage):
        def write():
            storage.kv.put("a", 1)
            storage.sql.exec("CREATE TABLE t (x)")
            return storage.kv.get("a")
        return storage.transactionSync(write)

    assert await inside(body) == 1
    assert await inside(lambda s: s.kv.delete("a")) is True
    assert await inside(lambda s: s.kv.get("a")) is None
    await inside(lambda s: s.put({"x1": 1, "x2": 2, "y": 3}))
    assert await inside(lambda s: list(s.kv.list(prefix="x"))) == [["x1", 1], ["x2", 2]]


async def test_a_new_sync_list_ends_the_previous_one(inside):
    await inside(lambda s: s.put({"a": 1, "b": 2}))

    def two_lists(storage):
        first = storage.kv.list()
        head = next(first)
        storage.kv.list()
        return head, list(first)

    assert await inside(two_lists) == (["a", 1], [])


async def test_delete_all_removes_the_file_of_a_sqlite_object(inside, counter):
    await inside(lambda s: s.put("a", 1))
    await inside(lambda s: s.sql.exec("CREATE TABLE t (x)"))
    assert len(list_durable_object_ids(counter)) == 1
    await inside(lambda s: s.deleteAll())
    assert list_durable_object_ids(counter) == []
    assert await inside(lambda s: s.get("a")) is None
    assert await inside(lambda s: s.sql.exec("SELECT name FROM sqlite_master WHERE name = 't'").toArray()) == []


async def test_delete_all_keeps_the_alarm_before_2026_02_24(inside, mf):
    await inside(lambda s: s.setAlarm(mf.clock.time_ms() + 60_000))
    await inside(lambda s: s.put("a", 1))
    await inside(lambda s: s.deleteAll())
    assert await inside(lambda s: s.getAlarm()) is not None


async def test_sync_resolves(inside):
    await inside(lambda s: s.put("a", 1))
    assert await inside(lambda s: s.sync()) is None


# -- the KV backend's limits (production enforces them; pyflare does too) ------------------------------
async def test_kv_backend_key_limit(legacy):
    await legacy(lambda s: s.put("k" * 2048, 1))
    with pytest.raises(RangeError, match="^Keys cannot be larger than 2048 bytes. A key of size 2049 was provided.$"):
        await legacy(lambda s: s.put("k" * 2049, 1))
    with pytest.raises(RangeError, match="A key of size 2049 was provided"):
        await legacy(lambda s: s.get("k" * 2049))


async def test_kv_backend_value_limit(legacy):
    # Production allows 34 bytes over the advertised 128 KiB for V8's serialization overhead.
    await legacy(lambda s: s.put("k", "v" * 131072))
    with pytest.raises(RangeError, match=r"^Values cannot be larger than 131072 bytes. A value of size 131110 was "
                                         r"provided.$"):
        await legacy(lambda s: s.put("k", "v" * 131104))
    with pytest.raises(RangeError, match="Values cannot be larger than 131072 bytes"):
        await legacy(lambda s: s.put("k", "ж" * 65600))  # two bytes per character past Latin-1


async def test_kv_backend_128_pairs_per_call(legacy):
    await legacy(lambda s: s.put({f"k{i}": i for i in range(128)}))
    with pytest.raises(RangeError, match="^Maximum number of key value pairs is 128. 129 pairs were provided.$"):
        await legacy(lambda s: s.put({f"k{i}": i for i in range(129)}))
    with pytest.raises(RangeError, match="^Maximum number of key value pairs is 128. 129 pairs were provided.$"):
        await legacy(lambda s: s.get([f"k{i}" for i in range(129)]))


async def test_kv_backend_has_no_sql(legacy):
    # production's texts (local workerd, which always stores in SQLite, words the first two otherwise)
    with pytest.raises(RuntimeError, match="^This Durable Object is not backed by SQLite storage, so the SQL API "
                                           "is not available."):
        await legacy(lambda s: s.sql)
    with pytest.raises(RuntimeError, match="^The storage.kv \\(synchronous KV\\) API is only available for "
                                           "SQLite-backed Durable Objects"):
        await legacy(lambda s: s.kv)
    with pytest.raises(RuntimeError, match="^Durable Object is not backed by SQL.$"):
        await legacy(lambda s: s.transactionSync(lambda: None))


async def test_sqlite_backend_allows_large_values_and_many_keys(inside):
    await inside(lambda s: s.put("k" * 3000, "v" * 200_000))
    await inside(lambda s: s.put({f"k{i}": i for i in range(300)}))
    assert len(await inside(lambda s: s.get([f"k{i}" for i in range(300)]))) == 300
    with pytest.raises(RangeError, match="2000000"):
        await inside(lambda s: s.put("big", "v" * 2_000_001))


async def test_a_storage_call_happens_even_if_not_awaited(inside):
    # On Cloudflare a storage call is a promise that starts at once; Python code that forgets `await` still
    # writes. pyflare does the same (and never warns about an un-awaited coroutine).
    def forget(storage):
        storage.put("forgotten", 1)
        storage.put({"also": 2})
        return storage.get(["forgotten", "also"])

    assert await inside(forget) == {"also": 2, "forgotten": 1}


async def test_storage_calls_can_be_gathered(inside):
    import asyncio

    await inside(lambda s: s.put({"a": 1, "b": 2}))
    assert await inside(lambda s: asyncio.gather(s.get("a"), s.get("b"))) == [1, 2]


async def test_a_failed_write_resets_the_object(inside, counter, monkeypatch):
    import sqlite3

    from pyflare.objects import ObjectStorage
    from pyflare.storage import StorageError

    first = await run_in_durable_object(counter.getByName("s"), lambda obj, ctx: obj)

    def broken(self, key, data):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(ObjectStorage, "put_encoded_one", broken)
    with pytest.raises(StorageError, match="^disk I/O error: SQLITE_IOERR$"):  # workerd's words, not sqlite3's
        await inside(lambda s: s.put("k", 1))
    monkeypatch.undo()
    assert await run_in_durable_object(counter.getByName("s"), lambda obj, ctx: obj) is not first
