"""Config loading: formats, environments, secrets, overrides and clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import pyflare
from pyflare.cli import main as cli_main
from pyflare.config import ConfigError, load_config

ENTRY = {"src/entry.py": "from workers import Response\ndef on_fetch(request):\n    return Response('x')\n"}


def test_toml_config_is_parsed_into_typed_models(worker_dir):
    path = worker_dir(
        """
        name = "app"
        main = "src/entry.py"
        compatibility_date = "2025-01-01"
        [vars]
        A = "1"
        [[kv_namespaces]]
        binding = "KV"
        id = "abc"
        [[d1_databases]]
        binding = "DB"
        database_name = "main-db"
        [[queues.consumers]]
        queue = "jobs"
        """,
        ENTRY,
    )
    config = load_config(path)
    assert config.worker.kv_namespaces[0].id == "abc"
    assert config.worker.d1_databases[0].migrations_dir == "migrations"
    assert config.worker.queues.consumers[0].max_batch_size == 10  # production default
    assert config.worker.queues.consumers[0].max_retries == 3
    assert config.bindings_vars == {"A": "1"}
    assert config.main_path == path.parent / "src" / "entry.py"


def test_jsonc_allows_comments_and_trailing_commas(worker_dir):
    path = worker_dir(
        """
        {
          // the worker
          "name": "app",
          "main": "src/entry.py", /* entry */
          "vars": {"A": "1",},
        }
        """,
        ENTRY,
        config_name="wrangler.jsonc",
    )
    assert load_config(path.parent).worker.vars == {"A": "1"}


def test_environment_inherits_main_but_not_vars_or_bindings(worker_dir):
    path = worker_dir(
        """
        name = "app"
        main = "src/entry.py"
        compatibility_date = "2025-01-01"
        [vars]
        TOP = "1"
        [[kv_namespaces]]
        binding = "KV"
        id = "top"
        [env.staging.vars]
        STAGE = "yes"
        """,
        ENTRY,
    )
    config = load_config(path, environment="staging")
    assert config.worker.main == "src/entry.py"
    assert config.worker.compatibility_date == "2025-01-01"
    assert config.worker.name == "app-staging"
    assert config.bindings_vars == {"STAGE": "yes"}
    assert config.worker.kv_namespaces == []


def test_unknown_environment_is_an_error(worker_dir):
    path = worker_dir('main = "src/entry.py"\n', ENTRY)
    with pytest.raises(ConfigError, match=r"env\.nope: no such environment"):
        load_config(path, environment="nope")


def test_dev_vars_for_the_environment_win_over_plain_dev_vars_and_env(worker_dir):
    path = worker_dir('main = "src/entry.py"\n[vars]\nA = "config"\n', ENTRY)
    (path.parent / ".env").write_text("FROM_DOTENV=1\n")
    assert load_config(path).bindings_vars == {"A": "config", "FROM_DOTENV": "1"}
    (path.parent / ".dev.vars").write_text('SECRET="plain"\nA=secret\n')
    assert load_config(path).bindings_vars == {"A": "secret", "SECRET": "plain"}
    text = path.read_text() + '[env.prod]\nvars = { B = "2" }\n'
    path.write_text(text)
    (path.parent / ".dev.vars.prod").write_text("SECRET=prod\n")
    assert load_config(path, environment="prod").bindings_vars == {"B": "2", "SECRET": "prod"}


def test_var_overrides_win_over_everything(worker_dir):
    path = worker_dir('main = "src/entry.py"\n[vars]\nA = "config"\n', ENTRY)
    (path.parent / ".dev.vars").write_text("A=secret\n")
    assert load_config(path, vars={"A": "flag"}).bindings_vars["A"] == "flag"


def test_a_config_loaded_again_reflects_edits_and_deleted_files(worker_dir):
    # Loads of an unchanged text share one validation (each test's fresh worker); an edit, or a main module
    # that went away, must still be seen at the next load.
    path = worker_dir('main = "src/entry.py"\n[vars]\nA = "1"\n', ENTRY)
    first = load_config(path)
    assert load_config(path).bindings_vars == {"A": "1"}
    path.write_text('main = "src/entry.py"\nunknown_key = 1\n[vars]\nA = "2"\n')
    edited = load_config(path)
    assert edited.bindings_vars == {"A": "2"} and first.bindings_vars == {"A": "1"}
    assert len(edited.warnings) == 1 and len(load_config(path).warnings) == 1  # warnings are not duplicated
    (path.parent / "src" / "entry.py").unlink()
    with pytest.raises(ConfigError, match="src/entry.py does not exist"):
        load_config(path)


def test_toml_syntax_error_names_file_and_line(worker_dir):
    path = worker_dir('main = "src/entry.py"\nname = \n', ENTRY)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{path}:2" in str(info.value)


def test_wrong_type_names_the_key_path(worker_dir):
    path = worker_dir('main = "src/entry.py"\n[[kv_namespaces]]\nbinding = 5\n', ENTRY)
    with pytest.raises(ConfigError, match=r"kv_namespaces\[0\]\.binding"):
        load_config(path)


def test_missing_main_is_an_error(worker_dir):
    path = worker_dir('name = "x"\n', ENTRY)
    with pytest.raises(ConfigError, match="main: missing"):
        load_config(path)


def test_main_that_does_not_exist_is_an_error(worker_dir):
    path = worker_dir('main = "src/nope.py"\n', ENTRY)
    with pytest.raises(ConfigError, match="src/nope.py does not exist"):
        load_config(path)


def test_unknown_key_warns_but_loads(worker_dir):
    path = worker_dir('main = "src/entry.py"\nmystery = 1\naccount_id = "known"\n', ENTRY)
    config = load_config(path)
    assert len(config.warnings) == 1 and '"mystery"' in config.warnings[0]


def test_duplicate_binding_names_are_rejected(worker_dir):
    path = worker_dir(
        'main = "src/entry.py"\n[[kv_namespaces]]\nbinding = "X"\nid = "a"\n[[r2_buckets]]\nbinding = "X"\nbucket_name = "b"\n',
        ENTRY,
    )
    with pytest.raises(ConfigError, match='binding "X" is already used'):
        load_config(path)


def test_queue_cannot_be_its_own_dead_letter_queue(worker_dir):
    path = worker_dir('main = "src/entry.py"\n[[queues.consumers]]\nqueue = "q"\ndead_letter_queue = "q"\n', ENTRY)
    with pytest.raises(ConfigError, match="cannot be its own dead letter queue"):
        load_config(path)


def test_invalid_cron_is_rejected(worker_dir):
    path = worker_dir('main = "src/entry.py"\n[triggers]\ncrons = ["every minute"]\n', ENTRY)
    with pytest.raises(ConfigError, match=r"triggers\.crons\[0\]"):
        load_config(path)


def test_cli_reports_config_errors_with_exit_status_2(worker_dir, capsys):
    path = worker_dir('main = "src/entry.py"\nname = \n', ENTRY)
    assert cli_main(["dev", str(path), "--no-reload"]) == 2
    err = capsys.readouterr().err
    assert "TOML syntax error" in err and "Traceback" not in err


def test_folder_without_config_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="no wrangler.toml"):
        load_config(tmp_path)


@pytest.mark.parametrize("setting", [None, "some_plugin"])
def test_loading_config_leaves_pydantic_plugins_to_the_workers_models(setting):
    # pyflare's config models are built without pydantic's plugin scan; the environment a worker sees is
    # unchanged, and a worker's own model still looks its plugins up
    script = (
        "import os\n"
        "from pydantic.plugin import _loader\n"
        "import pyflare.config\n"
        "print(os.environ.get('PYDANTIC_DISABLE_PLUGINS'), _loader._plugins is None)\n"
        "import pydantic\n"
        "class Order(pydantic.BaseModel):\n    id: int\n"
        "print(_loader._plugins is None)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if setting:
        env["PYDANTIC_DISABLE_PLUGINS"] = setting
    env["PYTHONPATH"] = str(Path(pyflare.__file__).parents[1])
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == [str(setting), "True", "False"]
