"""The Workers API of a V2 index: insert, upsert, query, queryById, getByIds, deleteByIds, describe."""

from __future__ import annotations

import array
import uuid

import pytest

DOCS = [
    {"id": "a", "values": [1, 0, 0, 0], "metadata": {"category": "news", "year": 2020}},
    {"id": "b", "values": [0, 1, 0, 0], "metadata": {"category": "tech", "year": 2021}, "namespace": "team-1"},
    {"id": "c", "values": [1, 1, 0, 0], "metadata": {"category": "news", "year": 2022}},
]


async def test_insert_answers_with_a_mutation_id(index):
    result = await index.insert(DOCS)
    assert set(result) == {"mutationId"}
    assert uuid.UUID(result.mutationId).version == 4


async def test_describe_counts_vectors_and_names_the_last_mutation(index):
    mutation = (await index.insert(DOCS))["mutationId"]
    info = await index.describe()
    assert info == {"vectorCount": 3, "dimensions": 4, "processedUpToMutation": mutation,
                    "processedUpToDatetime": info.processedUpToDatetime}
    assert info.processedUpToDatetime.endswith("Z") and "T" in info.processedUpToDatetime


async def test_query_returns_the_nearest_first_with_ids_and_scores_only_by_default(index):
    await index.insert(DOCS)
    result = await index.query([1, 0.1, 0, 0])
    assert result.count == 3
    assert [m.id for m in result.matches] == ["a", "c", "b"]
    assert set(result.matches[0]) == {"id", "score"}
    assert result.matches[0].score == pytest.approx(0.995037, abs=1e-6)


async def test_query_options_come_as_a_dict_or_as_keywords(index):
    await index.insert(DOCS)
    by_dict = await index.query([1, 0.1, 0, 0], {"topK": 1, "returnValues": True})
    by_keywords = await index.query([1, 0.1, 0, 0], topK=1, returnValues=True)
    assert by_dict == by_keywords == {"count": 1, "matches": [{"id": "a", "score": by_dict.matches[0].score,
                                                               "values": [1.0, 0.0, 0.0, 0.0]}]}


async def test_top_k_defaults_to_five(index):
    await index.insert([{"id": str(i), "values": [1, i, 0, 0]} for i in range(8)])
    assert (await index.query([1, 0, 0, 0])).count == 5


async def test_values_come_back_at_float32_precision(index):
    await index.insert([{"id": "x", "values": [58.8, 6.7, 3.4, 0.1]}])
    [vector] = await index.getByIds(["x"])
    # as Cloudflare's docs show them: 58.8 stored as float32 reads back as 58.79999923706055
    assert vector["values"] == [58.79999923706055, 6.699999809265137, 3.4000000953674316, 0.10000000149011612]


async def test_values_may_be_tuples_arrays_or_numpy_arrays(index):
    numpy = pytest.importorskip("numpy")
    await index.upsert([{"id": "t", "values": (1, 2, 3, 4)}, {"id": "arr", "values": array.array("d", [1, 2, 3, 4])},
                        {"id": "np", "values": numpy.array([1, 2, 3, 4], dtype=numpy.float64)}])
    found = await index.getByIds(["t", "arr", "np"])
    assert [v["values"] for v in found] == [[1.0, 2.0, 3.0, 4.0]] * 3


async def test_return_metadata_all_gives_the_whole_metadata(index):
    await index.insert([{"id": "m", "values": [1, 0, 0, 0],
                         "metadata": {"category": "x" * 100, "other": {"deep": [1, 2]}, "author": {"name": "Ada"}}}])
    [match] = (await index.query([1, 0, 0, 0], returnMetadata="all")).matches
    assert match.metadata == {"category": "x" * 100, "other": {"deep": [1, 2]}, "author": {"name": "Ada"}}
    assert match.metadata.author.name == "Ada"  # objects allow attribute access, as on Cloudflare


async def test_return_metadata_indexed_gives_the_indexed_fields_with_strings_cut_to_64_bytes(index):
    await index.insert([{"id": "m", "values": [1, 0, 0, 0],
                         "metadata": {"category": "é" * 40, "other": "not indexed", "author": {"name": "Ada"}}}])
    [match] = (await index.query([1, 0, 0, 0], returnMetadata="indexed")).matches
    # 40 two-byte characters are 80 bytes: 32 characters fit in 64 bytes
    assert match.metadata == {"category": "é" * 32, "author": {"name": "Ada"}}


async def test_return_metadata_true_means_all_and_none_leaves_it_out(index):
    await index.insert(DOCS)
    assert (await index.query([1, 0, 0, 0], topK=1, returnMetadata=True)).matches[0].metadata == DOCS[0]["metadata"]
    assert "metadata" not in (await index.query([1, 0, 0, 0], topK=1, returnMetadata="none")).matches[0]


async def test_matches_of_a_namespaced_vector_name_its_namespace(index):
    await index.insert(DOCS)
    matches = (await index.query([0, 1, 0, 0], topK=1)).matches
    assert matches == [{"id": "b", "score": 1.0, "namespace": "team-1"}]


async def test_insert_leaves_existing_ids_alone_and_keeps_the_first_of_a_batch(index):
    await index.insert([{"id": "a", "values": [1, 0, 0, 0], "metadata": {"v": 1}}])
    await index.insert([{"id": "a", "values": [0, 1, 0, 0], "metadata": {"v": 2}},
                        {"id": "n", "values": [0, 0, 1, 0], "metadata": {"v": 1}},
                        {"id": "n", "values": [0, 0, 0, 1], "metadata": {"v": 2}}])
    found = {v["id"]: v for v in await index.getByIds(["a", "n"])}
    assert found["a"]["metadata"] == {"v": 1} and found["a"]["values"] == [1.0, 0.0, 0.0, 0.0]
    assert found["n"]["metadata"] == {"v": 1} and found["n"]["values"] == [0.0, 0.0, 1.0, 0.0]
    assert (await index.describe()).vectorCount == 2


async def test_upsert_replaces_the_whole_vector_and_keeps_the_last_of_a_batch(index):
    await index.insert([{"id": "a", "values": [1, 0, 0, 0], "metadata": {"keep": "no"}, "namespace": "ns"}])
    await index.upsert([{"id": "a", "values": [0, 1, 0, 0], "metadata": {"v": 1}},
                        {"id": "a", "values": [0, 0, 1, 0], "metadata": {"v": 2}}])
    assert await index.getByIds(["a"]) == [{"id": "a", "values": [0.0, 0.0, 1.0, 0.0], "metadata": {"v": 2}}]
    assert (await index.query([0, 0, 1, 0], topK=1)).matches[0].id == "a"
    assert (await index.query([0, 0, 1, 0], namespace="ns")).count == 0
    assert (await index.describe()).vectorCount == 1


async def test_get_by_ids_returns_the_stored_vectors_in_the_order_asked_and_skips_unknown_ones(index):
    await index.insert(DOCS)
    found = await index.getByIds(["c", "nope", "b", "c"])
    assert [v["id"] for v in found] == ["c", "b"]
    assert found[1] == {"id": "b", "values": [0.0, 1.0, 0.0, 0.0], "namespace": "team-1",
                        "metadata": {"category": "tech", "year": 2021}}


async def test_delete_by_ids_removes_vectors_from_queries_and_counts(index):
    await index.insert(DOCS)
    result = await index.deleteByIds(["a", "not-there"])
    assert set(result) == {"mutationId"}
    assert [m.id for m in (await index.query([1, 0, 0, 0])).matches] == ["c", "b"]
    assert await index.getByIds(["a"]) == []
    assert (await index.describe()).vectorCount == 2


async def test_deleted_rows_leave_the_rest_searchable(index):
    await index.insert([{"id": str(i), "values": [1, i, i % 3, 1]} for i in range(50)])
    await index.deleteByIds([str(i) for i in range(0, 50, 2)])
    await index.upsert([{"id": "49", "values": [0, 0, 0, 1]}])
    result = await index.query([1, 7, 1, 1], topK=3, returnValues=True)
    assert [m.id for m in result.matches][0] == "7"
    assert result.matches[0]["values"] == [1.0, 7.0, 1.0, 1.0]
    assert (await index.query([0, 0, 0, 1], topK=1)).matches[0].id == "49"
    assert (await index.describe()).vectorCount == 25


async def test_query_by_id_searches_with_the_stored_vector(index):
    await index.insert(DOCS)
    result = await index.queryById("c", topK=2)
    assert [m.id for m in result.matches] == ["c", "a"]
    assert result.matches[0].score == 1.0


async def test_query_by_an_unknown_id_finds_nothing(index):
    await index.insert(DOCS)
    assert await index.queryById("nope") == {"matches": [], "count": 0}


async def test_namespace_limits_the_search_to_its_vectors(index):
    await index.insert(DOCS + [{"id": "d", "values": [1, 0, 0, 0], "namespace": "team-2"}])
    assert [m.id for m in (await index.query([1, 0, 0, 0], namespace="team-2")).matches] == ["d"]
    assert (await index.query([1, 0, 0, 0], namespace="nobody")).count == 0
    assert (await index.query([1, 0, 0, 0])).count == 4  # no namespace: the whole index


async def test_an_empty_index_finds_nothing(index):
    assert await index.query([1, 0, 0, 0]) == {"matches": [], "count": 0}
    assert (await index.describe()).vectorCount == 0


async def test_ties_are_ordered_by_id(index):
    await index.insert([{"id": i, "values": [1, 0, 0, 0]} for i in ("b", "c", "a")])
    assert [m.id for m in (await index.query([1, 0, 0, 0])).matches] == ["a", "b", "c"]


async def test_a_zero_vector_has_cosine_zero(index):
    await index.insert([{"id": "zero", "values": [0, 0, 0, 0]}, {"id": "one", "values": [1, 0, 0, 0]}])
    matches = (await index.query([1, 0, 0, 0])).matches
    assert [(m.id, m.score) for m in matches] == [("one", 1.0), ("zero", 0.0)]
    assert [m.score for m in (await index.query([0, 0, 0, 0])).matches] == [0.0, 0.0]


async def test_the_worker_uses_the_binding_as_on_cloudflare(start_worker, vectorize_worker, backend):
    config, _ = vectorize_worker
    entry = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        await self.env.VECTORS.upsert([{"id": "doc-1", "values": [0.1, 0.2, 0.3, 0.4],
                                        "metadata": {"category": "news"}}])
        matches = await self.env.VECTORS.query([0.1, 0.2, 0.3, 0.4], topK=1, returnMetadata="all",
                                               filter={"category": "news"})
        best = matches.matches[0]
        return Response.json({"id": best.id, "score": best.score, "category": best.metadata.category})
"""
    mf = await start_worker(config, {"src/entry.py": entry}, clock="manual")
    assert (await mf.dispatch_fetch("/")).json() == {"id": "doc-1", "score": 1.0, "category": "news"}


async def test_the_in_memory_table_follows_every_mutation(index, backend):
    """Random inserts, upserts and deletes, each followed by queries (so the table is live and updated in
    place): results always equal a brute-force search over a plain model of the index."""
    import math
    import random

    rng = random.Random(3)
    model: dict[str, tuple[list[float], str | None, str]] = {}

    def cosine(a, b):
        norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
        return sum(x * y for x, y in zip(a, b, strict=True)) / norms if norms else 0.0

    for step in range(60):
        batch = [{"id": f"v{rng.randrange(40)}", "values": [float(rng.randrange(-5, 6)) for _ in range(4)],
                  "namespace": rng.choice([None, "a", "b"]), "metadata": {"category": rng.choice(["x", "y", "z"])}}
                 for _ in range(rng.randrange(1, 6))]
        action = rng.choice(["insert", "upsert", "delete"])
        if action == "delete":
            ids = [v["id"] for v in batch]
            await index.deleteByIds(ids)
            for vector_id in ids:
                model.pop(vector_id, None)
        else:
            await getattr(index, action)([{k: v for k, v in item.items() if v is not None} for item in batch])
            seen: set[str] = set()  # insert: the first of an id wins and stored ids stay; upsert: the last wins
            for item in batch:
                if action == "insert" and (item["id"] in model or item["id"] in seen):
                    continue
                seen.add(item["id"])
                model[item["id"]] = (item["values"], item["namespace"], item["metadata"]["category"])
        query = [float(rng.randrange(-5, 6)) for _ in range(4)]
        namespace = rng.choice([None, "a"])
        category = rng.choice([None, "x"])
        options = {"topK": 100}
        if namespace:
            options["namespace"] = namespace
        if category:
            options["filter"] = {"category": category}
        found = [(m.id, m.score) for m in (await index.query(query, options)).matches]
        candidates = [(i, cosine(v, query)) for i, (v, ns, cat) in model.items()
                      if (namespace is None or ns == namespace) and (category is None or cat == category)]
        expected = sorted(candidates, key=lambda item: (-item[1], item[0]))
        assert [i for i, _ in found] == [i for i, _ in expected], f"step {step}"
        assert [s for _, s in found] == pytest.approx([s for _, s in expected], abs=1e-6)
        assert (await index.describe()).vectorCount == len(model)


async def test_the_pure_python_search_says_once_that_numpy_would_be_faster(index, monkeypatch, pyflare_log):
    from pyflare.bindings.vectorize import constants, search

    monkeypatch.setattr(search, "PREFER_NUMPY", False)
    monkeypatch.setattr(constants, "SLOW_SEARCH_HINT_AT", 10)
    await index.insert([{"id": str(i), "values": [1, i, 0, 0]} for i in range(10)])
    await index.query([1, 0, 0, 0])
    await index.query([1, 0, 0, 0])
    hints = [line for line in pyflare_log.lines if "NumPy is not installed" in line]
    assert len(hints) == 1 and "'docs' holds 10 vectors" in hints[0]
