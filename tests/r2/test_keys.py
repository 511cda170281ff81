"""Keys are data, never paths: odd keys round-trip and never touch files outside the bucket's blobs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

KEYS = [
    "../../etc/passwd",
    "../../../../../../tmp/escape",
    "/absolute/path",
    "..",
    ".",
    "a\x00b",
    "\x00",
    "con",
    "nul.txt",
    "back\\slash\\..\\..\\x",
    "emoji 🎉/ünïcödé",
    "line\nbreak",
    "",
    "a" * 1024,
]


def all_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("key", KEYS)
async def test_odd_key_round_trips(bucket, key):
    await bucket.put(key, f"value of {key!r}", customMetadata={"k": key})
    got = await bucket.get(key)
    assert got.key == key
    assert await got.text() == f"value of {key!r}"
    assert got.customMetadata == {"k": key}
    assert [o.key for o in (await bucket.list()).objects] == [key]
    await bucket.delete(key)
    assert await bucket.head(key) is None


async def test_traversal_keys_only_create_blob_files(bucket, store, mf, tmp_path):
    state_root = mf.storage.root
    before = all_files(tmp_path)
    for key in KEYS:
        await bucket.put(key, "x")
    blob_names = {p.name for p in store.blobs.folder.iterdir()}
    assert len(blob_names) == len(KEYS)
    assert all(len(name) == 32 and all(c in "0123456789abcdef" for c in name) for name in blob_names)
    # Nothing appeared outside the state folder (the worker folder lives under tmp_path)...
    assert all_files(tmp_path) == before
    # ...and inside it, only the bucket's database files, blobs and the blob folder's lock file.
    for path in state_root.rglob("*"):
        assert (path.is_dir() or path.parent == store.blobs.folder or path.name.startswith("my-bucket.sqlite")
                or path.name == "blobs.lock")
    assert not os.path.exists("/tmp/escape")


async def test_keys_that_differ_only_by_nul_are_distinct(bucket):
    await bucket.put("a", "1")
    await bucket.put("a\x00", "2")
    await bucket.put("a\x00b", "3")
    assert [await (await bucket.get(k)).text() for k in ("a", "a\x00", "a\x00b")] == ["1", "2", "3"]


async def test_prefix_with_sql_like_wildcards_is_literal(bucket):
    for key in ("a%b", "axb", "a_c", "abc"):
        await bucket.put(key, key)
    assert [o.key for o in (await bucket.list(prefix="a%")).objects] == ["a%b"]
    assert [o.key for o in (await bucket.list(prefix="a_")).objects] == ["a_c"]


async def test_lone_surrogate_key_is_kept_as_workerd_sends_it(bucket):
    key = "broken\ud800"
    await bucket.put(key, "v")
    # V8 sends the key as WTF-8, which R2 stores as three U+FFFD: either spelling finds it
    assert (await bucket.head(key)).key == "broken\ufffd\ufffd\ufffd"
    assert (await bucket.head("broken\ufffd\ufffd\ufffd")).key == "broken\ufffd\ufffd\ufffd"
    assert await bucket.head("broken\ufffd") is None
