"""``pyflare dev -c a/wrangler.toml -c b/wrangler.toml`` and ``--ready-file``, as a CI script runs them."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
from tests.conftest import write_worker
from tests.core.test_cli_dev import DevProcess

WORKER = "from workers import Response\ndef on_fetch(request, env):\n    return Response(env.WHO)\n"


def make(tmp_path: Path, name: str) -> Path:
    return write_worker(tmp_path / name, f'name = "{name}"\nmain = "src/entry.py"\n[vars]\nWHO = "{name}"\n',
                        {"src/entry.py": WORKER})


def test_several_configs_run_in_one_process_and_the_first_is_served(tmp_path: Path) -> None:
    a, b = make(tmp_path, "front"), make(tmp_path, "back")
    proc = DevProcess(a, "-c", str(b), "--no-reload", "--no-persist")  # PATH and -c combine, PATH first
    try:
        assert proc.get().text == "front"
    finally:
        code, err = proc.stop()
    assert code == 0, err


def test_ready_file_holds_the_url_while_serving_and_is_gone_after(tmp_path: Path) -> None:
    config = make(tmp_path, "w")
    ready = tmp_path / "out" / "ready"
    ready.parent.mkdir()
    ready.write_text("stale\n")  # left by an earlier run: must not count as ready
    proc = subprocess.Popen([sys.executable, "-m", "pyflare", "dev", "-c", str(config), "--port", "0",
                             "--no-reload", "--no-persist", "--ready-file", str(ready)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not (ready.is_file() and ready.read_text().startswith("http")) and time.monotonic() < deadline:
            time.sleep(0.02)
        url = ready.read_text().strip()
        assert httpx.get(url, timeout=5).text == "w"
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert not ready.exists()
