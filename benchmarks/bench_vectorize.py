"""Vectorize benchmark: a 100,000-vector development index of 768 dimensions, against baselines in the same run.

In one run, on one persisted index (cosine, a string metadata index on ``category``, 10 categories):

1. Insert throughput: ``await env.VECTORS.insert(batch)`` in Workers-sized batches of 1000 (checks, SQLite
   commit, in-memory table), against the storage floor: sqlite3 ``executemany`` of the same float32 blobs.
2. Query latency, topK=10, without and with a filter (``{"category": "c3"}``, 10% of the index), through the
   binding (query as a Python list, as a worker passes it), against a raw NumPy brute-force top-k over the
   same matrix (one matrix-vector product, ``argpartition``, the same filter as a boolean column).
3. Loading the index after a restart (the first query of a new process reads every vector from SQLite).
4. The pure-Python search (no NumPy): a few queries on the same index, to show what the fallback costs.

Run: ``python benchmarks/bench_vectorize.py [--vectors 100000] [--dimensions 768] [--queries 50]``
(needs NumPy; ``--python-queries 0`` skips the pure-Python part).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
from harness import ratio

from pyflare import Pyflare
from pyflare.bindings.vectorize import catalog_for, search

CONFIG = """
name = "bench-vectorize"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[vectorize]]
binding = "VECTORS"
index_name = "bench"

[pyflare.vectorize.bench]
dimensions = {dimensions}
metric = "cosine"
metadata_indexes = {{ category = "string" }}
"""

ENTRY = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""

BATCH = 1000
CATEGORIES = 10


def project(folder: Path, dimensions: int) -> Path:
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "entry.py").write_text(textwrap.dedent(ENTRY))
    config = folder / "wrangler.toml"
    config.write_text(CONFIG.format(dimensions=dimensions))
    return config


def summary(times: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p95 * 1000


def raw_top_k(matrix: np.ndarray, norms: np.ndarray, query: np.ndarray, k: int, rows: np.ndarray | None) -> list[int]:
    """The baseline: cosine top-k by one matrix-vector product over the rows (all of them when None)."""
    block, block_norms = (matrix, norms) if rows is None else (matrix[rows], norms[rows])
    scores = (block @ query) / (block_norms * np.linalg.norm(query))
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best])]
    return (best if rows is None else rows[best]).tolist()


async def run(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(7)
    n, d = args.vectors, args.dimensions
    matrix = rng.standard_normal((n, d), dtype=np.float32)
    categories = np.arange(n) % CATEGORIES
    queries = rng.standard_normal((args.queries, d), dtype=np.float32)
    print(f"Vectorize index: {n:,} vectors x {d} dimensions (cosine), topK=10, {args.queries} queries each")

    with tempfile.TemporaryDirectory(prefix="bench-vectorize-") as tmp:
        config = project(Path(tmp) / "worker", d)
        state = Path(tmp) / "state"

        # -- 1. inserts --------------------------------------------------------------------------
        baseline_db = sqlite3.connect(Path(tmp) / "floor.sqlite", isolation_level=None)
        baseline_db.execute("PRAGMA journal_mode=WAL")
        baseline_db.execute("CREATE TABLE vectors (id TEXT PRIMARY KEY, vals BLOB, metadata TEXT)")
        floor = 0.0
        for start in range(0, n, BATCH):
            rows = [(f"v{i}", matrix[i].tobytes(), f'{{"category":"c{categories[i]}"}}') for i in range(start, min(n, start + BATCH))]
            began = time.perf_counter()
            baseline_db.execute("BEGIN")
            baseline_db.executemany("INSERT INTO vectors VALUES (?, ?, ?)", rows)
            baseline_db.execute("COMMIT")
            floor += time.perf_counter() - began
        baseline_db.close()

        async with Pyflare(config, persist_to=state) as mf:
            index = mf.env.VECTORS
            spent = 0.0
            for start in range(0, n, BATCH):
                batch = [{"id": f"v{i}", "values": matrix[i].tolist(), "metadata": {"category": f"c{categories[i]}"}}
                         for i in range(start, min(n, start + BATCH))]
                began = time.perf_counter()
                await index.insert(batch)
                spent += time.perf_counter() - began
            print("\n1. insert (batches of 1000)              vectors/s")
            print(f"   sqlite3 executemany (storage floor)  {n / floor:>10,.0f}")
            print(f"   env.VECTORS.insert                   {n / spent:>10,.0f}   ({ratio(spent, floor)} the floor's time)")

            # -- 2. queries ------------------------------------------------------------------------
            began = time.perf_counter()
            await index.query(queries[0].tolist(), topK=10)
            first = time.perf_counter() - began
            norms = np.linalg.norm(matrix, axis=1)
            raw_medians: dict[str, float] = {}
            print("\n2. query, topK=10                       median ms    p95 ms   vs raw NumPy")
            for label, flt, rows in (("no filter", None, None), ('filter {"category": "c3"}', {"category": "c3"}, "c3")):
                raw_times, ours, agree = [], [], 0
                for q in queries:
                    began = time.perf_counter()
                    expected = raw_top_k(matrix, norms, q, 10, None if rows is None else np.flatnonzero(categories == 3))
                    raw_times.append(time.perf_counter() - began)
                    began = time.perf_counter()
                    result = await index.query(q.tolist(), topK=10, filter=flt)
                    ours.append(time.perf_counter() - began)
                    agree += [m.id for m in result.matches] == [f"v{i}" for i in expected]
                raw_median, raw_p95 = summary(raw_times)
                raw_medians[label] = raw_median
                median, p95 = summary(ours)
                print(f"   {label:<27} raw NumPy  {raw_median:>9.1f} {raw_p95:>9.1f}")
                print(f"   {'':<27} pyflare    {median:>9.1f} {p95:>9.1f}   {ratio(median, raw_median)}"
                      f"   (same top 10 in {agree}/{len(queries)})")
            print(f"   first query after the inserts (loads the table from SQLite): {first * 1000:,.0f} ms")

        # -- 3. a restart ---------------------------------------------------------------------------
        began = time.perf_counter()  # the floor: read the rows and make one matrix of them
        with sqlite3.connect(state / "vectorize" / "bench.sqlite") as db:
            rows = db.execute("SELECT id, namespace, vals, indexed FROM vectors").fetchall()
        np.frombuffer(b"".join(row[2] for row in rows), dtype="<f4").reshape(len(rows), d)
        floor_load = time.perf_counter() - began
        del rows
        async with Pyflare(config, persist_to=state) as mf:
            began = time.perf_counter()
            await mf.env.VECTORS.query(queries[0].tolist(), topK=10)
            load = time.perf_counter() - began
            print(f"\n3. first query after a restart (loads {n:,} vectors from SQLite): {load * 1000:,.0f} ms; "
                  f"sqlite3 reading the same rows into one matrix: {floor_load * 1000:,.0f} ms "
                  f"({ratio(load, floor_load)})")

            # -- 4. pure Python -------------------------------------------------------------------
            if args.python_queries:
                search.PREFER_NUMPY = False
                store = catalog_for(mf.main.platform).require("bench")
                store._table = None  # reload without NumPy
                began = time.perf_counter()
                await mf.env.VECTORS.query(queries[0].tolist(), topK=10)
                python_load = time.perf_counter() - began
                times = []
                for q in queries[1 : 1 + args.python_queries]:
                    began = time.perf_counter()
                    await mf.env.VECTORS.query(q.tolist(), topK=10)
                    times.append(time.perf_counter() - began)
                median, _ = summary(times)
                print(f"\n4. pure-Python search (no NumPy), {len(times)} queries, no filter: median {median:,.0f} ms "
                      f"({ratio(median, raw_medians['no filter'])} raw NumPy); first query, with the load: "
                      f"{python_load * 1000:,.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--dimensions", type=int, default=768)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--python-queries", type=int, default=3)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
