"""head / get / put / delete and the fields of R2Object and R2ObjectBody."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone

import pytest

from pyflare.bindings.r2 import R2Object, R2ObjectBody
from pyflare.workers import Blob, Headers


async def test_get_missing_key_returns_none(bucket):
    assert await bucket.get("nope") is None


async def test_head_missing_key_returns_none(bucket):
    assert await bucket.head("nope") is None


async def test_put_returns_object_with_its_metadata(bucket, mf):
    obj = await bucket.put("k", "hello")
    assert isinstance(obj, R2Object)
    assert obj.key == "k"
    assert obj.size == 5
    assert obj.etag == hashlib.md5(b"hello").hexdigest()
    assert obj.httpEtag == f'"{obj.etag}"'
    assert re.fullmatch(r"[0-9a-f]{32}", obj.version)
    assert obj.storageClass == "Standard"
    # a JavaScript Date reaches Python as a naive datetime in UTC
    assert obj.uploaded == datetime.fromtimestamp(mf.clock.time_ms() / 1000, tz=timezone.utc).replace(tzinfo=None)
    assert obj.uploaded.tzinfo is None
    assert obj.checksums.md5 == hashlib.md5(b"hello").digest()
    assert obj.checksums.toJSON() == {"md5": hashlib.md5(b"hello").hexdigest()}


async def test_get_returns_body_and_metadata(bucket):
    await bucket.put("k", b"\x00\x01data", httpMetadata={"contentType": "application/octet-stream"},
                     customMetadata={"owner": "me"})
    obj = await bucket.get("k")
    assert isinstance(obj, R2ObjectBody)
    assert obj.httpMetadata == {"contentType": "application/octet-stream"}
    assert obj.customMetadata == {"owner": "me"}
    assert obj.range == {"offset": 0, "length": 6}
    assert await obj.arrayBuffer() == b"\x00\x01data"


async def test_head_has_no_body(bucket):
    await bucket.put("k", "v")
    obj = await bucket.head("k")
    assert type(obj) is R2Object
    assert not hasattr(obj, "body")
    assert obj.size == 1


async def test_text_json_bytes_blob_readers(bucket):
    await bucket.put("j", '{"a": [1, 2]}', httpMetadata={"contentType": "application/json"})
    assert await (await bucket.get("j")).json() == {"a": [1, 2]}
    assert await (await bucket.get("j")).text() == '{"a": [1, 2]}'
    assert await (await bucket.get("j")).bytes() == b'{"a": [1, 2]}'
    blob = await (await bucket.get("j")).blob()
    assert blob.type == "application/json"


async def test_body_is_an_async_iterator_of_bytes(bucket):
    await bucket.put("k", b"x" * 3_000_000)
    obj = await bucket.get("k")
    chunks = [chunk async for chunk in obj.body]
    assert len(chunks) > 1
    assert b"".join(chunks) == b"x" * 3_000_000


async def test_body_can_be_read_only_once(bucket):
    await bucket.put("k", "v")
    obj = await bucket.get("k")
    assert not obj.bodyUsed
    await obj.text()
    assert obj.bodyUsed
    with pytest.raises(TypeError, match="Body has already been used"):
        await obj.text()


async def test_put_overwrites(bucket):
    first = await bucket.put("k", "one")
    second = await bucket.put("k", "two!")
    assert first.version != second.version
    assert await (await bucket.get("k")).text() == "two!"


async def test_put_none_stores_empty_object(bucket):
    obj = await bucket.put("empty", None)
    assert obj.size == 0
    assert obj.etag == hashlib.md5(b"").hexdigest()
    assert await (await bucket.get("empty")).bytes() == b""


async def test_put_accepts_bytearray_memoryview_and_blob(bucket):
    await bucket.put("a", bytearray(b"ab"))
    await bucket.put("b", memoryview(b"cd"))
    await bucket.put("c", Blob(b"ef", "text/plain"))
    assert [await (await bucket.get(k)).text() for k in "abc"] == ["ab", "cd", "ef"]


async def test_put_accepts_async_iterables_not_python_lists(bucket):
    async def agen():
        yield b"as"
        yield "ync"

    await bucket.put("async", agen())
    assert await (await bucket.get("async")).text() == "async"
    with pytest.raises(TypeError, match="^Failed to execute 'put' on 'R2Bucket': parameter 2 is not of type"):
        await bucket.put("sync", [b"sy", b"nc"])  # a JavaScript Array on Cloudflare: not a body


async def test_put_accepts_another_objects_body(bucket):
    await bucket.put("src", "copy me")
    copy = await bucket.put("dst", (await bucket.get("src")).body)
    assert copy.size == 7
    assert await (await bucket.get("dst")).text() == "copy me"


async def test_put_rejects_unsupported_value(bucket):
    with pytest.raises(TypeError):
        await bucket.put("k", 42)


async def test_put_accepts_options_dict_js_style(bucket):
    await bucket.put("k", "v", {"customMetadata": {"a": "b"}})
    assert (await bucket.head("k")).customMetadata == {"a": "b"}


async def test_unknown_option_is_ignored_as_workerd_ignores_it(bucket):
    await bucket.put("k", "v", contentType="text/plain")
    assert (await bucket.head("k")).httpMetadata == {}


async def test_http_metadata_fields_round_trip(bucket):
    expiry = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    meta = {
        "contentType": "text/html",
        "contentLanguage": "en",
        "contentDisposition": "attachment",
        "contentEncoding": "gzip",
        "cacheControl": "max-age=60",
        "cacheExpiry": expiry,
    }
    await bucket.put("k", "v", httpMetadata=meta)
    assert (await bucket.head("k")).httpMetadata == {**meta, "cacheExpiry": expiry.replace(tzinfo=None)}


async def test_cache_expiry_must_be_a_date_not_a_string(bucket):
    with pytest.raises(TypeError, match="^Incorrect type for the 'cacheExpiry' field on 'HttpMetadata'"):
        await bucket.put("k", "v", httpMetadata={"cacheExpiry": "Wed, 21 Oct 2037 07:28:00 GMT"})


async def test_http_metadata_from_headers(bucket):
    headers = Headers({"Content-Type": "image/png", "Cache-Control": "no-cache",
                       "Expires": "Wed, 21 Oct 2037 07:28:00 GMT", "X-Other": "ignored"})
    await bucket.put("k", "v", httpMetadata=headers)
    meta = (await bucket.head("k")).httpMetadata
    assert meta["contentType"] == "image/png"
    assert meta["cacheControl"] == "no-cache"
    assert meta["cacheExpiry"] == datetime(2037, 10, 21, 7, 28)
    assert "X-Other" not in meta and len(meta) == 3


async def test_write_http_metadata_sets_headers(bucket):
    await bucket.put("k", "v", httpMetadata={"contentType": "text/css", "cacheExpiry": 2_000_000_000_000})
    headers = Headers()
    (await bucket.get("k")).writeHttpMetadata(headers)
    assert headers.get("content-type") == "text/css"
    assert headers.get("expires") == "Wed, 18 May 2033 03:33:20 GMT"


async def test_uploaded_follows_the_clock(bucket, mf):
    first = await bucket.put("k", "v")
    mf.clock.advance(seconds=90)
    second = await bucket.put("k", "v")
    assert (second.uploaded - first.uploaded).total_seconds() == 90


async def test_delete_one_key(bucket):
    await bucket.put("k", "v")
    await bucket.delete("k")
    assert await bucket.head("k") is None


async def test_delete_missing_key_is_a_no_op(bucket):
    await bucket.delete("never-there")


async def test_delete_a_list_of_keys(bucket):
    for key in "abc":
        await bucket.put(key, key)
    await bucket.delete(["a", "c", "missing"])
    assert [o.key for o in (await bucket.list()).objects] == ["b"]


async def test_delete_removes_blob(bucket, store):
    await bucket.put("k", "v")
    assert len(list(store.blobs.folder.iterdir())) == 1
    await bucket.delete("k")
    assert list(store.blobs.folder.iterdir()) == []


async def test_overwrite_removes_old_blob(bucket, store):
    await bucket.put("k", "one")
    await bucket.put("k", "two")
    assert len(list(store.blobs.folder.iterdir())) == 1


async def test_reader_survives_concurrent_overwrite(bucket, store):
    await bucket.put("k", b"a" * 600_000)
    obj = await bucket.get("k")
    await bucket.put("k", b"b")
    await bucket.delete("k")
    assert await obj.bytes() == b"a" * 600_000
    assert list(store.blobs.folder.iterdir()) == []
