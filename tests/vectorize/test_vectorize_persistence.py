"""Durability and isolation: indexes survive restarts and kill -9, tests do not share them, mutations are
processed on pyflare's clock, and one process sees another's writes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap

from tests.vectorize.conftest import PLAIN_ENTRY, index_config

from pyflare import Clock, Pyflare

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from pyflare import Pyflare

    async def main(config, state):
        async with Pyflare(config, persist_to=state) as mf:
            i = 0
            while True:
                await mf.env.VECTORS.insert([{"id": f"v{i:06d}", "values": [1, i, 0, 0], "metadata": {"i": i}}])
                print(i, flush=True)  # acknowledged: the insert returned
                i += 1

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_vectors_and_metadata_indexes_survive_a_restart(worker_dir, vectorize_worker, tmp_path, backend):
    config = worker_dir(*vectorize_worker)
    state = tmp_path / "state"
    async with Pyflare(config, persist_to=state, clock="manual") as mf:
        await mf.env.VECTORS.insert([{"id": "a", "values": [1, 0, 0, 0], "metadata": {"category": "news"},
                                      "namespace": "ns"}, {"id": "gone", "values": [0, 1, 0, 0]}])
        await mf.env.VECTORS.deleteByIds(["gone"])
    async with Pyflare(config, persist_to=state) as mf:
        index = mf.env.VECTORS
        assert (await index.describe()).vectorCount == 1
        result = await index.query([1, 0, 0, 0], filter={"category": "news"}, returnMetadata="all")
        assert result.matches == [{"id": "a", "score": 1.0, "metadata": {"category": "news"}, "namespace": "ns"}]


async def test_the_index_file_is_plain_sqlite(worker_dir, vectorize_worker, tmp_path):
    config = worker_dir(*vectorize_worker)
    state = tmp_path / "state"
    async with Pyflare(config, persist_to=state) as mf:
        await mf.env.VECTORS.insert([{"id": "a", "values": [1, 0, 0, 0]}])
    with sqlite3.connect(state / "vectorize" / "docs.sqlite") as db:
        assert db.execute("SELECT name, dimensions, metric, vector_count FROM vectorize_index").fetchall() == [
            ("docs", 4, "cosine", 1)]
        assert db.execute("SELECT id, length(vals) FROM vectors").fetchall() == [("a", 16)]


def test_acknowledged_inserts_survive_kill_9(worker_dir, vectorize_worker, tmp_path):
    import asyncio

    config = worker_dir(*vectorize_worker)
    state = tmp_path / "state"
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(config), str(state)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    acknowledged = -1
    try:
        assert child.stdout is not None
        for line in child.stdout:
            acknowledged = int(line)
            if acknowledged >= 40:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert acknowledged >= 40, child.stderr.read() if child.stderr else ""

    async def check() -> None:
        async with Pyflare(config, persist_to=state) as mf:
            found = await mf.env.VECTORS.getByIds([f"v{i:06d}" for i in range(acknowledged - 19, acknowledged + 1)])
            assert len(found) == 20
            assert (await mf.env.VECTORS.describe()).vectorCount >= acknowledged + 1

    asyncio.run(check())


async def test_each_pyflare_without_persist_to_has_its_own_indexes(worker_dir, vectorize_worker):
    config = worker_dir(*vectorize_worker)
    async with Pyflare(config) as first, Pyflare(config) as second:
        await first.env.VECTORS.insert([{"id": "a", "values": [1, 0, 0, 0]}])
        assert (await second.env.VECTORS.describe()).vectorCount == 0
        assert (await first.env.VECTORS.describe()).vectorCount == 1


async def test_a_mutation_delay_makes_mutations_visible_later_on_pyflares_clock(start_worker, backend):
    mf = await start_worker(index_config(extra="mutation_delay = 5"), {"src/entry.py": PLAIN_ENTRY}, clock="manual")
    index = mf.env.VECTORS
    first = (await index.insert([{"id": "a", "values": [1, 0, 0, 0]}]))["mutationId"]
    assert (await index.query([1, 0, 0, 0])).count == 0
    assert (await index.describe()).vectorCount == 0
    mf.clock.advance(3)
    second = (await index.upsert([{"id": "a", "values": [0, 1, 0, 0]}]))["mutationId"]
    mf.clock.advance(2)  # the insert is due, the upsert not yet
    assert (await index.getByIds(["a"]))[0]["values"] == [1.0, 0.0, 0.0, 0.0]
    assert (await index.describe()).processedUpToMutation == first
    mf.clock.advance(3)
    assert (await index.query([0, 1, 0, 0], topK=1)).matches[0].score == 1.0
    info = await index.describe()
    assert info.processedUpToMutation == second and info.vectorCount == 1


async def test_pending_mutations_survive_a_restart(worker_dir, tmp_path):
    config = worker_dir(index_config(extra="mutation_delay = 60"), {"src/entry.py": PLAIN_ENTRY})
    state = tmp_path / "state"
    clock = Clock(manual=True)
    async with Pyflare(config, persist_to=state, clock=clock) as mf:
        await mf.env.VECTORS.insert([{"id": "a", "values": [1, 0, 0, 0]}])
    async with Pyflare(config, persist_to=state, clock=clock) as mf:
        assert (await mf.env.VECTORS.describe()).vectorCount == 0
        clock.advance(60)
        assert [m.id for m in (await mf.env.VECTORS.query([1, 0, 0, 0])).matches] == ["a"]


async def test_a_process_sees_what_another_wrote_to_the_same_state(worker_dir, vectorize_worker, tmp_path, backend):
    config = worker_dir(*vectorize_worker)
    state = tmp_path / "state"
    async with Pyflare(config, persist_to=state) as server, Pyflare(config, persist_to=state) as cli:
        await server.env.VECTORS.insert([{"id": "a", "values": [1, 0, 0, 0]}])
        assert (await server.env.VECTORS.query([1, 0, 0, 0])).count == 1  # the server's table is loaded
        await cli.env.VECTORS.insert([{"id": "b", "values": [0.9, 0.1, 0, 0]}])
        assert [m.id for m in (await server.env.VECTORS.query([1, 0, 0, 0])).matches] == ["a", "b"]
        await cli.env.VECTORS.deleteByIds(["a"])
        assert [m.id for m in (await server.env.VECTORS.query([1, 0, 0, 0])).matches] == ["b"]


async def test_two_workers_binding_one_index_share_it(tmp_path, backend):
    def folder(name: str) -> str:
        path = tmp_path / name
        (path / "src").mkdir(parents=True)
        (path / "src" / "entry.py").write_text(PLAIN_ENTRY)
        (path / "wrangler.toml").write_text(index_config().replace('name = "vectorize-test"', f'name = "{name}"'))
        return str(path / "wrangler.toml")

    async with Pyflare([folder("writer"), folder("reader")], clock="manual") as mf:
        await mf.env.VECTORS.insert([{"id": "a", "values": [1, 0, 0, 0]}])
        assert (await mf.worker("reader").env.VECTORS.query([1, 0, 0, 0])).count == 1


async def test_a_deleted_metadata_index_stays_deleted_after_a_restart(worker_dir, vectorize_worker, tmp_path,
                                                                      backend):
    from pyflare.bindings.vectorize import catalog_for

    config = worker_dir(*vectorize_worker)
    state = tmp_path / "state"
    news = {"id": "a", "values": [1, 0, 0, 0], "metadata": {"category": "news", "year": 2020}}
    async with Pyflare(config, persist_to=state) as mf:
        await mf.env.VECTORS.insert([news])
        await catalog_for(mf.platform).require("docs").delete_metadata_index("category")
    # the config declares "category" again, so it is created again at start: vectors written before are not in it
    async with Pyflare(config, persist_to=state) as mf:
        index = mf.env.VECTORS
        assert (await index.query([1, 0, 0, 0], filter={"category": "news"})).count == 0
        assert (await index.query([1, 0, 0, 0], returnMetadata="indexed")).matches[0].metadata == {"year": 2020}
        await index.upsert([news])
        assert (await index.query([1, 0, 0, 0], filter={"category": "news"})).count == 1
