"""get(range=...): offset/length, suffix, Range headers, and 416 errors."""

from __future__ import annotations

import pytest

from pyflare.bindings.r2 import errors
from pyflare.workers import Headers

DATA = b"0123456789"


@pytest.fixture
async def obj(bucket):
    await bucket.put("k", DATA)
    return bucket


@pytest.mark.parametrize(
    "range_, expected, offset",
    [
        ({"offset": 2, "length": 3}, b"234", 2),
        ({"offset": 7}, b"789", 7),
        ({"length": 4}, b"0123", 0),
        ({"offset": 8, "length": 100}, b"89", 8),
        ({"suffix": 3}, b"789", 7),
        ({"suffix": 100}, DATA, 0),
        ({"offset": 10 - 1, "length": 1}, b"9", 9),
    ],
)
async def test_range_options(obj, range_, expected, offset):
    got = await obj.get("k", range=range_)
    assert await got.bytes() == expected
    assert got.range == {"offset": offset, "length": len(expected)}
    assert got.size == 10


@pytest.mark.parametrize(
    "header, expected",
    [
        ("bytes=1-3", b"123"),
        ("bytes=5-", b"56789"),
        ("bytes=-2", b"89"),
        ("bytes=8-100", b"89"),
        ("bytes=0-1,4-5", DATA),  # several ranges: the whole object
        ("garbage", DATA),
    ],
)
async def test_range_from_headers(obj, header, expected):
    assert await (await obj.get("k", range=Headers({"Range": header}))).bytes() == expected


async def test_range_given_as_a_string_is_refused_as_workerd_refuses_it(obj):
    with pytest.raises(TypeError, match="^Incorrect type for the 'range' field on 'GetOptions'"):
        await obj.get("k", range="bytes=1-3")


async def test_range_numbers_are_read_as_numbers(obj):
    assert await (await obj.get("k", range={"offset": "2", "length": "3"})).bytes() == b"234"


async def test_headers_without_range_give_whole_object(obj):
    assert await (await obj.get("k", range=Headers({}))).bytes() == DATA


@pytest.mark.parametrize(
    "range_",
    [{"offset": 11}, {"offset": 2, "length": 0}, {"suffix": 0}, Headers({"Range": "bytes=10-"}),
     Headers({"Range": "bytes=-0"})],
)
async def test_unsatisfiable_range_is_error_10039(obj, range_):
    with pytest.raises(errors.InvalidRange) as info:
        await obj.get("k", range=range_)
    assert str(info.value) == "get: The requested range is not satisfiable (10039)"
    assert info.value.status == 416


async def test_negative_offset_is_range_error(obj):
    with pytest.raises(errors.RangeError, match=r"Invalid range. Starting offset \(-1\) must be greater"):
        await obj.get("k", range={"offset": -1})


async def test_fractional_length_is_range_error(obj):
    with pytest.raises(errors.RangeError, match="must be an integer, not floating point"):
        await obj.get("k", range={"length": 1.5})


async def test_suffix_with_offset_is_type_error(obj):
    with pytest.raises(TypeError, match="Suffix is incompatible with offset."):
        await obj.get("k", range={"suffix": 1, "offset": 1})


async def test_range_of_missing_key_returns_none(bucket):
    assert await bucket.get("missing", range={"offset": 100}) is None


async def test_range_across_multipart_parts(bucket, small_parts):
    upload = await bucket.createMultipartUpload("mp")
    p1 = await upload.uploadPart(1, b"a" * 10)
    p2 = await upload.uploadPart(2, b"b" * 10)
    p3 = await upload.uploadPart(3, b"c" * 5)
    await upload.complete([p1, p2, p3])
    assert await (await bucket.get("mp", range={"offset": 8, "length": 5})).bytes() == b"aabbb"
    assert await (await bucket.get("mp", range={"suffix": 7})).bytes() == b"bbccccc"
    assert await (await bucket.get("mp", range={"offset": 10, "length": 10})).bytes() == b"b" * 10
