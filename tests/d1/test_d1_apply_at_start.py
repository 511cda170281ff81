"""Applying D1 migrations when workers start: ``Pyflare(apply_migrations=True)`` / the marker option / the ini
option for the pytest fixtures, ``pyflare dev --apply-migrations`` (and on save), ``PyflareServer``, and the
config key ``[pyflare] apply_migrations``. Two processes applying at once never apply a migration twice."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from tests.conftest import write_worker
from tests.d1.conftest import D1_CONFIG, ENTRY, MIGRATION_1, MIGRATION_2

from pyflare import Pyflare
from pyflare.bindings.d1 import MigrationError
from pyflare.testing.server import PyflareServer

SEED = "INSERT INTO users (id, name) VALUES (1, 'ada');\n"


def project(folder: Path, config: str = D1_CONFIG, **extra: str) -> Path:
    files = {"src/entry.py": ENTRY, "migrations/0000_create_users.sql": MIGRATION_1,
             "migrations/0001_add_email.sql": MIGRATION_2, "migrations/0002_seed.sql": SEED, **extra}
    return write_worker(folder, config, files)


async def test_pyflare_applies_migrations_at_start_when_asked(tmp_path):
    async with Pyflare(project(tmp_path / "w"), apply_migrations=True) as mf:
        assert (await mf.dispatch_fetch("/users/1")).text == "ada"


async def test_without_it_the_database_starts_empty(tmp_path):
    async with Pyflare(project(tmp_path / "w")) as mf:
        assert (await mf.dispatch_fetch("/users/1")).status_code == 500  # no such table: users


async def test_the_config_key_turns_it_on(tmp_path):
    config = D1_CONFIG + "\n[pyflare]\napply_migrations = true\n"
    async with Pyflare(project(tmp_path / "w", config)) as mf:
        assert (await mf.dispatch_fetch("/users/1")).text == "ada"


async def test_a_failing_migration_stops_the_start_and_names_the_file(tmp_path):
    config = project(tmp_path / "w", **{"migrations/0003_bad.sql": "CREATE TABLE users (id INTEGER);\n"})
    with pytest.raises(MigrationError, match="0003_bad.sql"):
        await Pyflare(config, apply_migrations=True, persist_to=tmp_path / "state").start()
    async with Pyflare(config, persist_to=tmp_path / "state") as mf:  # the three before it stay applied
        assert (await mf.dispatch_fetch("/users/1")).text == "ada"


def test_pytest_fixtures_apply_them_with_the_ini_option_or_the_marker(pytester: pytest.Pytester) -> None:
    project(pytester.path)
    pytester.makeini("[pytest]\nasyncio_mode = auto\npyflare_apply_migrations = true\n")
    pytester.makepyfile(test_app=textwrap.dedent("""
        import httpx
        import pytest

        async def test_fixture(pyflare):
            assert (await pyflare.dispatch_fetch("/users/1")).text == "ada"

        @pytest.mark.pyflare(apply_migrations=False)
        async def test_marker_turns_it_off(pyflare):
            assert (await pyflare.dispatch_fetch("/users/1")).status_code == 500

        def test_server(pyflare_server):
            assert httpx.get(pyflare_server.url + "/users/1").text == "ada"
    """))
    pytester.runpytest("-q", "-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_pyflare_server_applies_them(tmp_path):
    with PyflareServer(project(tmp_path / "w"), apply_migrations=True) as server:
        assert httpx.get(server.url + "/users/1").text == "ada"


class WatchingServer(PyflareServer):
    """``pyflare dev`` with file watching on (PyflareServer passes --no-reload)."""

    def command(self) -> list[str]:
        return [arg for arg in super().command() if arg != "--no-reload"]


def test_dev_applies_at_start_and_a_new_migration_when_it_is_saved(tmp_path):
    config = project(tmp_path / "w")
    with WatchingServer(config, apply_migrations=True, persist_to=tmp_path / "state") as server:
        assert httpx.get(server.url + "/users/1").text == "ada"
        (config.parent / "migrations" / "0003_more.sql").write_text("INSERT INTO users (id, name) VALUES (2, 'bo');\n")
        deadline = time.monotonic() + 30  # bounded: the file watcher's debounce, under a loaded machine
        while httpx.get(server.url + "/users/2").text != "bo":
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.05)
        assert "applied 0003_more.sql" in server.output()


def test_a_failing_migration_under_dev_is_reported_and_the_server_keeps_running(tmp_path):
    config = project(tmp_path / "w", **{"migrations/0003_bad.sql": "CREATE TABLE users (id INTEGER);\n"})
    with PyflareServer(config, apply_migrations=True) as server:
        assert httpx.get(server.url + "/users/1").text == "ada"  # 0000-0002 applied
        assert "Migration 0003_bad.sql failed" in server.output()


def test_two_processes_applying_at_once_apply_each_migration_once(tmp_path):
    config = project(tmp_path / "w")
    script = textwrap.dedent(f"""
        import asyncio
        from pyflare import Pyflare
        async def main():
            async with Pyflare({str(config)!r}, persist_to={str(tmp_path / "state")!r}, apply_migrations=True):
                pass
        asyncio.run(main())
    """)
    runs = [subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE) for _ in range(3)]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()
    import sqlite3

    names = sqlite3.connect(tmp_path / "state" / "d1" / "test-db.sqlite").execute(
        "SELECT name FROM d1_migrations ORDER BY id").fetchall()
    assert [n for (n,) in names] == ["0000_create_users.sql", "0001_add_email.sql", "0002_seed.sql"]
