"""The issue's examples of bad input: each gets the error Cloudflare gives (or Cloudflare's result),
never a Python exception from deep inside, and nothing half-written is left behind."""

from __future__ import annotations

from typing import Any

import pytest

from pyflare.bindings.d1 import D1Error
from pyflare.bindings.kv import KVError
from pyflare.kernel.jserrors import RangeError

CONFIG = """
name = "bad-input"
main = "src/entry.py"
compatibility_date = "2025-11-01"

[[kv_namespaces]]
binding = "KV"
id = "kv"

[[d1_databases]]
binding = "DB"
database_name = "db"

[[queues.producers]]
binding = "QUEUE"
queue = "jobs"

[[r2_buckets]]
binding = "BUCKET"
bucket_name = "files"
"""

ENTRY = "from workers import Response\ndef on_fetch(request):\n    return Response('ok')\n"


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"k": [value]}
    return value


@pytest.fixture
async def env(start_worker: Any) -> Any:
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY}, clock="manual")
    return mf.env


async def test_kv_key_with_a_lone_surrogate_is_refused_as_the_kv_service_refuses_it(env):
    # workerd sends the key URL-encoded as V8 writes it (WTF-8): not UTF-8, so KV cannot decode it.
    with pytest.raises(KVError, match="^KV PUT failed: 400 Could not URL-decode key name$"):
        await env.KV.put("a\ud800", "v")
    assert (await env.KV.list())["keys"] == []


async def test_kv_values_and_metadata_with_lone_surrogates_read_back(env):
    await env.KV.put("k", "x\udc00", metadata={"note": "y\ud800"})
    got = await env.KV.getWithMetadata("k")
    assert got.value == "x\ufffd\ufffd\ufffd"  # stored as three bytes that are not UTF-8, read back replaced
    assert got.metadata == {"note": "y\ud800"}  # JSON.stringify escapes it; JSON.parse gives it back


@pytest.mark.parametrize("option", ["expiration", "expirationTtl"])
async def test_kv_expiration_beyond_32_bits_is_a_type_error(env, option):
    with pytest.raises(TypeError, match=r"^Value out of range\. Must be between -2147483648 and 2147483647"):
        await env.KV.put("k", "v", **{option: 2**40})
    with pytest.raises(TypeError, match="^Cannot convert a BigInt value to a number$"):
        await env.KV.put("k", "v", **{option: 10**30})  # beyond 2**53 a Python int becomes a BigInt
    assert await env.KV.get("k") is None


async def test_kv_nan_ttl_is_zero_as_in_workerd(env):
    with pytest.raises(KVError, match="Invalid expiration_ttl of 0"):
        await env.KV.put("k", "v", expirationTtl=float("nan"))


async def test_kv_metadata_nan_is_null_and_deep_metadata_is_a_range_error(env):
    await env.KV.put("k", "v", metadata={"n": float("nan")})
    assert (await env.KV.getWithMetadata("k")).metadata == {"n": None}
    with pytest.raises(RangeError, match="Maximum call stack size exceeded"):
        await env.KV.put("deep", "v", metadata=nested(3000))
    assert await env.KV.get("deep") is None


async def test_d1_exec_of_a_number_is_a_type_error(env):
    with pytest.raises(TypeError, match="query.trim is not a function"):
        await env.DB.exec(123)


async def test_d1_lone_surrogates_in_sql_and_bound_values(env):
    await env.DB.exec("CREATE TABLE t (v TEXT)")
    await env.DB.prepare("INSERT INTO t VALUES (?)").bind("a\ud800").run()
    await env.DB.prepare("INSERT INTO t VALUES ('b\udfff')").run()
    rows = await env.DB.prepare("SELECT v FROM t ORDER BY v").raw()
    assert rows == [["a\ufffd\ufffd\ufffd"], ["b\ufffd\ufffd\ufffd"]]  # V8 writes them as 3 bytes each


async def test_d1_deeply_nested_bind_value_is_a_type_error(env):
    with pytest.raises(D1Error, match="D1_TYPE_ERROR"):
        env.DB.prepare("SELECT ?").bind(nested(3000))


async def test_queue_send_with_a_string_as_options_is_a_type_error(env):
    with pytest.raises(TypeError, match="parameter 2 is not of type 'QueueSendOptions'"):
        await env.QUEUE.send("x", "text")


async def test_queue_deeply_nested_body_is_a_range_error(env):
    with pytest.raises(RangeError):
        await env.QUEUE.send(nested(3000))
    with pytest.raises(RangeError):
        await env.QUEUE.send(nested(3000), contentType="v8")


@pytest.mark.parametrize("upload_id", [{1, 2}, {"a": 1}, 2**70, None, 1.5], ids=["set", "dict", "int>64bits", "None",
                                                                              "float"])
async def test_r2_resumed_upload_with_an_id_of_any_type_is_no_such_upload(env, upload_id):
    from pyflare.bindings.r2.errors import NoSuchUpload

    await env.BUCKET.createMultipartUpload("k")
    upload = env.BUCKET.resumeMultipartUpload("k", upload_id)  # workerd takes the id as a string
    assert isinstance(upload.uploadId, str)
    with pytest.raises(NoSuchUpload, match=r"^uploadPart: The specified multipart upload does not exist. \(10024\)$"):
        await upload.uploadPart(1, b"x")
    with pytest.raises(NoSuchUpload, match=r"^completeMultipartUpload: "):
        await upload.complete([])
    with pytest.raises(NoSuchUpload, match=r"^abortMultipartUpload: "):
        await upload.abort()


@pytest.mark.parametrize("parts", [None, "parts", {"partNumber": 1}, 5])
async def test_r2_complete_without_a_list_of_parts_is_a_type_error(env, parts):
    upload = await env.BUCKET.createMultipartUpload("k")
    with pytest.raises(TypeError, match="^Failed to execute 'complete' on 'R2MultipartUpload': parameter 1 is not "
                                        "of type 'Array<UploadedPart>'.$"):
        await upload.complete(parts)


async def test_queue_json_body_json_cannot_hold_is_sent_as_json_stringify_writes_it(start_worker):
    from pyflare.testing import messages

    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY}, clock="manual")
    await mf.env.QUEUE.send(float("-inf"), contentType="json")
    await mf.env.QUEUE.send({"a": float("nan"), "b": [float("inf")]}, contentType="json")
    await mf.env.QUEUE.send(float("-inf"), contentType="v8")  # a structured clone keeps it
    assert [m.body for m in messages(mf, "jobs")] == [None, {"a": None, "b": [None]}, float("-inf")]
