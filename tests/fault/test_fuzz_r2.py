"""Hypothesis over every R2 method: only R2's documented errors, and whatever put() stored reads back."""

from __future__ import annotations

from typing import Any

import pytest
from fuzzing import any_text, anything, edge_numbers, maybe
from hypothesis import given
from hypothesis import strategies as st

from pyflare.bindings.r2 import R2Plugin
from pyflare.bindings.r2.errors import ConditionalHeaderError, R2Error
from pyflare.bindings.r2.errors import RangeError as R2RangeError
from pyflare.kernel.jserrors import RangeError

CONFIG = """
name = "fuzz-r2"
main = "src/entry.py"
compatibility_date = "2025-11-01"

[[r2_buckets]]
binding = "BUCKET"
bucket_name = "fuzz"
"""

DOCUMENTED = (R2Error, ConditionalHeaderError, TypeError, RangeError, R2RangeError)

keys = st.one_of(any_text, st.sampled_from(["k", "", "a/b", "\ud800", "x" * 1025]), anything)
values = st.one_of(any_text, st.binary(max_size=64), st.none(), st.lists(st.binary(max_size=8), max_size=3), anything)
dates = st.one_of(edge_numbers, st.datetimes(), any_text, st.sampled_from(["2030-01-01", "Tue, 01 Jan 2030 00:00:00 GMT"]))
http_metadata = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "contentType": maybe(any_text),
            "contentEncoding": maybe(any_text),
            "cacheControl": maybe(any_text),
            "cacheExpiry": maybe(dates),
        },
    ),
    anything,
)
custom_metadata = st.one_of(st.dictionaries(any_text, any_text, max_size=3), anything)
only_if = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "etagMatches": maybe(any_text),
            "etagDoesNotMatch": maybe(any_text),
            "uploadedBefore": maybe(dates),
            "uploadedAfter": maybe(dates),
        },
    ),
    st.dictionaries(st.sampled_from(["if-match", "if-none-match", "if-modified-since"]), any_text, max_size=2),
    anything,
)
ranges = st.one_of(
    st.fixed_dictionaries({}, optional={"offset": maybe(edge_numbers), "length": maybe(edge_numbers)}),
    st.fixed_dictionaries({"suffix": maybe(edge_numbers)}),
    any_text,
    anything,
)


@pytest.fixture
def r2(driver: Any) -> Any:
    d = driver(CONFIG)
    return d, d.mf.env.BUCKET


def call(d: Any, coro: Any) -> Any:
    try:
        return d.run(coro)
    except DOCUMENTED:
        return None


async def read_back(bucket: Any, key: str) -> None:
    head = await bucket.head(key)
    assert head is not None
    head.writeHttpMetadata({})
    body = await bucket.get(key)
    await body.arrayBuffer()
    await bucket.list(include=["httpMetadata", "customMetadata"])


def test_put_then_read(r2: Any) -> None:
    d, bucket = r2

    @given(keys, values, http_metadata, custom_metadata, maybe(only_if), maybe(any_text))
    def check(key: Any, value: Any, http: Any, custom: Any, cond: Any, md5: Any) -> None:
        stored = call(d, bucket.put(key, value, httpMetadata=http, customMetadata=custom, onlyIf=cond, md5=md5))
        if stored is not None:
            d.run(read_back(bucket, key))

    check()


def test_get_head_delete(r2: Any) -> None:
    d, bucket = r2
    d.run(bucket.put("k", "hello"))

    @given(st.one_of(st.just("k"), keys), maybe(only_if), maybe(ranges), st.one_of(keys, st.lists(keys, max_size=3)))
    def check(key: Any, cond: Any, range_: Any, doomed: Any) -> None:
        got = call(d, bucket.get(key, onlyIf=cond, range=range_))
        if got is not None and hasattr(got, "arrayBuffer"):
            d.run(got.arrayBuffer())
        call(d, bucket.head(key))
        call(d, bucket.delete(doomed))

    check()


def test_list(r2: Any) -> None:
    d, bucket = r2
    for key in ("a", "a/b", "b", "\ud800"):
        d.run(bucket.put(key, key))

    @given(maybe(edge_numbers), maybe(any_text), maybe(any_text), maybe(any_text), maybe(any_text), maybe(anything))
    def check(limit: Any, prefix: Any, delimiter: Any, cursor: Any, start_after: Any, include: Any) -> None:
        call(d, bucket.list(limit=limit, prefix=prefix, delimiter=delimiter, cursor=cursor,
                            startAfter=start_after, include=include))

    check()


def test_multipart(r2: Any) -> None:
    d, bucket = r2
    d.mf.plugin(R2Plugin).stores["fuzz"].min_part_size = 1

    @given(keys, http_metadata, custom_metadata, st.one_of(edge_numbers, anything), values, anything)
    def check(key: Any, http: Any, custom: Any, number: Any, value: Any, parts: Any) -> None:
        upload = call(d, bucket.createMultipartUpload(key, httpMetadata=http, customMetadata=custom))
        if upload is None:
            return
        part = call(d, upload.uploadPart(number, value))
        done = call(d, upload.complete([part] if part is not None else parts))
        if done is not None:
            d.run(read_back(bucket, key))
        call(d, upload.abort())

    check()
