"""Restart and crash safety: acknowledged puts survive kill -9; a crash mid-put never mixes values
and leaves no orphaned blob after the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from pyflare import Pyflare
from pyflare.bindings.r2 import R2Plugin


def store_of(mf):
    return mf.plugin(R2Plugin).stores["my-bucket"]


async def test_objects_survive_restart(config, tmp_path):
    state = tmp_path / "state"
    async with Pyflare(config, persist_to=state) as mf:
        await mf.env.BUCKET.put("k", "kept", httpMetadata={"contentType": "text/plain"})
        upload = await mf.env.BUCKET.createMultipartUpload("mp")
        part = await upload.uploadPart(1, b"part")
        upload_id = upload.uploadId
    async with Pyflare(config, persist_to=state) as mf:
        got = await mf.env.BUCKET.get("k")
        assert await got.text() == "kept"
        assert got.httpMetadata == {"contentType": "text/plain"}
        # An in-progress upload's parts are kept across restarts (GC must not take them).
        resumed = mf.env.BUCKET.resumeMultipartUpload("mp", upload_id)
        await resumed.complete([part])
        assert await (await mf.env.BUCKET.get("mp")).text() == "part"


async def test_state_is_plain_files(config, tmp_path):
    state = tmp_path / "state"
    async with Pyflare(config, persist_to=state) as mf:
        await mf.env.BUCKET.put("k", "v")
    assert (state / "r2" / "my-bucket.sqlite").is_file()
    assert len(list((state / "r2" / "my-bucket" / "blobs").iterdir())) == 1


async def test_orphaned_blobs_are_collected_on_start(config, tmp_path):
    state = tmp_path / "state"
    async with Pyflare(config, persist_to=state) as mf:
        await mf.env.BUCKET.put("k", "v")
        store = store_of(mf)
        store.blobs.put_bytes(b"orphan")  # as if the process died before committing its row
        (store.blobs.folder / ".tmp-deadbeef").write_bytes(b"half")
        folder = store.blobs.folder
    assert len(list(folder.iterdir())) == 3
    async with Pyflare(config, persist_to=state) as mf:
        assert len(list(folder.iterdir())) == 1
        assert await (await mf.env.BUCKET.get("k")).text() == "v"


WRITER = """
import asyncio, sys
from pyflare import Pyflare

async def main(config, state, mode):
    mf = Pyflare(config, persist_to=state)
    await mf.start(load_worker=False)
    bucket = mf.env.BUCKET
    if mode == "acked":
        for i in range(1000000):
            await bucket.put(f"key-{i}", f"value-{i}" * 100)
            print(f"ACK {i}", flush=True)
    else:
        async def stream():
            yield b"N" * 1_000_000
            print("STREAMING", flush=True)
            while True:  # the parent kills us here, mid-put
                yield b"N" * 65536
                await asyncio.sleep(0)
        await bucket.put("k", stream())

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
"""


def run_until(config: Path, state: Path, mode: str, line_wanted, tmp_path: Path) -> list[str]:
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(WRITER))
    proc = subprocess.Popen(
        [sys.executable, str(script), str(config), str(state), mode],
        stdout=subprocess.PIPE, text=True,
    )
    lines = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())
            if line_wanted(lines):
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    return lines


async def test_acknowledged_puts_survive_sigkill(config, tmp_path):
    state = tmp_path / "state"
    lines = run_until(config, state, "acked", lambda lines: len(lines) >= 20, tmp_path)
    acked = [int(line.split()[1]) for line in lines if line.startswith("ACK")]
    assert len(acked) >= 20
    async with Pyflare(config, persist_to=state) as mf:
        for i in acked:
            got = await mf.env.BUCKET.get(f"key-{i}")
            assert got is not None, f"acknowledged key-{i} was lost"
            assert await got.text() == f"value-{i}" * 100
        # Whatever was mid-flight is either absent or whole, and no blob is orphaned.
        listed = (await mf.env.BUCKET.list()).objects
        for obj in listed:
            assert obj.size == len(f"value-{obj.key[4:]}") * 100
        store = store_of(mf)
        assert len(list(store.blobs.folder.iterdir())) == len(listed)


async def test_crash_mid_put_keeps_old_object_and_leaves_no_orphan(config, tmp_path):
    state = tmp_path / "state"
    async with Pyflare(config, persist_to=state) as mf:
        await mf.env.BUCKET.put("k", "old value")
        folder = store_of(mf).blobs.folder
    run_until(config, state, "crash", lambda lines: lines[-1] == "STREAMING", tmp_path)
    assert any(p.name.startswith(".tmp-") for p in folder.iterdir())  # the half-written blob
    async with Pyflare(config, persist_to=state) as mf:
        assert await (await mf.env.BUCKET.get("k")).text() == "old value"
        assert len(list(folder.iterdir())) == 1
