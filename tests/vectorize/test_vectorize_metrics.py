"""Scores and order for each distance metric, as Cloudflare's docs define them."""

from __future__ import annotations

import math

import pytest

# Cloudflare's "Introduction to Vectorize" tutorial: a 32-dimension euclidean index, five vectors, and a query
# vector the docs say is "closest to vector ID 4", answering 4 (0.46348256), 3 (0.52920616), 2 (0.6337869).
TUTORIAL = {
    "1": [0.12, 0.45, 0.67, 0.89, 0.23, 0.56, 0.34, 0.78, 0.12, 0.9, 0.24, 0.67, 0.89, 0.35, 0.48, 0.7, 0.22, 0.58,
          0.74, 0.33, 0.88, 0.66, 0.45, 0.27, 0.81, 0.54, 0.39, 0.76, 0.41, 0.29, 0.83, 0.55],
    "2": [0.14, 0.23, 0.36, 0.51, 0.62, 0.47, 0.59, 0.74, 0.33, 0.89, 0.41, 0.53, 0.68, 0.29, 0.77, 0.45, 0.24, 0.66,
          0.71, 0.34, 0.86, 0.57, 0.62, 0.48, 0.78, 0.52, 0.37, 0.61, 0.69, 0.28, 0.8, 0.53],
    "3": [0.21, 0.33, 0.55, 0.67, 0.8, 0.22, 0.47, 0.63, 0.31, 0.74, 0.35, 0.53, 0.68, 0.45, 0.55, 0.7, 0.28, 0.64,
          0.71, 0.3, 0.77, 0.6, 0.43, 0.39, 0.85, 0.55, 0.31, 0.69, 0.52, 0.29, 0.72, 0.48],
    "4": [0.17, 0.29, 0.42, 0.57, 0.64, 0.38, 0.51, 0.72, 0.22, 0.85, 0.39, 0.66, 0.74, 0.32, 0.53, 0.48, 0.21, 0.69,
          0.77, 0.34, 0.8, 0.55, 0.41, 0.29, 0.7, 0.62, 0.35, 0.68, 0.53, 0.3, 0.79, 0.49],
    "5": [0.11, 0.46, 0.68, 0.82, 0.27, 0.57, 0.39, 0.75, 0.16, 0.92, 0.28, 0.61, 0.85, 0.4, 0.49, 0.67, 0.19, 0.58,
          0.76, 0.37, 0.83, 0.64, 0.53, 0.3, 0.77, 0.54, 0.43, 0.71, 0.36, 0.26, 0.8, 0.53],
}
TUTORIAL_QUERY = [0.13, 0.25, 0.44, 0.53, 0.62, 0.41, 0.59, 0.68, 0.29, 0.82, 0.37, 0.5, 0.74, 0.46, 0.57, 0.64,
                  0.28, 0.61, 0.73, 0.35, 0.78, 0.58, 0.42, 0.32, 0.77, 0.65, 0.49, 0.54, 0.31, 0.29, 0.71, 0.57]


async def test_euclidean_scores_are_distances_smallest_first_as_in_cloudflares_tutorial(make_index):
    index = await make_index(dimensions=32, metric="euclidean")
    await index.insert([{"id": i, "values": v} for i, v in TUTORIAL.items()])
    result = await index.query(TUTORIAL_QUERY, topK=3, returnValues=True, returnMetadata="all")
    assert [m.id for m in result.matches] == ["4", "3", "2"]
    # Cloudflare's scores are approximate (0.46348256, 0.52920616, 0.6337869); pyflare's are exact
    assert [m.score for m in result.matches] == pytest.approx([0.46348256, 0.52920616, 0.6337869], abs=2e-3)


async def test_euclidean_distance_of_a_vector_to_itself_is_zero(make_index):
    index = await make_index(dimensions=32, metric="euclidean")
    await index.insert([{"id": i, "values": v} for i, v in TUTORIAL.items()])
    assert (await index.queryById("5", topK=1)).matches[0].score == 0.0


async def test_cosine_scores_are_similarities_highest_first(make_index):
    index = await make_index(metric="cosine")
    await index.insert([{"id": "same", "values": [2, 0, 0, 0]}, {"id": "diagonal", "values": [1, 1, 0, 0]},
                        {"id": "orthogonal", "values": [0, 3, 0, 0]}, {"id": "opposite", "values": [-1, 0, 0, 0]}])
    matches = (await index.query([5, 0, 0, 0])).matches
    assert [(m.id, m.score) for m in matches] == [("same", 1.0), ("diagonal", pytest.approx(math.sqrt(0.5), abs=1e-7)),
                                                  ("orthogonal", 0.0), ("opposite", -1.0)]


async def test_dot_product_scores_are_negative_dot_products_lowest_first(make_index):
    # "Negative dot product. Larger negative values or smaller positive values denote more similar vectors."
    index = await make_index(metric="dot-product")
    await index.insert([{"id": "big", "values": [10, 0, 0, 0]}, {"id": "small", "values": [1, 0, 0, 0]},
                        {"id": "against", "values": [-3, 0, 0, 0]}])
    matches = (await index.query([2, 0, 0, 0])).matches
    assert [(m.id, m.score) for m in matches] == [("big", -20.0), ("small", -2.0), ("against", 6.0)]


async def test_the_search_finds_the_true_nearest_among_many_vectors(make_index, backend):
    import random

    rng = random.Random(7)
    index = await make_index(dimensions=16, metric="euclidean")
    vectors = {str(i): [rng.uniform(-1, 1) for _ in range(16)] for i in range(300)}
    for start in range(0, 300, 100):
        await index.insert([{"id": i, "values": v} for i, v in list(vectors.items())[start:start + 100]])
    query = [rng.uniform(-1, 1) for _ in range(16)]
    expected = sorted(vectors, key=lambda i: (math.dist(vectors[i], query), i))[:10]
    assert [m.id for m in (await index.query(query, topK=10)).matches] == expected
