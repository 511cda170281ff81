"""Namespaces, ids, stubs and RPC as a worker sees them."""

from __future__ import annotations

import datetime as dt

import pytest

from pyflare import Pyflare
from pyflare.bindings.durable_objects import DurableObjectError
from pyflare.testing import run_in_durable_object
from pyflare.workers import JsDict, Request
from pyflare.workers.rpc import DataCloneError, RpcSizeError


async def test_id_from_name_is_deterministic_64_hex_and_stable_across_restarts(tmp_path, config):
    async with Pyflare(config, persist_to=tmp_path / "s") as mf:
        first = mf.env.COUNTER.idFromName("alice")
    async with Pyflare(config, persist_to=tmp_path / "s") as mf:
        again = mf.env.COUNTER.idFromName("alice")
        other_namespace = mf.env.LEGACY.idFromName("alice")
    text = first.toString()
    assert len(text) == 64 and all(c in "0123456789abcdef" for c in text)
    assert again.toString() == text and again.equals(first) and again == first
    assert first.name == "alice"
    assert other_namespace.toString() != text


async def test_new_unique_ids_differ_and_have_no_name(counter):
    a, b = counter.newUniqueId(), counter.newUniqueId()
    assert a.toString() != b.toString() and not a.equals(b)
    assert a.name is None


async def test_id_from_string_round_trips_and_validates(counter, mf):
    unique = counter.newUniqueId()
    assert counter.idFromString(unique.toString()).equals(unique)
    assert counter.idFromString(unique.toString().upper()).equals(unique)
    with pytest.raises(TypeError, match="^Invalid Durable Object ID: must be 64 hex digits$"):
        counter.idFromString("abc")
    with pytest.raises(TypeError, match="^Invalid Durable Object ID: must be 64 hex digits$"):
        counter.idFromString("g" * 64)
    with pytest.raises(TypeError, match="^Durable Object ID is not valid for this namespace.$"):
        counter.idFromString(mf.env.LEGACY.newUniqueId().toString())
    with pytest.raises(TypeError, match="not valid for this namespace"):
        counter.idFromString("0" * 64)


async def test_jurisdictions_are_refused_as_local_workerd_does(counter):
    with pytest.raises(TypeError, match="^Jurisdiction restrictions are not implemented in workerd.$"):
        counter.jurisdiction("eu")
    with pytest.raises(TypeError, match="^Jurisdiction restrictions are not implemented in workerd.$"):
        counter.newUniqueId(jurisdiction="eu")


async def test_get_and_get_by_name_reach_the_same_object(counter):
    assert await counter.get(counter.idFromName("x")).increment() == 1
    stub = counter.getByName("x", locationHint="weur")
    assert await stub.increment() == 2
    assert stub.name == "x" and stub.id.equals(counter.idFromName("x"))
    ctx_id = await run_in_durable_object(stub, lambda obj, ctx: ctx.id)
    assert ctx_id.toString() == stub.id.toString() and ctx_id.name == "x"


async def test_get_refuses_an_id_of_another_namespace(counter, mf):
    with pytest.raises(TypeError, match="not valid for this namespace"):
        counter.get(mf.env.LEGACY.idFromName("x"))


async def test_stub_fetch_takes_a_url_or_a_request(counter):
    stub = counter.getByName("f")
    response = await stub.fetch("https://example.com/a?b=1")
    assert await response.text() == "GET https://example.com/a?b=1 1"
    response = await stub.fetch(Request("https://example.com/p", method="POST"))
    assert await response.text() == "POST https://example.com/p 2"
    response = await stub.fetch("https://example.com/q", method="PUT")
    assert await response.text() == "PUT https://example.com/q 3"


async def test_stub_fetch_needs_an_absolute_url(counter):
    with pytest.raises(TypeError, match="^Fetch API cannot load: /relative$"):
        await counter.getByName("f").fetch("/relative")


async def test_rpc_arguments_keywords_and_sync_methods(counter):
    stub = counter.getByName("r")
    assert await stub.sync_method(1) == 3
    assert await stub.sync_method(1, b=10) == 11
    assert await stub.increment(by=5) == 5


async def test_rpc_values_are_copied_and_dicts_allow_attribute_access(counter):
    stub = counter.getByName("r")
    sent = {"a": [1, 2, {"b": "c"}], "when": dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc), "s": {1, 2}}
    got = await stub.echo(sent)
    # a Date comes back as Python gets it from JavaScript: a naive datetime in UTC
    assert got == {**sent, "when": dt.datetime(2025, 1, 2)} and got is not sent
    assert await stub.echo(3.0) == 3 and type(await stub.echo(3.0)) is int  # a whole JavaScript number
    assert isinstance(got, JsDict) and got.a[2].b == "c"
    assert bytes(await stub.echo(b"\x00\x01")) == b"\x00\x01"
    assert await stub.echo(None) is None
    assert await stub.echo({1: "x"}) == {"1": "x"}  # a JavaScript object's keys are strings


@pytest.mark.parametrize("value, kind", [((1, 2), "tuple"), (bytearray(b"x"), "bytearray"), ([(1,)], "tuple")])
async def test_tuples_and_bytearrays_cannot_be_sent_over_rpc(counter, value, kind):
    with pytest.raises(TypeError, match=rf"^<class '{kind}'> cannot be sent over RPC.$"):
        await counter.getByName("r").echo(value)


@pytest.mark.parametrize("value", [object(), complex(1, 2), range(3)])
async def test_other_objects_are_a_data_clone_error(counter, value):
    with pytest.raises(DataCloneError, match="DataCloneError"):
        await counter.getByName("r").echo(value)


async def test_rpc_messages_are_limited_to_32_mib(counter):
    with pytest.raises(RpcSizeError, match=r"^Serialized RPC arguments or return values are limited to 32MiB, "
                                           r"but the size of this value was: \d+ bytes.$"):
        await counter.getByName("r").echo(b"x" * (32 * 1024 * 1024 + 1))


async def test_only_public_methods_are_callable(counter):
    stub = counter.getByName("r")
    with pytest.raises(TypeError, match="^Method _private does not exist$"):
        await stub._private()
    with pytest.raises(TypeError, match="^Method nope does not exist$"):
        await stub.nope()
    with pytest.raises(TypeError, match="^Method memory does not exist$"):
        await stub.memory()


async def test_exceptions_reach_the_caller(counter):
    with pytest.raises(ValueError, match="boom"):
        await counter.getByName("r").fail("boom")


async def test_calls_between_objects_and_back_do_not_deadlock(counter):
    assert await counter.getByName("a").call_other("b", [1]) == [1]
    assert await counter.getByName("a").ping_pong("b") == "back"


async def test_abort_resets_the_object_and_the_caller_sees_the_reason(start_worker):
    mf = await start_worker(CONFIG_ONE, {"src/entry.py": """
        from workers import DurableObject, WorkerEntrypoint, Response
        class Obj(DurableObject):
            def __init__(self, ctx, env):
                super().__init__(ctx, env)
                self.calls = 0
            async def hit(self):
                self.calls += 1
                return self.calls
            async def stop(self, reason=None):
                try:
                    self.ctx.abort(reason)
                except Exception:
                    return "caught"  # DurableObjectAbort is a BaseException: this never runs
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response("ok")
    """}, clock="manual")
    stub = mf.env.OBJ.getByName("x")
    assert await stub.hit() == 1
    with pytest.raises(DurableObjectError, match="^going away$"):
        await stub.stop("going away")
    assert await stub.hit() == 1  # a fresh instance
    with pytest.raises(DurableObjectError, match="^Durable Object abort requested$"):
        await stub.stop()


CONFIG_ONE = """
name = "one"
main = "src/entry.py"
compatibility_date = "2025-11-02"
[[durable_objects.bindings]]
name = "OBJ"
class_name = "Obj"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Obj"]
"""


async def test_module_level_env_works_inside_objects(start_worker):
    mf = await start_worker(CONFIG_ONE + '[vars]\nGREETING = "hi"\n', {"src/entry.py": """
        from workers import DurableObject, WorkerEntrypoint, Response, env
        class Obj(DurableObject):
            async def greet(self):
                return env.GREETING
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(await self.env.OBJ.getByName("a").greet())
    """}, clock="manual")
    assert (await mf.dispatch_fetch("/")).text == "hi"


def test_workers_python_to_rpc_applies_the_same_rules():
    from pyflare.workers import python_from_rpc, python_to_rpc

    with pytest.raises(TypeError, match=r"^<class 'tuple'> cannot be sent over RPC.$"):
        python_to_rpc({"a": (1, 2)})
    assert python_from_rpc(python_to_rpc({"a": [1]})).a == [1]
