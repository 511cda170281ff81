"""Finding the config as wrangler does: `pyflare dev path/to/entry.py`, parent folders, keys not emulated."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.config import find_config, load_config

CONFIG = 'name = "found"\nmain = "src/other.py"\n[vars]\nWHERE = "config"\n'
ENTRY = "from workers import Response\nasync def on_fetch(request, env):\n    return Response('entry ' + env.get('WHERE', 'none'))\n"


def test_the_config_is_found_in_parent_folders(tmp_path, monkeypatch):
    config = write_worker(tmp_path / "project", CONFIG, {"src/other.py": "x = 1\n", "src/deep/er/x.txt": ""})
    monkeypatch.chdir(config.parent / "src" / "deep" / "er")
    assert find_config() == config
    monkeypatch.chdir(config.parent / "src")
    assert load_config().path == config


async def test_a_script_path_is_the_main_module_with_the_config_from_the_current_folder(tmp_path, monkeypatch):
    config = write_worker(tmp_path / "project", CONFIG, {"src/other.py": "x = 1\n", "src/entry.py": ENTRY})
    monkeypatch.chdir(config.parent)
    resolved = load_config("src/entry.py")
    assert resolved.path == config and resolved.main_path == config.parent / "src" / "entry.py"
    async with Pyflare(resolved) as mf:
        assert (await mf.dispatch_fetch("/")).text == "entry config"


async def test_a_script_without_any_config_runs_alone(tmp_path, monkeypatch):
    (tmp_path / "alone").mkdir()
    (tmp_path / "alone" / "entry.py").write_text(ENTRY)
    monkeypatch.chdir(tmp_path / "alone")
    resolved = load_config("entry.py")
    assert resolved.worker.main == "entry.py" and "python_workers" in resolved.worker.compatibility_flags
    async with Pyflare(resolved) as mf:
        assert (await mf.dispatch_fetch("/")).text == "entry none"


def test_wrangler_keys_pyflare_does_not_emulate_are_named_not_unexpected(worker_dir):
    config = load_config(worker_dir('tail_consumers = [{service = "t"}]\n'
                                    'streaming_tail_consumers = [{service = "t"}]\n' + CONFIG + '[limits]\ncpu_ms = 50\n'
                                    '[[vpc_services]]\nbinding = "V"\nservice_id = "x"\n[media]\nbinding = "M"\n',
                                    {"src/other.py": "x = 1\n"}))
    assert not [w for w in config.warnings if "unexpected field" in w]
    assert f"{config.path}: limits, streaming_tail_consumers: accepted, but pyflare does not " \
           "emulate them yet (no effect locally)" in config.warnings


def test_pyflare_dev_takes_the_script_path_as_wrangler_dev_does(tmp_path):
    config = write_worker(tmp_path / "project", CONFIG, {"src/other.py": "x = 1\n", "src/entry.py": ENTRY})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    process = subprocess.Popen([sys.executable, "-m", "pyflare", "dev", "src/entry.py", "--port", str(port),
                                "--no-persist", "--no-reload"], cwd=config.parent, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        for line in process.stdout:  # type: ignore[union-attr]
            if "Ready on" in line or time.monotonic() > deadline:
                break
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert response.read() == b"entry config"
    finally:
        process.terminate()
        process.wait(timeout=10)
