"""The ``pyflare`` command reads like wrangler's: help texts, argument errors, flags, and the local-state
commands wrangler users reach for (kv namespace/bulk, r2 bucket list, d1 list/info, init)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from tests.conftest import write_worker
from tests.core.test_cli_dev import DevProcess

import pyflare
from pyflare.cli import build_parser, main

CONFIG = """
name = "cli"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[kv_namespaces]]
binding = "KV"
id = "kv-one"

[[kv_namespaces]]
binding = "CACHE"
id = "kv-two"

[[r2_buckets]]
binding = "FILES"
bucket_name = "files"

[[d1_databases]]
binding = "DB"
database_name = "app-db"
database_id = "0000-app"
"""
ENTRY = {"src/entry.py": "from workers import Response\ndef on_fetch(request):\n    return Response('x')\n"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_worker(tmp_path / "p", CONFIG, ENTRY)


def every_parser(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from every_parser(sub)


def test_every_help_text_is_plain_text_with_wranglers_sections():
    parsers = list(every_parser(build_parser()))
    assert len(parsers) > 20
    for parser in parsers:
        text = parser.format_help()
        for markup in ("``", ":func:", ":class:", ":meth:"):
            assert markup not in text, (parser.prog, markup)
        assert "OPTIONS:" in text and "Show help" in text
        for action in parser._actions:  # wrangler's help texts are sentences
            assert not action.help or action.help == argparse.SUPPRESS or not action.help[0].islower(), action.help
    top = build_parser().format_help()
    for command in ("init", "dev", "kv", "r2", "d1"):
        assert f"\n  {command} " in top
    assert top.index("COMMANDS:") < top.index("OPTIONS:")


def test_an_unknown_flag_prints_the_subcommands_usage(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["kv", "key", "put", "k", "v", "--bogus"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: pyflare kv key put ")
    assert "pyflare kv key put: error: unrecognized arguments: --bogus" in err


def test_a_command_imports_only_its_own_module_and_a_typo_still_lists_every_command():
    # `pyflare dev` starts faster without the other commands' modules; their help is still one typo away
    script = (
        "import sys\n"
        "from pyflare.cli import main\n"
        "try:\n    main(['dev', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('pyflare.cli.') and m != 'pyflare.cli.common'))\n"
        "main(['dve'])\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(pyflare.__file__).parents[1])})
    loaded = result.stdout.strip().splitlines()[-1]
    assert "pyflare.cli.dev" in loaded and "pyflare.cli.kv" not in loaded and "pyflare.cli.d1" not in loaded
    assert "invalid choice: 'dve'" in result.stderr and "'kv'" in result.stderr and result.returncode == 2


def test_a_command_group_alone_prints_its_own_help(capsys):
    assert main(["r2"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: pyflare r2 ") and "object" in out and "bucket" in out


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_bad_port_is_a_clear_error_not_a_traceback(port, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["dev", "--port", port])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "pyflare dev: error: argument --port:" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["dev", "--local", "--test-scheduled"],
    ["kv", "key", "list", "--local"],
    ["kv", "bulk", "put", "f.json", "--local", "--namespace-id", "x"],
    ["r2", "object", "get", "b/k", "--local"],
    ["r2", "bucket", "list", "--local"],
    ["d1", "list", "--local"],
    ["d1", "execute", "DB", "--command", "SELECT 1", "--local"],
])
def test_local_is_accepted_everywhere(argv):
    args = build_parser().parse_args(argv)
    assert args.local is True


def test_remote_is_refused_with_a_clear_message(project, capsys):
    assert main(["kv", "key", "list", "--remote", "-b", "KV", "-c", str(project)]) == 2
    assert "--remote is not supported" in capsys.readouterr().err


def test_kv_namespace_list_prints_the_configs_namespaces_as_json(project, capsys):
    assert main(["kv", "namespace", "list", "-c", str(project)]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"id": "kv-one", "title": "KV", "supports_url_encoding": True},
        {"id": "kv-two", "title": "CACHE", "supports_url_encoding": True},
    ]


def test_namespace_id_selects_a_namespace_like_binding_does(project, capsys):
    assert main(["kv", "key", "put", "k", "by-id", "--namespace-id", "kv-two", "-c", str(project)]) == 0
    capsys.readouterr()
    assert main(["kv", "key", "get", "k", "--binding", "CACHE", "-c", str(project)]) == 0
    assert capsys.readouterr().out == "by-id"
    assert main(["kv", "key", "get", "k", "--binding", "KV", "-c", str(project)]) == 1  # the other namespace


def test_namespace_id_not_in_the_config_opens_that_local_namespace(project, capsys):
    assert main(["kv", "key", "put", "k", "v", "--namespace-id", "elsewhere", "-c", str(project)]) == 0
    capsys.readouterr()
    assert main(["kv", "key", "get", "k", "--namespace-id", "elsewhere", "-c", str(project)]) == 0
    assert capsys.readouterr().out == "v"


def test_binding_and_namespace_id_together_are_refused(project, capsys):
    assert main(["kv", "key", "get", "k", "-b", "KV", "--namespace-id", "kv-one", "-c", str(project)]) == 2
    assert "either --binding or --namespace-id" in capsys.readouterr().err


def test_kv_bulk_put_writes_wranglers_json_format(project, tmp_path, capsys):
    import asyncio

    from pyflare import Pyflare

    data = tmp_path / "bulk.json"
    data.write_text(json.dumps([
        {"key": "plain", "value": "text"},
        {"key": "binary", "value": "AAH/", "base64": True},
        {"key": "meta", "value": "v", "metadata": {"a": 1}, "expiration_ttl": 3600},
    ]))
    assert main(["kv", "bulk", "put", str(data), "-b", "KV", "-c", str(project)]) == 0
    assert capsys.readouterr().out.strip() == "Success!"

    async def check() -> None:
        async with Pyflare(project, persist_to=project.parent / ".pyflare" / "state") as mf:
            assert await mf.env.KV.get("plain") == "text"
            assert await mf.env.KV.get("binary", "arrayBuffer") == b"\x00\x01\xff"
            meta = await mf.env.KV.getWithMetadata("meta")
            assert meta.metadata == {"a": 1}
            listed = await mf.env.KV.list(prefix="meta")
            assert listed.keys[0].expiration is not None

    asyncio.run(check())


def test_kv_bulk_put_rejects_bad_items_with_wranglers_message(project, tmp_path, capsys):
    data = tmp_path / "bulk.json"
    data.write_text(json.dumps([{"key": "ok", "value": "v"}, {"key": "k"}, 123]))
    assert main(["kv", "bulk", "put", str(data), "-b", "KV", "-c", str(project)]) == 1
    err = capsys.readouterr().err
    assert f'Unexpected JSON input from "{data}".\nEach item in the array should be an object that matches:' in err
    assert 'The item at index 1 is {"key":"k"}\nThe item at index 2 is 123' in err
    data.write_text(json.dumps({"key": "k", "value": "v"}))
    assert main(["kv", "bulk", "put", str(data), "-b", "KV", "-c", str(project)]) == 1
    assert 'Expected an array of key-value objects but got type "object".' in capsys.readouterr().err
    assert main(["kv", "key", "get", "ok", "-b", "KV", "-c", str(project)]) == 1  # nothing was written


def test_kv_bulk_delete_takes_strings_or_objects_with_a_name(project, tmp_path, capsys):
    for key in ("a", "b", "c"):
        assert main(["kv", "key", "put", key, "v", "-b", "KV", "-c", str(project)]) == 0
    data = tmp_path / "keys.json"
    data.write_text(json.dumps(["a", {"name": "b"}]))
    assert main(["kv", "bulk", "delete", str(data), "-b", "KV", "--force", "-c", str(project)]) == 0
    capsys.readouterr()
    assert main(["kv", "key", "list", "-b", "KV", "-c", str(project)]) == 0
    assert [k["name"] for k in json.loads(capsys.readouterr().out)] == ["c"]
    data.write_text(json.dumps(["a", 5]))
    assert main(["kv", "bulk", "delete", str(data), "-b", "KV", "-f", "-c", str(project)]) == 1
    assert 'The item at index 1 is type: "number" - 5' in capsys.readouterr().err


def test_r2_bucket_list(project, capsys):
    assert main(["r2", "bucket", "list", "-c", str(project)]) == 0
    out = capsys.readouterr().out
    assert "name:           files" in out and "bindings:       FILES" in out


def test_d1_list_and_info(project, capsys):
    assert main(["d1", "execute", "DB", "--command", "CREATE TABLE t (a)", "-c", str(project)]) == 0
    capsys.readouterr()
    assert main(["d1", "list", "--json", "-c", str(project)]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["uuid"] == "0000-app" and listed["name"] == "app-db" and listed["num_tables"] == 1
    assert listed["database_size"] > 0 and listed["file"].endswith("app-db.sqlite")
    assert main(["d1", "info", "app-db", "-c", str(project)]) == 0
    table = capsys.readouterr().out
    assert "│ DB            │ 0000-app" in table and "│ num_tables    │ 1 " in table
    assert main(["d1", "info", "nope", "-c", str(project)]) == 1
    assert "Couldn't find a D1 DB with the name or binding 'nope'" in capsys.readouterr().err


def test_init_scaffolds_a_project_whose_test_passes_and_which_serves(pytester, capsys):
    folder = pytester.path / "My Worker"
    assert main(["init", str(folder)]) == 0
    assert "Next steps:" in capsys.readouterr().out
    config = (folder / "wrangler.toml").read_text()
    assert 'name = "my-worker"' in config and 'compatibility_flags = ["python_workers"]' in config
    pytester.chdir()
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", "-p", "no:asyncio", "--rootdir", str(folder), "-c",
                                str(folder / "pyproject.toml"), str(folder))
    result.assert_outcomes(passed=2)
    proc = DevProcess(folder / "wrangler.toml", "--no-reload", "--no-persist")
    assert proc.get("/?name=you").text == "Hello, you!"
    proc.stop()
    assert main(["init", str(folder)]) == 1  # never overwrites
    assert "never overwrites" in capsys.readouterr().err


def test_test_scheduled_serves_the_scheduled_path(tmp_path):
    config = write_worker(tmp_path / "w", CONFIG, {"src/entry.py": """
from workers import Response, WorkerEntrypoint
RAN = []
class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(",".join(RAN) or "worker")
    async def scheduled(self, controller, env, ctx):
        RAN.append(controller.cron)
"""})
    proc = DevProcess(config, "--no-reload", "--no-persist", "--test-scheduled")
    assert httpx.get(proc.url + "/__scheduled", params={"cron": "*/5 * * * *"}, timeout=5).status_code == 200
    assert proc.get("/").text == "*/5 * * * *"
    proc.stop()
