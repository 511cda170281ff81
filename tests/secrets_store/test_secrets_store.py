"""Secrets Store: env.<binding>.get() reads the local store that the CLI and tests fill; wrangler's limits."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.bindings.secrets_store import SecretsStoreApiError, SecretsStorePlugin
from pyflare.cli import main
from pyflare.config import ConfigError
from pyflare.instance import DEFAULT_PERSIST

WORKER = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        try:
            value = await self.env.API_KEY.get()
        except Exception as error:
            return Response(str(error), status=500)
        return Response(value)
"""

CONFIG = """
name = "secrets"
main = "src/entry.py"

[[secrets_store_secrets]]
binding = "API_KEY"
store_id = "0123456789abcdef0123456789abcdef"
secret_name = "stripe-key"
"""
STORE = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_worker(tmp_path / "w", CONFIG, {"src/entry.py": WORKER})


async def test_a_missing_secret_throws_the_bindings_error(config: Path) -> None:
    async with Pyflare(config, clock="manual") as mf:
        response = await mf.dispatch_fetch("/")
        assert response.status_code == 500
        assert response.text == 'Secret "stripe-key" not found'


async def test_a_created_secret_is_read_and_updates_are_seen(config: Path) -> None:
    async with Pyflare(config, clock="manual") as mf:
        api = mf.plugin(SecretsStorePlugin).api("API_KEY")
        secret_id = await api.create("sk_test_123")
        assert len(secret_id) == 32 and int(secret_id, 16) >= 0  # 32 hex digits, as wrangler prints ids
        assert (await mf.dispatch_fetch("/")).text == "sk_test_123"
        await api.update("sk_test_456", secret_id)
        assert (await mf.dispatch_fetch("/")).text == "sk_test_456"
        assert [r.name for r in await api.list()] == ["stripe-key"]
        assert await api.get(secret_id) == "stripe-key"
        await api.delete(secret_id)
        assert (await mf.dispatch_fetch("/")).status_code == 500


async def test_secrets_survive_a_restart(config: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    async with Pyflare(config, clock="manual", persist_to=state) as mf:
        await mf.plugin(SecretsStorePlugin).api().create("kept")
    async with Pyflare(config, clock="manual", persist_to=state) as mf:
        assert (await mf.dispatch_fetch("/")).text == "kept"


async def test_names_values_and_duplicates_are_checked(config: Path) -> None:
    async with Pyflare(config, clock="manual") as mf:
        store = mf.plugin(SecretsStorePlugin).store
        with pytest.raises(SecretsStoreApiError, match="may only contain alphanumeric characters"):
            await store.create(STORE, "bad name", "v", ["workers"])
        with pytest.raises(SecretsStoreApiError, match=r"cannot exceed 65536 bytes \(got 65537\)"):
            await store.create(STORE, "big", "x" * 65537, ["workers"])
        await store.create(STORE, "big", "é" * 32768, ["workers"])  # exactly 64 KiB in UTF-8
        with pytest.raises(SecretsStoreApiError, match='"big" already exists'):
            await store.create(STORE, "big", "again", ["workers"])
        with pytest.raises(SecretsStoreApiError, match="Secret not found"):
            await store.delete(STORE, "f" * 32)
        original = (await store.list(STORE))[0]
        copy = await store.duplicate(STORE, original.id, "big-copy", ["workers"])
        assert await store.value(STORE, "big-copy") == "é" * 32768 and copy.id != original.id


async def test_stores_are_separate(config: Path) -> None:
    async with Pyflare(config, clock="manual") as mf:
        store = mf.plugin(SecretsStorePlugin).store
        await store.create("another-store", "stripe-key", "elsewhere", ["workers"])
        assert (await mf.dispatch_fetch("/")).status_code == 500  # the binding's store has no such secret


def test_config_needs_store_id_and_secret_name(tmp_path: Path) -> None:
    path = write_worker(tmp_path / "w", 'name = "s"\nmain = "src/entry.py"\n[[secrets_store_secrets]]\n'
                        'binding = "API_KEY"\nstore_id = "abc"\n', {"src/entry.py": WORKER})
    with pytest.raises(ConfigError, match="secret_name"):
        Pyflare(path)


async def test_the_banner_shows_it_as_local(config: Path) -> None:
    from pyflare.cli.banner import banner_rows

    async with Pyflare(config, clock="manual") as mf:
        [row] = [r for r in banner_rows(mf.config, mf.env) if r.name == "API_KEY"]
        assert (row.kind, row.resource, row.mode) == ("Secrets Store Secret", STORE, "local")


# -- the CLI ---------------------------------------------------------------------------------------
def cli(config: Path, *argv: str) -> list[str]:
    return ["secrets-store", "secret", *argv, "--config", str(config)]


def test_cli_create_list_get_update_delete_reach_the_worker(config: Path, capsys, monkeypatch) -> None:
    assert main(cli(config, "create", STORE, "--name", "stripe-key", "--value", "from-cli", "--scopes",
                    "workers", "--comment", "test key")) == 0
    out = capsys.readouterr().out
    assert "Creating secret... (Name: stripe-key, Value: REDACTED, Scopes: workers, Comment: test key)" in out
    assert "from-cli" not in out
    secret_id = out.split("Created secret! (ID: ")[1].split(")")[0]

    assert main(cli(config, "list", STORE)) == 0
    listed = capsys.readouterr().out
    assert "stripe-key" in listed and secret_id in listed and "test key" in listed and "workers" in listed

    assert main(cli(config, "get", STORE, "--secret-id", secret_id)) == 0
    assert "stripe-key" in capsys.readouterr().out

    monkeypatch.setattr("sys.stdin", io.StringIO("piped-value  \n"))  # not a terminal: stdin, trimmed
    assert main(cli(config, "update", STORE, "--secret-id", secret_id, "--value", "")) == 1
    assert "Need to pass in a new field" in capsys.readouterr().err
    assert main(cli(config, "update", STORE, "--secret-id", secret_id, "--value", "updated")) == 0

    async def read() -> str:
        async with Pyflare(config, clock="manual", persist_to=config.parent / DEFAULT_PERSIST) as mf:
            return (await mf.dispatch_fetch("/")).text  # the state the CLI wrote, as pyflare dev reads it

    assert asyncio.run(read()) == "updated"

    assert main(cli(config, "delete", STORE, "--secret-id", secret_id)) == 0
    assert f"Deleted secret! (ID: {secret_id})" in capsys.readouterr().out
    assert main(cli(config, "list", STORE)) == 1
    assert "List request returned no secrets." in capsys.readouterr().err


def test_cli_reads_the_value_from_stdin_and_refuses_bad_input(config: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("from-stdin\n"))
    assert main(cli(config, "create", STORE, "--name", "piped", "--scopes", "workers")) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(cli(config, "create", STORE, "--name", "empty", "--scopes", "workers")) == 1
    assert "Need to pass in a value when creating a secret." in capsys.readouterr().err
    assert main(cli(config, "create", STORE, "--name", "no spaces", "--value", "v", "--scopes", "workers")) == 1
    assert "may only contain alphanumeric characters, underscores, or dashes" in capsys.readouterr().err
    assert main(cli(config, "get", STORE, "--secret-id", "0" * 32)) == 1
    assert "Secret not found" in capsys.readouterr().err
    assert main(["secrets-store", "store", "create", "mine", "--config", str(config)]) == 1
    assert "Local secrets stores are automatically created for you on use" in capsys.readouterr().err
    assert main(["secrets-store", "store", "list", "--config", str(config)]) == 0
    assert STORE in capsys.readouterr().out
