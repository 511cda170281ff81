"""One bad value never makes an object unreadable: it is refused before anything is written, and a
value stored by an older pyflare that Python cannot represent is left out on read instead of raising."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest


@pytest.mark.parametrize("expiry", [10**30, -(10**30), float("nan"), float("inf"), "not a date"])
async def test_unrepresentable_cache_expiry_is_refused_before_writing(bucket, expiry):
    await bucket.put("k", "old")
    with pytest.raises(TypeError, match="cacheExpiry"):
        await bucket.put("k", "new", httpMetadata={"cacheExpiry": expiry})
    got = await bucket.get("k")
    assert await got.text() == "old"
    assert (await bucket.list(include=["httpMetadata"])).objects[0].key == "k"


async def test_refused_put_of_a_new_key_stores_nothing(bucket, store):
    with pytest.raises(TypeError):
        await bucket.put("fresh", "v", httpMetadata={"cacheExpiry": 10**30})
    assert await bucket.head("fresh") is None
    assert store.referenced_blobs() == set()
    assert not store.blobs.folder.exists() or list(store.blobs.folder.iterdir()) == []


async def test_the_last_representable_date_is_kept(bucket):
    last = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc)
    await bucket.put("k", "v", httpMetadata={"cacheExpiry": last})
    # read back as Python gets a JavaScript Date: naive, in UTC
    assert (await bucket.head("k")).httpMetadata["cacheExpiry"] == last.replace(tzinfo=None)


async def test_a_poisoned_row_from_an_older_pyflare_still_reads(bucket, store):
    await bucket.put("k", "v", httpMetadata={"contentType": "text/plain"})
    await bucket.put("other", "w")
    store.db.execute(
        "UPDATE objects SET http_metadata = ? WHERE key = ?",
        (json.dumps({"contentType": "text/plain", "cacheExpiry": 10**30}), b"k"),
    )
    head = await bucket.head("k")
    assert head.httpMetadata == {"contentType": "text/plain"}
    assert await (await bucket.get("k")).text() == "v"
    listed = await bucket.list(include=["httpMetadata", "customMetadata"])
    assert [o.key for o in listed.objects] == ["k", "other"]
    store.db.execute("UPDATE objects SET custom_metadata = 'not json' WHERE key = ?", (b"other",))
    assert (await bucket.head("other")).customMetadata == {}
