"""onlyIf: etagMatches, etagDoesNotMatch, uploadedBefore, uploadedAfter; dicts and Headers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pyflare.bindings.r2 import R2Object, R2ObjectBody
from pyflare.workers import Headers


@pytest.fixture
async def stored(bucket, mf):
    obj = await bucket.put("k", "value")
    mf.clock.advance(seconds=10)
    return obj


async def test_get_etag_matches_returns_body(bucket, stored):
    assert isinstance(await bucket.get("k", onlyIf={"etagMatches": stored.etag}), R2ObjectBody)


async def test_get_failed_condition_returns_object_without_body(bucket, stored):
    got = await bucket.get("k", onlyIf={"etagMatches": "0" * 32})
    assert type(got) is R2Object
    assert got.etag == stored.etag


async def test_get_etag_does_not_match(bucket, stored):
    assert type(await bucket.get("k", onlyIf={"etagDoesNotMatch": stored.etag})) is R2Object
    assert isinstance(await bucket.get("k", onlyIf={"etagDoesNotMatch": "x"}), R2ObjectBody)


async def test_wildcard_etag(bucket, stored):
    assert isinstance(await bucket.get("k", onlyIf={"etagMatches": "*"}), R2ObjectBody)
    assert type(await bucket.get("k", onlyIf={"etagDoesNotMatch": "*"})) is R2Object


async def test_uploaded_before_and_after(bucket, stored):
    before = stored.uploaded - timedelta(seconds=1)
    after = stored.uploaded + timedelta(seconds=1)
    assert isinstance(await bucket.get("k", onlyIf={"uploadedAfter": before}), R2ObjectBody)
    assert type(await bucket.get("k", onlyIf={"uploadedAfter": after})) is R2Object
    assert isinstance(await bucket.get("k", onlyIf={"uploadedBefore": after}), R2ObjectBody)
    assert type(await bucket.get("k", onlyIf={"uploadedBefore": before})) is R2Object


async def test_uploaded_accepts_epoch_milliseconds(bucket, stored):
    ms = int(stored.uploaded.timestamp() * 1000)
    assert type(await bucket.get("k", onlyIf={"uploadedAfter": ms})) is R2Object
    assert isinstance(await bucket.get("k", onlyIf={"uploadedAfter": ms - 1}), R2ObjectBody)


async def test_etag_match_overrides_uploaded_before(bucket, stored):
    before = stored.uploaded - timedelta(seconds=1)
    got = await bucket.get("k", onlyIf={"etagMatches": stored.etag, "uploadedBefore": before})
    assert isinstance(got, R2ObjectBody)


async def test_quoted_etag_is_type_error(bucket, stored):
    with pytest.raises(TypeError, match="Conditional ETag should not be wrapped in quotes"):
        await bucket.get("k", onlyIf={"etagMatches": stored.httpEtag})


async def test_headers_if_none_match(bucket, stored):
    got = await bucket.get("k", onlyIf=Headers({"If-None-Match": stored.httpEtag}))
    assert type(got) is R2Object
    got = await bucket.get("k", onlyIf=Headers({"If-None-Match": '"other", W/"x"'}))
    assert isinstance(got, R2ObjectBody)


async def test_headers_if_match_ignores_weak_etags(bucket, stored):
    assert type(await bucket.get("k", onlyIf=Headers({"If-Match": f'W/"{stored.etag}"'}))) is R2Object
    assert isinstance(await bucket.get("k", onlyIf=Headers({"If-Match": stored.httpEtag})), R2ObjectBody)


async def test_headers_if_modified_since_uses_seconds(bucket, stored):
    stamp = stored.uploaded.strftime("%a, %d %b %Y %H:%M:%S GMT")
    # Same second as the upload: not modified since (seconds granularity).
    assert type(await bucket.get("k", onlyIf=Headers({"If-Modified-Since": stamp}))) is R2Object


async def test_plain_dict_of_headers_is_accepted(bucket, stored):
    assert type(await bucket.get("k", onlyIf={"If-None-Match": stored.httpEtag})) is R2Object


async def test_bad_if_match_header(bucket, stored):
    with pytest.raises(Exception, match="Unclosed double quote for Etag"):
        await bucket.get("k", onlyIf=Headers({"If-Match": '"abc'}))


async def test_put_failing_condition_returns_none_and_keeps_object(bucket, stored):
    assert await bucket.put("k", "new", onlyIf={"etagMatches": "nope"}) is None
    assert await (await bucket.get("k")).text() == "value"


async def test_put_with_matching_condition_writes(bucket, stored):
    obj = await bucket.put("k", "new", onlyIf={"etagMatches": stored.etag})
    assert obj is not None and obj.size == 3


async def test_put_if_none_match_star_creates_only(bucket, stored):
    assert await bucket.put("k", "x", onlyIf=Headers({"If-None-Match": "*"})) is None
    assert await bucket.put("fresh", "x", onlyIf=Headers({"If-None-Match": "*"})) is not None


async def test_put_etag_matches_on_missing_key_fails(bucket):
    assert await bucket.put("missing", "x", onlyIf={"etagMatches": "abc"}) is None
    assert await bucket.head("missing") is None


async def test_failed_conditional_put_leaves_no_blob(bucket, stored, store):
    await bucket.put("k", "new", onlyIf={"etagMatches": "nope"})
    assert len(list(store.blobs.folder.iterdir())) == 1
