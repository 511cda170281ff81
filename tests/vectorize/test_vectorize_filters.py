"""Metadata filters: operators, nesting, types, metadata indexes, and the filter's own rules."""

from __future__ import annotations

import pytest

from pyflare.bindings.vectorize import VectorizeError

DOCS = [
    {"id": "a", "values": [1, 0, 0, 0], "metadata": {"category": "news", "year": 2020, "draft": False,
                                                      "author": {"name": "Ada"}}},
    {"id": "b", "values": [0.9, 0.1, 0, 0], "metadata": {"category": "tech", "year": 2021, "draft": True,
                                                          "author": {"name": "Bob"}}},
    {"id": "c", "values": [0.8, 0.2, 0, 0], "metadata": {"category": "netflix", "year": 2022}},
    {"id": "d", "values": [0.7, 0.3, 0, 0], "metadata": {"category": "neutral", "year": "2023"}},
    {"id": "e", "values": [0.6, 0.4, 0, 0]},
]


@pytest.fixture
async def filled(index):
    await index.insert(DOCS)
    return index


async def ids(index, flt, **options):
    return [m.id for m in (await index.query([1, 0, 0, 0], topK=20, filter=flt, **options)).matches]


@pytest.mark.parametrize(("flt", "expected"), [
    ({"category": "news"}, ["a"]),  # implicit $eq
    ({"category": {"$eq": "tech"}}, ["b"]),
    ({"category": {"$ne": "news"}}, ["b", "c", "d", "e"]),  # a vector without the property is "not news"
    ({"category": {"$in": ["news", "tech"]}}, ["a", "b"]),
    ({"category": {"$nin": ["news", "tech"]}}, ["c", "d", "e"]),
    ({"year": {"$gt": 2020}}, ["b", "c"]),  # "2023" is a string: numbers compare with numbers only
    ({"year": {"$gte": 2020, "$lt": 2022}}, ["a", "b"]),
    ({"year": {"$lte": 2021}}, ["a", "b"]),
    ({"year": 2021.0}, ["b"]),
    ({"category": {"$gte": "net", "$lt": "neu"}}, ["c"]),  # the docs' prefix search
    ({"category": {"$lt": "news"}}, ["c", "d"]),  # strings order lexicographically: "neutral" < "news"
    ({"draft": True}, ["b"]),
    ({"draft": {"$ne": True}}, ["a", "c", "d", "e"]),
    ({"author.name": "Ada"}, ["a"]),  # a dot nests: {"author": {"name": "Ada"}}
    ({"category": "news", "year": 2020}, ["a"]),  # keys are ANDed
    ({"category": "news", "year": 2021}, []),
    ({"category": None}, ["e"]),  # null matches vectors without the property
    ({"category": {"$in": [None, "tech"]}}, ["b", "e"]),
    ({"draft": 1}, []),  # true is not 1
    ({"year": "2020"}, []),  # "2020" is not 2020
])
async def test_filters(filled, flt, expected):
    assert await ids(filled, flt) == expected


async def test_a_filter_applies_after_the_namespace(index):
    await index.insert([{"id": "x", "values": [1, 0, 0, 0], "namespace": "n1", "metadata": {"category": "news"}},
                        {"id": "y", "values": [1, 0, 0, 0], "namespace": "n2", "metadata": {"category": "news"}}])
    assert await ids(index, {"category": "news"}, namespace="n2") == ["y"]


async def test_top_k_is_taken_from_the_filtered_set(filled):
    # "filter is applied first, and the topK results are taken from the filtered set"
    assert [m.id for m in (await filled.query([1, 0, 0, 0], topK=1, filter={"category": "tech"})).matches] == ["b"]


async def test_a_property_without_a_metadata_index_cannot_be_filtered_on(filled):
    # Cloudflare filters only on properties with a metadata index ("to filter on another metadata property of
    # your vectors, you'll need to create a metadata index"): no vector is indexed under "unindexed".
    await filled.upsert([{"id": "f", "values": [1, 0, 0, 0], "metadata": {"unindexed": "x"}}])
    assert await ids(filled, {"unindexed": "x"}) == []
    assert len(await ids(filled, {"unindexed": {"$ne": "x"}})) == 6


async def test_strings_are_filtered_on_their_first_64_bytes(index):
    long = "z" * 64
    await index.insert([{"id": "one", "values": [1, 0, 0, 0], "metadata": {"category": long + "one"}},
                        {"id": "two", "values": [1, 0, 0, 0], "metadata": {"category": long + "two"}}])
    assert await ids(index, {"category": long + "three"}) == ["one", "two"]


async def test_vectors_written_before_a_metadata_index_existed_are_not_in_it(start_worker, vectorize_worker,
                                                                             backend):
    from pyflare.bindings.vectorize import catalog_for

    config, files = vectorize_worker
    mf = await start_worker(config, files, clock="manual")
    index = mf.env.VECTORS
    await index.insert([{"id": "old", "values": [1, 0, 0, 0], "metadata": {"tag": "t"}}])
    store = catalog_for(mf.platform).require("docs")
    await store.create_metadata_index("tag", "string")
    await index.insert([{"id": "new", "values": [1, 0, 0, 0], "metadata": {"tag": "t"}}])
    assert await ids(index, {"tag": "t"}) == ["new"]
    await index.upsert([{"id": "old", "values": [1, 0, 0, 0], "metadata": {"tag": "t"}}])  # re-upserting indexes it
    assert await ids(index, {"tag": "t"}) == ["new", "old"]
    await store.delete_metadata_index("tag")
    assert await ids(index, {"tag": "t"}) == []
    assert (await index.query([1, 0, 0, 0], returnMetadata="indexed")).matches[0].metadata == {}


async def test_a_value_of_another_type_than_the_metadata_index_is_not_indexed(index):
    await index.insert([{"id": "n", "values": [1, 0, 0, 0], "metadata": {"category": 5}}])
    assert await ids(index, {"category": 5}) == []
    assert (await index.query([1, 0, 0, 0], returnMetadata="indexed")).matches[0].metadata == {}


@pytest.mark.parametrize(("flt", "why"), [
    ({}, "filter must be a non-empty object"),
    ("category", "filter must be a non-empty object"),
    ({"": 1}, "keys cannot be empty"),
    ({"$and": [1]}, 'starts with "$"'),
    ({'a"b': 1}, "double quote"),
    ({"a..b": 1}, "empty part"),
    ({"k" * 513: 1}, "keys are at most 512"),
    ({"category": {"$regex": "x"}}, "unknown operator '$regex'"),
    ({"category": {}}, "needs an operator"),
    ({"category": ["a", "b"]}, "use $in for a list"),
    ({"category": {"$in": "news"}}, "$in takes an array"),
    ({"year": {"$lt": True}}, "$lt takes a string or number"),
    ({"year": {"$gt": None}}, "$gt takes a string or number"),
    ({"category": {"$eq": {"x": 1}}}, "$eq takes a string, number, boolean or null"),
    ({"year": {"$eq": 1, "$lt": 3}}, "cannot be combined"),
    ({"year": {"$lt": 1, "$lte": 3}}, "cannot be combined"),
    ({"category": {"$in": ["x" * 2100]}}, "must be less than 2048 bytes"),
])
async def test_invalid_filters_are_refused(filled, flt, why):
    with pytest.raises(VectorizeError, match="VECTOR_QUERY_ERROR") as caught:
        await filled.query([1, 0, 0, 0], filter=flt)
    assert why in str(caught.value)


async def test_a_filter_just_under_2048_bytes_is_accepted(filled):
    flt = {"category": {"$in": ["x" * 2000]}}
    assert len('{"category":{"$in":["' + "x" * 2000 + '"]}}') < 2048
    assert await ids(filled, flt) == []
