"""Cloudflare's limits and errors: dimensions, ids, batches, topK, returnMetadata, metadata, namespaces."""

from __future__ import annotations

import math

import pytest

from pyflare.bindings.vectorize import VectorizeError
from pyflare.kernel.jserrors import JsException


def vector(vector_id="v", values=(1, 0, 0, 0), **fields):
    return {"id": vector_id, "values": list(values), **fields}


async def test_a_vector_of_the_wrong_size_is_refused_naming_it(index):
    with pytest.raises(VectorizeError) as caught:
        await index.insert([vector("ok"), vector("test.txt-chunk-0", [1, 2, 3])])
    assert str(caught.value) == ('VECTOR_INSERT_ERROR (code = 40012): invalid vector for id="test.txt-chunk-0", '
                                 "expected 4 dimensions, and got 3 dimensions")
    assert (await index.describe()).vectorCount == 0  # the whole batch is refused


async def test_a_query_vector_of_the_wrong_size_is_refused(index):
    with pytest.raises(VectorizeError) as caught:
        await index.query([])
    assert str(caught.value) == ("VECTOR_QUERY_ERROR (code = 40006): invalid query vector, expected 4 dimensions, "
                                 "and got 0 dimensions")


async def test_ids_are_at_most_64_bytes(index):
    await index.upsert([vector("é" * 32)])  # 64 bytes
    with pytest.raises(VectorizeError) as caught:
        await index.upsert([vector("x" * 65)])
    assert str(caught.value) == "VECTOR_UPSERT_ERROR (code = 40008): id too long; max is 64 bytes, got 65 bytes"


async def test_ids_cannot_be_empty(index):
    with pytest.raises(VectorizeError, match=r"VECTOR_INSERT_ERROR \(code = 40008\): id too short"):
        await index.insert([vector("")])


@pytest.mark.parametrize("bad", [
    {"id": 7, "values": [1, 0, 0, 0]},
    {"values": [1, 0, 0, 0]},
    {"id": "v", "values": [1, "0", 0, 0]},
    {"id": "v", "values": [1, True, 0, 0]},
    {"id": "v", "values": [1, math.nan, 0, 0]},
    {"id": "v", "values": [1, math.inf, 0, 0]},
    {"id": "v", "values": [1, 1e39, 0, 0]},  # beyond float32
    {"id": "v"},
    {"id": "v", "values": "1,0,0,0"},
    {"id": "v", "values": [1, 0, 0, 0], "namespace": 3},
    {"id": "v", "values": [1, 0, 0, 0], "metadata": "text"},
    "not an object",
])
async def test_what_json_cannot_carry_fails_the_services_parsing(index, bad):
    with pytest.raises(VectorizeError) as caught:
        await index.upsert([bad])
    assert str(caught.value) == "VECTOR_UPSERT_ERROR (code = 40023): failed to parse upsert vectors request in json format"


async def test_a_workers_batch_holds_at_most_1000_vectors(index):
    await index.insert([vector(str(i)) for i in range(1000)])
    with pytest.raises(VectorizeError, match=r"VECTOR_INSERT_ERROR \(code = 40007\): too many vectors in payload; "
                                             r"max vector count is 1000, got 1001"):
        await index.insert([vector(str(i)) for i in range(1001)])


async def test_get_by_ids_takes_at_most_20_ids(index):
    assert await index.getByIds([str(i) for i in range(20)]) == []
    with pytest.raises(VectorizeError) as caught:
        await index.getByIds([str(i) for i in range(34)])
    assert str(caught.value) == ("VECTOR_GET_ERROR (code = 40007): too many ids in payload; max id count is 20, "
                                 "got 34")


async def test_delete_by_ids_takes_at_most_100_ids(index):
    await index.deleteByIds([str(i) for i in range(100)])
    with pytest.raises(VectorizeError) as caught:
        await index.deleteByIds([str(i) for i in range(105)])
    assert str(caught.value) == ("VECTOR_DELETE_ERROR (code = 40007): too many ids in payload; max id count is "
                                 "100, got 105")


async def test_top_k_is_at_most_100(index):
    await index.query([1, 0, 0, 0], topK=100)
    await index.query([1, 0, 0, 0], topK=100, returnMetadata="indexed")  # indexed metadata is "free"
    with pytest.raises(VectorizeError) as caught:
        await index.query([1, 0, 0, 0], topK=200)
    assert str(caught.value) == "VECTOR_QUERY_ERROR (code = 40025): max top K is 100, but got 200"


@pytest.mark.parametrize("options", [{"returnValues": True}, {"returnMetadata": "all"}, {"returnMetadata": True}])
async def test_top_k_is_at_most_50_with_values_or_all_metadata(index, options):
    await index.query([1, 0, 0, 0], topK=50, **options)
    with pytest.raises(VectorizeError) as caught:
        await index.query([1, 0, 0, 0], topK=100, **options)
    assert str(caught.value) == (
        "VECTOR_QUERY_ERROR (code = 40025): with returnValues=true or returnMetadata=all, max top K is 50, but got "
        "100; for a top K up to 100, retry with returnValues=false and returnMetadata=indexed")


@pytest.mark.parametrize("top_k", [0, -1])
async def test_top_k_must_be_positive(index, top_k):
    with pytest.raises(VectorizeError, match=r"VECTOR_QUERY_ERROR \(code = 40025\): invalid topK"):
        await index.query([1, 0, 0, 0], topK=top_k)


@pytest.mark.parametrize(("option", "value"), [("topK", "5"), ("topK", 2.5), ("returnValues", "yes"),
                                               ("namespace", 5)])
async def test_options_of_the_wrong_type_fail_the_services_parsing(index, option, value):
    with pytest.raises(VectorizeError) as caught:
        await index.query([1, 0, 0, 0], {option: value})
    assert str(caught.value) == (f"VECTOR_QUERY_ERROR (code = 40026): Failed to parse the request body as JSON: "
                                 f"{option}: expected value")


async def test_return_metadata_false_is_refused_as_on_cloudflare(index):
    # workerd converts only a true boolean (to "all"); false reaches the V2 service, which refuses it
    with pytest.raises(VectorizeError) as caught:
        await index.query([1, 0, 0, 0], returnMetadata=False)
    assert str(caught.value) == ("VECTOR_QUERY_ERROR (code = 40026): Failed to parse the request body as JSON: "
                                 "returnMetadata: expected value")


@pytest.mark.parametrize(("value", "shown"), [("ALL", "ALL"), (1, "1"), ({"a": 1}, "[object Object]")])
async def test_an_unknown_return_metadata_level_is_refused_by_the_binding(index, value, shown):
    with pytest.raises(JsException) as caught:
        await index.query([1, 0, 0, 0], returnMetadata=value)
    assert str(caught.value) == ('Invalid returnMetadata option. Expected: true, false, "none", "indexed" or "all"; '
                                 f"got: {shown}")


async def test_metadata_is_at_most_10_kib_of_json(index):
    await index.insert([vector("fits", metadata={"t": "x" * (10240 - 8)})])  # {"t":"..."} is 10240 bytes
    with pytest.raises(VectorizeError, match=r'VECTOR_INSERT_ERROR \(code = 40010\): metadata too large for '
                                             r'id="big"; max is 10240 bytes of JSON, got 10241 bytes'):
        await index.insert([vector("big", metadata={"t": "x" * (10240 - 7)})])


@pytest.mark.parametrize(("metadata", "why"), [
    ({"": 1}, "keys cannot be empty"),
    ({"a.b": 1}, 'contains "."'),
    ({'a"b': 1}, "double quote"),
    ({"$set": 1}, 'starts with "$"'),
    ({"outer": {"in.ner": 1}}, 'contains "."'),
])
async def test_metadata_keys_follow_cloudflares_rules(index, metadata, why):
    with pytest.raises(VectorizeError, match=r"VECTOR_INSERT_ERROR \(code = 40011\)") as caught:
        await index.insert([vector(metadata=metadata)])
    assert why in str(caught.value)


async def test_namespaces_are_at_most_64_bytes(index):
    await index.insert([vector("ok", namespace="n" * 64)])
    with pytest.raises(VectorizeError, match=r"VECTOR_INSERT_ERROR \(code = 40009\): namespace too long; max is 64 "
                                             r"bytes, got 65 bytes"):
        await index.insert([vector("long", namespace="n" * 65)])


async def test_an_index_holds_at_most_50000_namespaces(index, monkeypatch):
    from pyflare.bindings.vectorize import constants

    monkeypatch.setattr(constants, "MAX_NAMESPACES", 3)  # the rule, at a size a test can reach
    await index.insert([vector(f"v{i}", namespace=f"n{i}") for i in range(3)])
    await index.insert([vector("again", namespace="n1")])  # a known namespace is fine
    with pytest.raises(VectorizeError, match=r"too many namespaces; an index holds at most 3 namespaces"):
        await index.insert([vector("new", namespace="n4")])


async def test_a_rejected_call_writes_nothing(index):
    await index.insert([vector("keep")])
    with pytest.raises(VectorizeError):
        await index.upsert([vector("keep", [0, 1, 0, 0]), vector("bad", [1])])
    assert (await index.getByIds(["keep"]))[0]["values"] == [1.0, 0.0, 0.0, 0.0]


async def test_vectors_must_be_a_list(index):
    with pytest.raises(TypeError, match="takes a list of vectors"):
        await index.insert(vector("single"))
