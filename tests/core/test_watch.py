"""What pyflare dev reloads on: code and config saves, never tests, migrations, state or other files; one
save reloads once. The filter and the gate are checked directly, then with watchfiles on real files
(each step waits for the watcher's answer, not for time to pass)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare.cli.watch import SaveGate, watch_changes, watch_plan
from pyflare.config import load_config

CONFIG = """
name = "w"
main = "src/entry.py"
compatibility_date = "2025-11-01"
[[d1_databases]]
binding = "DB"
database_name = "db"
database_id = "x"
migrations_dir = "db/migrations"
[assets]
directory = "public"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_worker(tmp_path / "w", CONFIG, {
        "src/entry.py": "from workers import Response\ndef on_fetch(request):\n    return Response('v1')\n",
        "src/lib/helper.py": "X = 1\n", "tests/test_entry.py": "", "db/migrations/0001_init.sql": "",
        "public/index.html": "", "python_modules/vendored/__init__.py": "",
    }).parent


def test_code_and_config_saves_reload_and_nothing_else_does(project):
    plan = watch_plan([load_config(project)], persist_to=project / ".pyflare" / "state")
    assert plan.code_dirs == [project / "src", project / "python_modules"]
    assert plan.config_dirs == [project]  # watched without its subfolders (.venv, node_modules...)
    reloads = {
        "src/entry.py": True, "src/lib/helper.py": True, "python_modules/vendored/__init__.py": True,
        "wrangler.toml": True, ".dev.vars": True, ".dev.vars.staging": True, ".env": True,
        "src/tests/test_helper.py": False, "src/test_entry.py": False, "src/entry_test.py": False,
        "src/conftest.py": False, "tests/test_entry.py": False, "db/migrations/0002_more.sql": False,
        "db/migrations/helper.py": False, "public/app.py": False, ".pyflare/state/x.py": False,
        "src/.venv/lib/site.py": False, "src/__pycache__/entry.py": False, "src/README.md": False,
        "src/data.json": False, "README.md": False, "setup.py": False, "src/wrangler.toml": False,
    }
    assert {path: plan.reloads(project / path) for path in reloads} == reloads


def test_watch_dir_replaces_the_folder_of_main_as_in_wrangler(project):
    config = project / "wrangler.toml"
    (project / "lib").mkdir()
    config.write_text(config.read_text().replace('compatibility_date = "2025-11-01"\n',
                                                 'compatibility_date = "2025-11-01"\n'
                                                 '[build]\nwatch_dir = ["lib", "src/lib", "missing"]\n'))
    plan = watch_plan([load_config(project)], persist_to=None)
    assert plan.code_dirs == [project / "lib", project / "src" / "lib"]
    assert plan.reloads(project / "lib" / "a.py") and plan.reloads(project / "src" / "lib" / "helper.py")
    assert not plan.reloads(project / "src" / "entry.py")
    config.write_text(config.read_text().replace('watch_dir = ["lib", "src/lib", "missing"]', 'watch_dir = "lib"'))
    assert watch_plan([load_config(project)], persist_to=None).code_dirs == [project / "lib"]


def test_main_at_the_root_watches_the_root_for_code_and_config(tmp_path):
    root = write_worker(tmp_path / "r", 'main = "entry.py"\n', {"entry.py": "", "tests/test_x.py": ""}).parent
    plan = watch_plan([load_config(root)], persist_to=None)
    assert plan.code_dirs == [root] and plan.config_dirs == []
    assert plan.reloads(root / "entry.py") and plan.reloads(root / "wrangler.toml")
    assert not plan.reloads(root / "tests" / "test_x.py") and not plan.reloads(root / ".venv" / "x.py")


def test_the_gate_passes_a_file_once_per_new_content(tmp_path):
    gate = SaveGate()
    path = tmp_path / "entry.py"
    path.write_text("v1")
    assert gate.changed([str(path)]) == {str(path)}
    assert gate.changed([str(path)]) == set()  # the same save reported again (an editor's second write)
    path.write_text("v2")
    assert gate.changed([str(path)]) == {str(path)}
    path.unlink()
    assert gate.changed([str(path)]) == {str(path)}
    assert gate.changed([str(path)]) == set()


async def test_watchfiles_reports_one_batch_per_save_and_skips_ignored_files(project):
    plan = watch_plan([load_config(project)], persist_to=None)
    stop, watching = asyncio.Event(), asyncio.Event()
    saves = watch_changes(plan, stop, watching=watching, step_ms=30)
    first = asyncio.ensure_future(saves.__anext__())
    await asyncio.wait_for(watching.wait(), 10)
    for ignored in ("tests/test_entry.py", "db/migrations/0002.sql", "src/notes.md", "public/index.html"):
        (project / ignored).write_text("changed")
    entry = project / "src" / "entry.py"
    entry.write_text("v2")
    assert await asyncio.wait_for(first, 20) == {str(entry)}
    second = asyncio.ensure_future(saves.__anext__())
    entry.write_text("v2")  # saved again without a change: no reload
    (project / "wrangler.toml").write_text(CONFIG + "\n")
    assert await asyncio.wait_for(second, 20) == {str(project / "wrangler.toml")}
    stop.set()
    await saves.aclose()


def test_with_migrations_applied_a_saved_migration_is_applied_not_reloaded(project):
    plan = watch_plan([load_config(project)], persist_to=None, migrations=True)
    assert plan.migrations == [project / "db" / "migrations"]
    assert plan.migrates(project / "db/migrations/0002_more.sql")
    assert not plan.reloads(project / "db/migrations/0002_more.sql")
    assert not plan.migrates(project / "src/entry.py")
    assert watch_plan([load_config(project)], persist_to=None).migrations == []  # without --apply-migrations
