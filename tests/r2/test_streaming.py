"""Large objects stream: put and get never hold the whole value in memory."""

from __future__ import annotations

import hashlib
import tracemalloc

SIZE = 128 * 1024 * 1024
CHUNK = 1024 * 1024
LIMIT = 16 * 1024 * 1024  # peak traced memory allowed while moving 128 MiB


async def generated():
    block = bytes(range(256)) * (CHUNK // 256)
    for i in range(SIZE // CHUNK):
        yield block[i % 256 :] + block[: i % 256]


async def test_large_put_and_get_stream_with_low_memory(bucket):
    expected = hashlib.md5()
    async for chunk in generated():
        expected.update(chunk)

    tracemalloc.start()
    try:
        obj = await bucket.put("big", generated())
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        got = await bucket.get("big")
        digest, size = hashlib.md5(), 0
        async for chunk in got.body:
            digest.update(chunk)
            size += len(chunk)
        _, get_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert obj.size == SIZE and size == SIZE
    assert obj.etag == expected.hexdigest() == digest.hexdigest()
    assert put_peak < LIMIT, f"put peaked at {put_peak / 2**20:.1f} MiB"
    assert get_peak < LIMIT, f"get peaked at {get_peak / 2**20:.1f} MiB"
