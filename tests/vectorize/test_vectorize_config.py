"""Declaring local indexes in the config, and what a worker sees when its index is missing or changed."""

from __future__ import annotations

import pytest
from tests.vectorize.conftest import PLAIN_ENTRY, index_config

from pyflare import Pyflare
from pyflare.bindings.vectorize.errors import IndexConfigMismatchError, IndexNotFoundError
from pyflare.config import ConfigError

FILES = {"src/entry.py": PLAIN_ENTRY}

BINDING_ONLY = """
name = "vectorize-test"
main = "src/entry.py"
compatibility_flags = ["python_workers"]

[[vectorize]]
binding = "VECTORS"
index_name = "docs"
"""


async def test_a_preset_sets_dimensions_and_metric(start_worker):
    config = BINDING_ONLY + '[pyflare.vectorize.docs]\npreset = "@cf/baai/bge-small-en-v1.5"\n'
    mf = await start_worker(config, FILES)
    assert (await mf.env.VECTORS.describe()).dimensions == 384


@pytest.mark.parametrize(("declaration", "message"), [
    ("dimensions = 4", "You must provide both dimensions and a metric, or a known model preset"),
    ('dimensions = 1537\nmetric = "cosine"', "dimensions must be a whole number from 1 to 1536, got 1537"),
    ('dimensions = 4\nmetric = "manhattan"', 'unknown metric "manhattan"'),
    ('preset = "openai/gpt-5"', 'unknown preset "openai/gpt-5"'),
    ('dimensions = 4\nmetric = "cosine"\nmetadata_indexes = { tag = "date" }', "invalid metadata index type 'date'"),
])
async def test_a_bad_declaration_is_a_config_error_naming_the_key(worker_dir, declaration, message):
    path = worker_dir(BINDING_ONLY + "[pyflare.vectorize.docs]\n" + declaration + "\n", FILES)
    with pytest.raises(ConfigError, match="pyflare.vectorize.docs: ") as caught:
        async with Pyflare(path):
            pass
    assert message in str(caught.value)


async def test_an_undeclared_missing_index_says_how_to_create_it(start_worker, pyflare_log):
    mf = await start_worker(BINDING_ONLY, FILES)
    assert 'the Vectorize index "docs" does not exist in local state' in pyflare_log.text
    with pytest.raises(IndexNotFoundError, match=r"pyflare vectorize create docs --dimensions=768 --metric=cosine"):
        await mf.env.VECTORS.query([1.0])


def test_an_index_created_by_the_cli_is_found_without_a_declaration(worker_dir, tmp_path):
    import asyncio

    from pyflare.cli import main

    path = worker_dir(BINDING_ONLY, FILES)
    state = tmp_path / "state"
    assert main(["vectorize", "create", "docs", "--dimensions=2", "--metric=euclidean", "-c", str(path),
                 "--persist-to", str(state)]) == 0

    async def use() -> None:
        async with Pyflare(path, persist_to=state) as mf:
            await mf.env.VECTORS.insert([{"id": "a", "values": [3, 4]}])
            assert (await mf.env.VECTORS.query([0, 0])).matches[0].score == 5.0

    asyncio.run(use())


async def test_a_declaration_that_disagrees_with_the_stored_index_is_an_error_on_use(worker_dir, tmp_path,
                                                                                    pyflare_log):
    state = tmp_path / "state"
    async with Pyflare(worker_dir(index_config(dimensions=4), FILES), persist_to=state):
        pass
    async with Pyflare(worker_dir(index_config(dimensions=8), FILES), persist_to=state) as mf:
        assert "declares 8 dimensions" in pyflare_log.text
        with pytest.raises(IndexConfigMismatchError, match="pyflare vectorize delete docs"):
            await mf.env.VECTORS.describe()


async def test_declared_metadata_indexes_are_created(start_worker):
    from pyflare.bindings.vectorize import catalog_for

    mf = await start_worker(index_config(extra='metadata_indexes = { "a.b" = "number", c = "boolean" }'), FILES)
    assert await catalog_for(mf.platform).require("docs").metadata_indexes() == {"a.b": "number", "c": "boolean"}


async def test_the_banner_shows_the_index_as_local(start_worker):
    from pyflare.cli.banner import banner_rows

    mf = await start_worker(index_config(), FILES)
    [row] = [r for r in banner_rows(mf.config, mf.env) if r.name == "VECTORS"]
    assert (row.kind, row.resource, row.mode) == ("Vectorize Index", "docs", "local")


async def test_a_binding_name_cannot_be_used_twice(worker_dir):
    path = worker_dir(index_config() + '\n[[kv_namespaces]]\nbinding = "VECTORS"\nid = "x"\n', FILES)
    with pytest.raises(ConfigError, match='binding "VECTORS" is already used'):
        Pyflare(path)
