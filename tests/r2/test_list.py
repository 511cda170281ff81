"""list(): order, prefix, delimiter, cursor, startAfter, limit, include."""

from __future__ import annotations

import pytest

from pyflare.bindings.r2.errors import R2Error, RangeError


async def fill(bucket, keys):
    for key in keys:
        await bucket.put(key, key, httpMetadata={"contentType": "text/plain"}, customMetadata={"k": key})


async def test_list_returns_keys_in_order(bucket):
    await fill(bucket, ["b", "a", "c"])
    result = await bucket.list()
    assert [o.key for o in result.objects] == ["a", "b", "c"]
    assert result.truncated is False
    assert "cursor" not in result
    assert result.delimitedPrefixes == []


async def test_list_result_allows_item_and_attribute_access(bucket):
    await fill(bucket, ["a"])
    result = await bucket.list()
    assert result["objects"] is result.objects


async def test_list_sorts_by_utf8_bytes(bucket):
    await fill(bucket, ["é", "z", "Z", "a"])
    assert [o.key for o in (await bucket.list()).objects] == ["Z", "a", "z", "é"]


async def test_list_prefix_is_case_sensitive(bucket):
    await fill(bucket, ["img/a", "IMG/b", "img/c", "imgx"])
    assert [o.key for o in (await bucket.list(prefix="img/")).objects] == ["img/a", "img/c"]


async def test_list_with_delimiter_groups_prefixes(bucket):
    await fill(bucket, ["a/1", "a/2", "b/x/1", "c", "d/"])
    result = await bucket.list(delimiter="/")
    assert [o.key for o in result.objects] == ["c"]
    assert result.delimitedPrefixes == ["a/", "b/", "d/"]


async def test_list_with_prefix_and_delimiter(bucket):
    await fill(bucket, ["a/1", "a/b/2", "a/b/3", "a/c/4", "b/5"])
    result = await bucket.list(prefix="a/", delimiter="/")
    assert [o.key for o in result.objects] == ["a/1"]
    assert result.delimitedPrefixes == ["a/b/", "a/c/"]


async def test_list_with_multi_character_delimiter(bucket):
    await fill(bucket, ["x--1", "x--2", "y"])
    result = await bucket.list(delimiter="--")
    assert result.delimitedPrefixes == ["x--"]
    assert [o.key for o in result.objects] == ["y"]


async def test_list_paginates_with_cursor(bucket):
    await fill(bucket, [f"k{i:02}" for i in range(25)])
    seen = []
    cursor = None
    while True:
        page = await bucket.list(limit=10, cursor=cursor)
        seen += [o.key for o in page.objects]
        if not page.truncated:
            break
        cursor = page.cursor
    assert seen == [f"k{i:02}" for i in range(25)]


async def test_limit_counts_prefixes_and_cursor_skips_a_whole_prefix(bucket):
    await fill(bucket, ["a/1", "a/2", "a/3", "b", "c/1"])
    page = await bucket.list(delimiter="/", limit=1)
    assert page.delimitedPrefixes == ["a/"] and page.objects == [] and page.truncated
    page = await bucket.list(delimiter="/", limit=1, cursor=page.cursor)
    assert [o.key for o in page.objects] == ["b"]
    page = await bucket.list(delimiter="/", limit=1, cursor=page.cursor)
    assert page.delimitedPrefixes == ["c/"] and not page.truncated


async def test_exact_limit_is_not_truncated(bucket):
    await fill(bucket, ["a", "b"])
    page = await bucket.list(limit=2)
    assert len(page.objects) == 2 and not page.truncated


async def test_keys_added_after_cursor_are_seen(bucket):
    await fill(bucket, ["a", "b", "d"])
    page = await bucket.list(limit=2)
    await fill(bucket, ["c"])
    page = await bucket.list(limit=2, cursor=page.cursor)
    assert [o.key for o in page.objects] == ["c", "d"]


async def test_start_after(bucket):
    await fill(bucket, ["a", "b", "c"])
    assert [o.key for o in (await bucket.list(startAfter="a")).objects] == ["b", "c"]


async def test_cursor_and_start_after_use_the_later(bucket):
    await fill(bucket, ["a", "b", "c", "d"])
    page = await bucket.list(limit=1)  # cursor after "a"
    assert [o.key for o in (await bucket.list(cursor=page.cursor, startAfter="b")).objects] == ["c", "d"]


async def test_default_limit_is_1000(bucket, store):
    import json

    with store.db.transaction():
        store.db.executemany(
            "INSERT INTO objects VALUES (?, NULL, ?, 0, 'e', 0, '{}', '{}', ?, 'Standard')",
            [(f"k{i:05}".encode(), f"{i:032x}", json.dumps({})) for i in range(1001)],
        )
    page = await bucket.list()
    assert len(page.objects) == 1000 and page.truncated


async def test_metadata_not_included_by_default(bucket):
    await fill(bucket, ["a"])
    obj = (await bucket.list()).objects[0]
    assert obj.httpMetadata is None and obj.customMetadata is None
    with pytest.raises(TypeError, match="Did you forget to add 'httpMetadata' to `include`"):
        obj.writeHttpMetadata({})


async def test_include_http_and_custom_metadata(bucket):
    await fill(bucket, ["a"])
    obj = (await bucket.list(include=["httpMetadata", "customMetadata"])).objects[0]
    assert obj.httpMetadata == {"contentType": "text/plain"}
    assert obj.customMetadata == {"k": "a"}
    only_custom = (await bucket.list(include=["customMetadata"])).objects[0]
    assert only_custom.httpMetadata is None and only_custom.customMetadata == {"k": "a"}


async def test_unsupported_include_value(bucket):
    with pytest.raises(RangeError, match="Unsupported include value etag"):
        await bucket.list(include=["etag"])


async def test_limit_of_minus_one_is_no_limit_as_on_cloudflare(bucket):
    # workerd sends limit as R2's unsigned 32-bit field, whose "not set" value is 0xffffffff
    await bucket.put("a", "1")
    assert [o.key for o in (await bucket.list(limit=-1)).objects] == ["a"]
    assert [o.key for o in (await bucket.list(limit="1")).objects] == ["a"]  # read as a number


@pytest.mark.parametrize("limit", [0, 1001, -2])
async def test_invalid_limit(bucket, limit):
    with pytest.raises(R2Error) as info:
        await bucket.list(limit=limit)
    assert str(info.value) == "list: MaxKeys params must be positive integer <= 1000. (10022)"


async def test_list_does_not_show_in_progress_multipart(bucket):
    await bucket.createMultipartUpload("pending")
    assert (await bucket.list()).objects == []
