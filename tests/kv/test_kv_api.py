"""The KV API as Python workers call it: get (all types, bulk), getWithMetadata, put, delete."""

from __future__ import annotations

import json

import pytest

from pyflare.bindings.kv import KVError, KVMap, KVNamespace
from pyflare.kernel.jserrors import JsException


async def test_env_holds_a_kv_namespace(kv):
    assert isinstance(kv, KVNamespace)


async def test_get_of_a_missing_key_is_none(kv):
    assert await kv.get("missing") is None


async def test_put_then_get_returns_text(kv):
    await kv.put("greeting", "héllo")
    assert await kv.get("greeting") == "héllo"


async def test_put_overwrites_the_previous_value(kv):
    await kv.put("k", "one")
    await kv.put("k", "two")
    assert await kv.get("k") == "two"


async def test_empty_string_value_round_trips(kv):
    await kv.put("empty", "")
    assert await kv.get("empty") == ""
    assert await kv.get("empty", "arrayBuffer") == b""


async def test_get_json_parses_the_value(kv):
    await kv.put("doc", json.dumps({"a": [1, 2]}))
    assert await kv.get("doc", "json") == {"a": [1, 2]}


async def test_get_accepts_type_as_keyword_and_in_an_options_dict(kv):
    await kv.put("doc", "[1]")
    assert await kv.get("doc", type="json") == [1]
    assert await kv.get("doc", {"type": "json", "cacheTtl": 60}) == [1]
    assert await kv.get("doc", type="json", cacheTtl=30) == [1]


async def test_get_json_of_invalid_json_raises_javascripts_syntax_error(kv):
    await kv.put("doc", "not json")
    with pytest.raises(JsException) as raised:
        await kv.get("doc", "json")
    assert raised.value.name == "SyntaxError"
    assert str(raised.value) == 'Unexpected token \'n\', "not json" is not valid JSON'


async def test_get_json_gives_numbers_as_a_python_worker_gets_them(kv):
    await kv.put("doc", '{"whole": 2.0, "big": 12345678901234567890, "half": 0.5}')
    assert await kv.get("doc", "json") == {"whole": 2, "big": 1.2345678901234567e19, "half": 0.5}
    assert type((await kv.get("doc", "json"))["whole"]) is int


async def test_get_array_buffer_returns_a_memoryview(kv):
    await kv.put("bin", b"\x00\xffabc")
    value = await kv.get("bin", "arrayBuffer")
    assert isinstance(value, memoryview) and value == b"\x00\xffabc"  # an ArrayBuffer, as Pyodide gives it


async def test_get_stream_yields_the_value_in_chunks(kv):
    data = bytes(range(256)) * 1024  # 256 KiB: several chunks
    await kv.put("big", data)
    stream = await kv.get("big", "stream")
    chunks = [chunk async for chunk in stream]
    assert len(chunks) > 1 and all(isinstance(c, bytes) for c in chunks)
    assert b"".join(chunks) == data


async def test_unknown_type_is_a_type_error_when_the_key_exists(kv):
    await kv.put("k", "v")
    with pytest.raises(TypeError) as info:
        await kv.get("k", "blob")
    assert str(info.value) == (
        'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".'
    )


async def test_unknown_type_of_a_missing_key_returns_none_as_workerd_does(kv):
    assert await kv.get("missing", "blob") is None


async def test_put_accepts_bytes_bytearray_and_memoryview(kv):
    await kv.put("a", b"1")
    await kv.put("b", bytearray(b"2"))
    await kv.put("c", memoryview(b"3"))
    assert [await kv.get(k) for k in "abc"] == ["1", "2", "3"]


async def test_put_accepts_an_async_stream(kv):
    async def chunks():
        yield b"hello "
        yield b"world"

    await kv.put("s", chunks())
    assert await kv.get("s") == "hello world"


async def test_put_of_numbers_stores_their_javascript_text(kv):
    await kv.put("i", 42)
    await kv.put("f", 2.0)
    await kv.put("b", True)
    assert [await kv.get(k) for k in ("i", "f", "b")] == ["42", "2", "true"]


async def test_put_of_none_stores_null_as_javascript_writes_it(kv):
    await kv.put("k", None)  # Python's None is JavaScript's null, which workerd reads as the string "null"
    assert await kv.get("k") == "null"


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], {1}, object()])
async def test_put_of_other_objects_is_a_type_error(kv, value):
    with pytest.raises(TypeError) as info:
        await kv.put("k", value)
    assert str(info.value) == (
        "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."
    )


async def test_put_accepts_options_as_a_dict(kv):
    await kv.put("k", "v", {"metadata": {"m": 1}, "expirationTtl": 60})
    result = await kv.getWithMetadata("k")
    assert result.metadata == {"m": 1}


async def test_get_with_metadata_returns_value_metadata_and_cache_status(kv):
    await kv.put("k", '{"n": 1}', metadata={"owner": "me", "tags": ["x"]})
    result = await kv.getWithMetadata("k", "json")
    assert result == {"value": {"n": 1}, "metadata": {"owner": "me", "tags": ["x"]}, "cacheStatus": None}
    assert result.value == {"n": 1} and result.metadata["owner"] == "me" and result.cacheStatus is None


async def test_get_with_metadata_without_metadata_has_none(kv):
    await kv.put("k", "v")
    result = await kv.getWithMetadata("k")
    assert result.value == "v" and result.metadata is None


async def test_get_with_metadata_of_a_missing_key_is_all_none(kv):
    assert await kv.getWithMetadata("missing") == {"value": None, "metadata": None, "cacheStatus": None}


async def test_put_without_metadata_drops_previous_metadata(kv):
    await kv.put("k", "v", metadata={"a": 1})
    await kv.put("k", "w")
    assert (await kv.getWithMetadata("k")).metadata is None


async def test_bulk_get_returns_a_map_with_none_for_missing_keys(kv):
    await kv.put("a", "1")
    await kv.put("b", "2")
    result = await kv.get(["b", "missing", "a"])
    assert isinstance(result, KVMap)
    assert list(result.items()) == [("b", "2"), ("missing", None), ("a", "1")]
    assert result.has("a") and result.size == 3 and result.get("missing") is None


async def test_bulk_get_json_parses_every_value(kv):
    await kv.put("a", "[1]")
    await kv.put("b", '{"x": true}')
    assert await kv.get(["a", "b"], "json") == {"a": [1], "b": {"x": True}}


async def test_bulk_get_with_metadata_returns_value_and_metadata_per_key(kv):
    await kv.put("a", "1", metadata={"m": "a"})
    await kv.put("b", "2")
    result = await kv.getWithMetadata(["a", "b", "c"])
    assert result["a"] == {"value": "1", "metadata": {"m": "a"}}
    assert result["a"].metadata == {"m": "a"}
    assert result["b"] == {"value": "2", "metadata": None}
    assert result["c"] is None


async def test_delete_removes_the_key(kv):
    await kv.put("k", "v")
    await kv.delete("k")
    assert await kv.get("k") is None


async def test_delete_of_a_missing_key_is_a_no_op(kv):
    assert await kv.delete("never-there") is None


async def test_keys_are_case_sensitive_and_unicode(kv):
    await kv.put("Key", "upper")
    await kv.put("key", "lower")
    await kv.put("ключ/🔑", "unicode")
    assert await kv.get("Key") == "upper"
    assert await kv.get("key") == "lower"
    assert await kv.get("ключ/🔑") == "unicode"


async def test_worker_env_and_test_env_share_one_namespace(mf):
    assert mf.env.KV is mf.env["KV"]


async def test_metadata_and_json_values_allow_attribute_access(kv):
    await kv.put("k", '{"user": {"name": "ada"}}', metadata={"owner": {"id": 7}})
    result = await kv.getWithMetadata("k", "json")
    assert result.value.user.name == "ada" and result.metadata.owner.id == 7
    assert (await kv.list()).keys[0].metadata.owner.id == 7


async def test_options_arrive_as_workerd_reads_them(kv):
    await kv.put("k", "v", expirationTtl="120")  # a numeric string is a number to workerd
    assert (await kv.list()).keys[0].expiration is not None
    with pytest.raises(KVError, match="Invalid expiration_ttl of 0"):
        await kv.put("k", "v", expirationTtl=None)  # None is JavaScript's null: 0
    await kv.put("k2", "v", someOptionKvDoesNotKnow=1)  # ignored, as on Cloudflare
    assert await kv.get("k2") == "v"


async def test_bulk_get_leaves_out_keys_that_look_like_array_indexes(kv):
    await kv.put("7", "seven")
    await kv.put("07", "leading zero")
    assert dict(await kv.get(["7", "07", "x"])) == {"07": "leading zero", "x": None}
