"""State commands on a multi-worker setup: the same repeated ``-c`` as ``pyflare dev``, the state folder ``dev``
used (under the first config's folder), bindings looked up across the workers, and ambiguity as an error."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from tests.conftest import write_worker

from pyflare.cli import main
from pyflare.testing.server import PyflareServer

ENTRY = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        await self.env.USERS_KV.put("ada", "admin")
        await self.env.DB.exec("CREATE TABLE IF NOT EXISTS t (x INTEGER); INSERT INTO t VALUES (1);")
        return Response("ok")
"""

GATEWAY = """
name = "gateway"
main = "src/entry.py"
compatibility_date = "2025-11-01"
[[services]]
binding = "USERS"
service = "users"
[[kv_namespaces]]
binding = "CACHE"
id = "gateway-cache"
"""

USERS = """
name = "users"
main = "src/entry.py"
compatibility_date = "2025-11-01"
[[kv_namespaces]]
binding = "USERS_KV"
id = "users-kv"
[[kv_namespaces]]
binding = "CACHE"
id = "users-cache"
[[d1_databases]]
binding = "DB"
database_name = "users-db"
database_id = "00000000-0000-0000-0000-000000000002"
"""

GATEWAY_ENTRY = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.USERS.fetch(request)
"""


@pytest.fixture
def app(tmp_path: Path) -> tuple[Path, Path]:
    gateway = write_worker(tmp_path / "gateway", GATEWAY, {"src/entry.py": GATEWAY_ENTRY})
    users = write_worker(tmp_path / "users", USERS, {"src/entry.py": ENTRY})
    return gateway, users


def test_after_dev_with_two_configs_the_second_config_alone_finds_the_data(app, capsys):
    gateway, users = app
    state = gateway.parent / ".pyflare" / "state"  # where pyflare dev -c gateway -c users keeps both workers' state
    with PyflareServer([gateway, users], persist_to=state) as server:
        assert httpx.get(server.url + "/").text == "ok"
    capsys.readouterr()
    assert main(["kv", "key", "list", "--binding", "USERS_KV", "-c", str(users)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == [{"name": "ada"}]
    assert str(state) in captured.err  # it says where it looked
    assert main(["d1", "execute", "users-db", "--command", "SELECT x FROM t", "--json", "-c", str(users)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["results"] == [{"x": 1}]


def test_both_configs_look_the_binding_up_across_the_workers(app, capsys):
    gateway, users = app
    assert main(["kv", "key", "put", "--binding", "USERS_KV", "bo", "x", "-c", str(gateway), "-c", str(users)]) == 0
    capsys.readouterr()
    assert main(["kv", "key", "get", "--binding", "USERS_KV", "bo", "-c", str(gateway), "-c", str(users)]) == 0
    assert capsys.readouterr().out == "x"
    # the state is the first config's folder, as pyflare dev -c gateway -c users keeps it
    assert (gateway.parent / ".pyflare" / "state" / "kv").is_dir()
    assert not (users.parent / ".pyflare" / "state").exists()


def test_a_binding_two_workers_bind_to_different_storage_is_an_error_naming_them(app, capsys):
    gateway, users = app
    code = main(["kv", "key", "get", "--binding", "CACHE", "k", "-c", str(gateway), "-c", str(users)])
    assert code == 2
    err = capsys.readouterr().err
    assert 'several workers: "gateway"' in err and '"users"' in err and "CACHE" in err


def test_an_unknown_binding_across_workers_is_still_the_usual_error(app, capsys):
    gateway, users = app
    assert main(["kv", "key", "get", "--binding", "NOPE", "k", "-c", str(gateway), "-c", str(users)]) == 2
    assert "no KV namespace bound as 'NOPE'" in capsys.readouterr().err


def test_persist_to_overrides_the_note_dev_left(app, tmp_path, capsys):
    gateway, users = app
    with PyflareServer([gateway, users], persist_to=gateway.parent / ".pyflare" / "state") as server:
        httpx.get(server.url + "/")
    capsys.readouterr()
    other = tmp_path / "elsewhere"
    assert main(["kv", "key", "list", "--binding", "USERS_KV", "-c", str(users), "--persist-to", str(other)]) == 0
    assert json.loads(capsys.readouterr().out) == []
