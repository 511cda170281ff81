"""``pyflare vectorize ...``: wrangler's vectorize commands on local state, seen by the worker too."""

from __future__ import annotations

import asyncio
import json

import pytest
from tests.vectorize.conftest import PLAIN_ENTRY

from pyflare import Pyflare
from pyflare.cli import main

CONFIG = """
name = "vectorize-cli"
main = "src/entry.py"
compatibility_flags = ["python_workers"]

[[vectorize]]
binding = "VECTORS"
index_name = "products"
"""


@pytest.fixture
def project(worker_dir):
    return worker_dir(CONFIG, {"src/entry.py": PLAIN_ENTRY})


@pytest.fixture
def vectorize(project, capsys):
    """``vectorize("create", "products", ...)`` -> (status, stdout, stderr), on the project's state."""

    def run(*args: str) -> tuple[int, str, str]:
        status = main(["vectorize", *args, "-c", str(project)])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def products(vectorize, tmp_path):
    assert vectorize("create", "products", "--dimensions=3", "--metric=cosine", "--description", "shop")[0] == 0
    assert vectorize("create-metadata-index", "products", "--property-name=color", "--type=string")[0] == 0
    lines = [{"id": "red-shirt", "values": [1, 0, 0], "metadata": {"color": "red"}},
             {"id": "blue-shirt", "values": [0, 1, 0], "metadata": {"color": "blue"}},
             {"id": "purple-hat", "values": [0.7, 0.7, 0], "metadata": {"color": "purple"}, "namespace": "hats"}]
    path = tmp_path / "products.ndjson"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def test_create_prints_wranglers_lines_and_the_binding_to_add(vectorize):
    status, out, _ = vectorize("create", "products", "--dimensions=768", "--metric=cosine")
    assert status == 0
    assert "🚧 Creating index: 'products'" in out
    assert "✅ Successfully created a new Vectorize index: 'products'" in out
    assert '[[vectorize]]\nbinding = "VECTORIZE"\nindex_name = "products"' in out


def test_create_with_json_prints_the_index(vectorize):
    status, out, _ = vectorize("create", "products", "--preset=@cf/baai/bge-base-en-v1.5", "--json")
    assert status == 0
    index = json.loads(out)
    assert index["name"] == "products" and index["config"] == {"dimensions": 768, "metric": "cosine"}


def test_create_refuses_a_second_index_of_the_same_name(vectorize):
    vectorize("create", "products", "--dimensions=3", "--metric=cosine")
    status, _, err = vectorize("create", "products", "--dimensions=3", "--metric=cosine")
    assert status == 1 and "already exists [code: 3002]" in err


def test_create_needs_dimensions_and_metric_or_a_preset(vectorize):
    status, _, err = vectorize("create", "products", "--dimensions=3")
    assert status == 1
    assert "You must provide both dimensions and a metric, or a known model preset" in err


def test_list_get_and_info(vectorize, products):
    status, out, _ = vectorize("list", "--json")
    [index] = json.loads(out)
    assert (index["name"], index["description"], index["config"]) == ("products", "shop",
                                                                     {"dimensions": 3, "metric": "cosine"})
    assert "│ products │ 3          │ cosine │ shop" in vectorize("list")[1]
    assert json.loads(vectorize("get", "products", "--json")[1]) == index
    assert vectorize("insert", "products", "--file", str(products))[0] == 0
    info = json.loads(vectorize("info", "products", "--json")[1])
    assert info["dimensions"] == 3 and info["vectorCount"] == 3 and info["processedUpToMutation"]


def test_insert_reads_ndjson_in_batches(vectorize, products):
    status, out, _ = vectorize("insert", "products", "--file", str(products), "--batch-size", "2")
    assert status == 0
    assert out.count("✨ Enqueued") == 2
    assert "✅ Successfully enqueued 3 vectors into index 'products' for insertion." in out
    assert json.loads(vectorize("upsert", "products", "--file", str(products), "--json")[1]) == {
        "index": "products", "count": 3}


def test_insert_refuses_batches_over_5000_and_empty_files(vectorize, products, tmp_path):
    assert "limit upload batches to 5000 records" in vectorize("insert", "products", "--file", str(products),
                                                               "--batch-size", "5001")[2]
    empty = tmp_path / "empty.ndjson"
    empty.write_text("")
    assert "🚨 Cannot read invalid or empty file" in vectorize("insert", "products", "--file", str(empty))[2]


def test_insert_reports_the_services_error(vectorize, products, tmp_path):
    bad = tmp_path / "bad.ndjson"
    bad.write_text(json.dumps({"id": "short", "values": [1, 0]}) + "\n")
    status, _, err = vectorize("insert", "products", "--file", str(bad))
    assert status == 1
    assert 'VECTOR_INSERT_ERROR (code = 40012): invalid vector for id="short", expected 3 dimensions' in err


def test_query_by_vector_and_by_id_with_filter_and_namespace(vectorize, products):
    vectorize("insert", "products", "--file", str(products))
    status, out, _ = vectorize("query", "products", "--vector", "1", "0.1", "0", "--top-k", "2",
                               "--return-metadata", "all")
    assert status == 0
    result = json.loads(out[out.index("{"):])
    assert [m["id"] for m in result["matches"]] == ["red-shirt", "purple-hat"]
    assert result["matches"][0]["metadata"] == {"color": "red"}
    out = vectorize("query", "products", "--vector-id", "red-shirt", "--filter", '{"color": {"$ne": "red"}}')[1]
    assert [m["id"] for m in json.loads(out[out.index("{"):])["matches"]] == ["purple-hat", "blue-shirt"]
    out = vectorize("query", "products", "--vector", "1", "0", "0", "--namespace", "hats")[1]
    assert [m["id"] for m in json.loads(out[out.index("{"):])["matches"]] == ["purple-hat"]
    assert "Could not find any relevant vectors" in vectorize("query", "products", "--vector", "1", "0", "0",
                                                              "--namespace", "shoes")[2]
    assert "Either vector or vector-id parameter must be provided" in vectorize("query", "products")[2]


def test_get_list_and_delete_vectors(vectorize, products):
    vectorize("insert", "products", "--file", str(products))
    out = vectorize("get-vectors", "products", "--ids", "blue-shirt", "nope")[1]
    assert json.loads(out[out.index("["):]) == [{"id": "blue-shirt", "values": [0.0, 1.0, 0.0],
                                                 "metadata": {"color": "blue"}}]
    page = json.loads(vectorize("list-vectors", "products", "--count", "2", "--json")[1])
    assert page["vectors"] == [{"id": "blue-shirt"}, {"id": "purple-hat"}] and page["isTruncated"] is True
    rest = json.loads(vectorize("list-vectors", "products", "--cursor", page["nextCursor"], "--json")[1])
    assert rest["vectors"] == [{"id": "red-shirt"}] and rest["totalCount"] == 3 and rest["isTruncated"] is False
    status, out, _ = vectorize("delete-vectors", "products", "--ids", "blue-shirt", "red-shirt")
    assert status == 0 and "Successfully enqueued 2 vectors into index 'products' for deletion" in out
    assert json.loads(vectorize("info", "products", "--json")[1])["vectorCount"] == 1


def test_metadata_indexes(vectorize, products):
    assert json.loads(vectorize("list-metadata-index", "products", "--json")[1]) == [
        {"propertyName": "color", "indexType": "string"}]
    status, out, _ = vectorize("delete-metadata-index", "products", "--property-name=color")
    assert status == 0 and "Successfully enqueued metadata index deletion request" in out
    assert "You haven't created any metadata indexes" in vectorize("list-metadata-index", "products")[2]
    status, _, err = vectorize("delete-metadata-index", "products", "--property-name=color")
    assert status == 1 and "[code: 40005]" in err


def test_at_most_ten_metadata_indexes(vectorize):
    vectorize("create", "products", "--dimensions=3", "--metric=cosine")
    for n in range(10):
        assert vectorize("create-metadata-index", "products", f"--property-name=p{n}", "--type=number")[0] == 0
    status, _, err = vectorize("create-metadata-index", "products", "--property-name=p10", "--type=number")
    assert status == 1 and "at most 10 metadata indexes" in err


def test_delete_removes_the_index_and_its_file(vectorize, project):
    vectorize("create", "products", "--dimensions=3", "--metric=cosine")
    status, out, _ = vectorize("delete", "products", "--force")
    assert status == 0 and "✅ Deleted index products" in out
    assert not (project.parent / ".pyflare" / "state" / "vectorize" / "products.sqlite").exists()
    status, _, err = vectorize("get", "products")
    assert status == 1 and "[code: 3000]" in err


def test_the_worker_sees_what_the_cli_inserted(vectorize, products, project):
    vectorize("insert", "products", "--file", str(products))

    async def query() -> list[str]:
        async with Pyflare(project, persist_to=project.parent / ".pyflare" / "state") as mf:
            result = await mf.env.VECTORS.query([0, 1, 0], topK=1, filter={"color": "blue"})
            return [m.id for m in result.matches]

    assert asyncio.run(query()) == ["blue-shirt"]
