"""Durability: state survives a restart and a kill -9; where namespaces live on disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from pyflare import Pyflare

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from pyflare import Pyflare

    async def main(config, state):
        async with Pyflare(config, persist_to=state) as mf:
            i = 0
            while True:
                await mf.env.KV.put(f"key-{i:06d}", f"value-{i}", metadata={"i": i})
                print(i, flush=True)  # acknowledged: the put returned
                i += 1

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_values_survive_a_restart(worker_dir, kv_worker, tmp_path):
    config = worker_dir(*kv_worker)
    state = tmp_path / "state"
    async with Pyflare(config, persist_to=state, clock="manual") as mf:
        await mf.env.KV.put("k", "v", expirationTtl=3600, metadata={"m": 1})
        await mf.env.KV.put("gone", "v")
        await mf.env.KV.delete("gone")
    async with Pyflare(config, persist_to=state) as mf:
        assert await mf.env.KV.getWithMetadata("k") == {
            "value": "v",
            "metadata": {"m": 1},
            "cacheStatus": None,
        }
        assert await mf.env.KV.get("gone") is None
        assert [k["name"] for k in (await mf.env.KV.list())["keys"]] == ["k"]


async def test_acknowledged_puts_survive_kill_9(worker_dir, kv_worker, tmp_path):
    config = worker_dir(*kv_worker)
    state = tmp_path / "state"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(config), str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acknowledged = -1
    try:
        assert child.stdout is not None
        for line in child.stdout:
            acknowledged = int(line)
            if acknowledged >= 200:
                break
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""
    assert acknowledged >= 200
    async with Pyflare(config, persist_to=state) as mf:
        kv = mf.env.KV
        for i in range(acknowledged + 1):
            assert await kv.get(f"key-{i:06d}") == f"value-{i}"
        assert (await kv.getWithMetadata(f"key-{acknowledged:06d}")).metadata == {"i": acknowledged}


async def test_namespace_is_one_sqlite_file_named_after_its_id(worker_dir, kv_worker, tmp_path):
    config = worker_dir(*kv_worker)
    async with Pyflare(config, persist_to=tmp_path / "state") as mf:
        await mf.env.KV.put("k", "v")
    assert (tmp_path / "state" / "kv" / "test-namespace.sqlite").is_file()


async def test_bindings_with_the_same_id_share_data_and_without_id_use_the_binding_name(
    start_worker, kv_worker
):
    config, files = kv_worker
    config += '\n[[kv_namespaces]]\nbinding = "SAME"\nid = "test-namespace"\n'
    config += '\n[[kv_namespaces]]\nbinding = "OTHER"\n'
    mf = await start_worker(config, files)
    await mf.env.KV.put("k", "v")
    assert await mf.env.SAME.get("k") == "v"
    assert await mf.env.OTHER.get("k") is None
    await mf.env.OTHER.put("k", "other")
    assert mf.env.OTHER._store.db.path == mf.storage.root / "kv" / "OTHER.sqlite"
    assert await mf.env.KV.get("k") == "v"


async def test_fresh_storage_is_isolated_between_instances(worker_dir, kv_worker):
    config = worker_dir(*kv_worker)
    async with Pyflare(config) as mf:
        await mf.env.KV.put("k", "v")
    async with Pyflare(config) as mf:
        assert await mf.env.KV.get("k") is None
