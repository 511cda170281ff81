"""``pyflare kv key put|get|list|delete`` on local state, and that a worker sees what it wrote."""

from __future__ import annotations

import asyncio
import json

import pytest

from pyflare import Pyflare
from pyflare.cli import main


@pytest.fixture
def project(worker_dir, kv_worker):
    """A project folder with one KV namespace; returns the config path."""
    return worker_dir(*kv_worker)


def kv(*args):
    return main(["kv", "key", *args])


def test_put_then_get_prints_the_value(project, capsys):
    assert kv("put", "--binding", "KV", "greeting", "hello", "--config", str(project)) == 0
    capsys.readouterr()
    assert kv("get", "--binding", "KV", "greeting", "-c", str(project)) == 0
    assert capsys.readouterr().out == "hello"


def test_binding_may_be_omitted_with_one_namespace(project, capsys):
    assert kv("put", "k", "v", "-c", str(project)) == 0
    capsys.readouterr()
    assert kv("get", "k", "-c", str(project)) == 0
    assert capsys.readouterr().out == "v"


def test_binding_is_required_with_several_namespaces(worker_dir, kv_worker, capsys):
    config, files = kv_worker
    path = worker_dir(config + '\n[[kv_namespaces]]\nbinding = "OTHER"\nid = "other"\n', files)
    assert kv("put", "k", "v", "-c", str(path)) == 2
    assert "choose one with --binding" in capsys.readouterr().err
    assert kv("put", "--binding", "OTHER", "k", "v", "-c", str(path)) == 0


def test_unknown_binding_is_an_error(project, capsys):
    assert kv("get", "--binding", "NOPE", "k", "-c", str(project)) == 2
    assert "no KV namespace bound as 'NOPE'" in capsys.readouterr().err


def test_value_put_by_the_cli_is_seen_by_a_worker_on_the_same_state(project):
    assert (
        kv(
            "put",
            "--binding",
            "KV",
            "k",
            "from-cli",
            "--ttl",
            "600",
            "--metadata",
            '{"by": "cli"}',
            "-c",
            str(project),
        )
        == 0
    )

    async def read():
        async with Pyflare(project, persist_to=project.parent / ".pyflare" / "state") as mf:
            return await mf.env.KV.getWithMetadata("k")

    assert asyncio.run(read()) == {"value": "from-cli", "metadata": {"by": "cli"}, "cacheStatus": None}


def test_value_put_by_a_worker_is_read_by_the_cli(project, tmp_path, capsys):
    state = tmp_path / "elsewhere"

    async def write():
        async with Pyflare(project, persist_to=state) as mf:
            await mf.env.KV.put("k", "from-worker")

    asyncio.run(write())
    assert kv("get", "k", "-c", str(project), "--persist-to", str(state)) == 0
    assert capsys.readouterr().out == "from-worker"


def test_get_of_a_missing_key_fails(project, capsys):
    assert kv("get", "missing", "-c", str(project)) == 1
    assert "Value not found" in capsys.readouterr().err


def test_list_prints_json_and_filters_by_prefix(project, capsys):
    for key in ("user:2", "user:1", "other"):
        kv("put", key, "v", "-c", str(project))
    kv("put", "user:3", "v", "--metadata", '{"a": 1}', "-c", str(project))
    capsys.readouterr()
    assert kv("list", "--prefix", "user:", "-c", str(project)) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"name": "user:1"},
        {"name": "user:2"},
        {"name": "user:3", "metadata": {"a": 1}},
    ]


def test_delete_removes_the_key(project, capsys):
    kv("put", "k", "v", "-c", str(project))
    assert kv("delete", "--binding", "KV", "k", "-c", str(project)) == 0
    assert kv("get", "k", "-c", str(project)) == 1


def test_put_from_a_file(project, tmp_path, capsys):
    source = tmp_path / "blob.bin"
    source.write_bytes(b"\x00\x01binary")
    assert kv("put", "bin", "--path", str(source), "-c", str(project)) == 0
    capsys.readouterr()
    assert kv("get", "bin", "-c", str(project)) == 0
    assert capsys.readouterr().out == "\x00\x01binary"


def test_limits_apply_with_cloudflare_texts(project, capsys):
    assert kv("put", "k", "v", "--ttl", "30", "-c", str(project)) == 1
    assert "KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60." in (
        capsys.readouterr().err
    )
    assert kv("put", "k", "v", "--metadata", "{not json", "-c", str(project)) == 2


def test_config_without_kv_is_an_error(worker_dir, capsys):
    path = worker_dir('name = "x"\nmain = "src/entry.py"\n', {"src/entry.py": ""})
    assert kv("list", "-c", str(path)) == 2
    assert "no [[kv_namespaces]]" in capsys.readouterr().err
