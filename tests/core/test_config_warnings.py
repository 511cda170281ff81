"""Config warnings as wrangler gives them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import write_worker

from pyflare.config import load_config
from pyflare.config.diagnostics import dev_warnings

ENTRY = {"src/entry.py": "from workers import Response\ndef on_fetch(request):\n    return Response('x')\n"}
GOOD = 'main = "src/entry.py"\ncompatibility_date = "2025-11-01"\ncompatibility_flags = ["python_workers"]\n'


def test_with_toml_and_json_in_one_folder_the_json_is_used_as_by_wrangler_and_a_warning_says_so(tmp_path: Path):
    folder = tmp_path / "w"
    write_worker(folder, GOOD + '[vars]\nFROM = "toml"\n', ENTRY)
    (folder / "wrangler.json").write_text(json.dumps({"main": "src/entry.py", "vars": {"FROM": "json"}}))
    config = load_config(folder)
    assert config.path.name == "wrangler.json" and config.bindings_vars["FROM"] == "json"
    assert any("found wrangler.json and wrangler.toml; using wrangler.json" in w for w in config.warnings)


def test_one_config_gives_no_such_warning(tmp_path: Path):
    config = load_config(write_worker(tmp_path / "w", GOOD, ENTRY))
    assert config.warnings == []


def test_environment_without_vars_gets_wranglers_warning(tmp_path: Path):
    path = write_worker(tmp_path / "w", GOOD + '[vars]\nA = "1"\n[[kv_namespaces]]\nbinding = "KV"\nid = "k"\n'
                        '[env.staging]\nname = "s"\n[[env.staging.kv_namespaces]]\nbinding = "KV"\nid = "k2"\n', ENTRY)
    config = load_config(path, environment="staging")
    assert config.bindings_vars == {}
    assert f'{path}: "vars" exists at the top level, but not on "env.staging".\n' \
           'This is not what you probably want, since "vars" is not inherited by environments.\n' \
           'Please add "vars" to "env.staging".' in config.warnings
    assert not any('"kv_namespaces" exists' in w for w in config.warnings)  # redeclared: no warning
    assert load_config(path).warnings == []  # only the chosen environment is checked


def test_r2_binding_without_bucket_name_warns_in_wranglers_words(tmp_path: Path):
    config = load_config(write_worker(tmp_path / "w", GOOD + '[[r2_buckets]]\nbinding = "FILES"\n', ENTRY))
    assert len(config.warnings) == 1
    assert 'r2_buckets[0]: "r2_buckets" bindings should have a string "bucket_name" field but got ' \
           '{"binding":"FILES"}' in config.warnings[0]
    assert 'stores this bucket\'s objects under the binding name "FILES"' in config.warnings[0]


def test_dev_warns_about_missing_compatibility_date_and_python_flag(tmp_path: Path):
    config = load_config(write_worker(tmp_path / "w", 'main = "src/entry.py"\n', ENTRY))
    warnings = dev_warnings(config.worker, config.path)
    assert warnings[0].startswith("No compatibility_date was specified.")
    assert "❯❯ Add one to your wrangler.toml file: compatibility_date = " in warnings[0]
    assert warnings[1].startswith("The `python_workers` compatibility flag is required to use Python.")
    good = load_config(write_worker(tmp_path / "ok", GOOD, ENTRY))
    assert dev_warnings(good.worker, good.path) == []
