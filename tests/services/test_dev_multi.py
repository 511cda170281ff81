"""``pyflare dev -c a/wrangler.toml -c b/wrangler.toml`` and ``--ready-file``, as a CI script runs them."""

from __future__ import annotations

import re
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


FRONT = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.BACK.fetch(request)
"""


def test_each_worker_reloads_its_own_code_under_pyflare_dev(tmp_path: Path) -> None:
    front = write_worker(tmp_path / "front", 'name = "front"\nmain = "src/entry.py"\n'
                         '[[services]]\nbinding = "BACK"\nservice = "back"\n', {"src/entry.py": FRONT})
    back = make(tmp_path, "back")
    proc = DevProcess(front, "-c", str(back), "--no-persist")
    try:
        assert proc.get().text == "back"
        (back.parent / "src" / "entry.py").write_text(
            "from workers import Response\ndef on_fetch(request):\n    return Response('back v2')\n")
        proc.wait_for_text("back v2")
    finally:
        code, err = proc.stop()
    assert code == 0, err
    assert "Reloaded worker" in err


def test_without_the_dev_registry_a_missing_service_stops_pyflare_dev_at_start_with_wranglers_text(tmp_path: Path) -> None:
    front = write_worker(tmp_path / "front", 'name = "front"\nmain = "src/entry.py"\n'
                         '[[services]]\nbinding = "BACK"\nservice = "back"\n', {"src/entry.py": FRONT})
    result = subprocess.run([sys.executable, "-m", "pyflare", "dev", str(front), "--port", "0", "--no-persist",
                             "--no-registry"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert 'binding "BACK" refers to a service "core:user:back", but no such service is defined.' in result.stderr


def test_with_the_dev_registry_a_missing_service_waits_for_another_process(tmp_path: Path) -> None:
    front = write_worker(tmp_path / "front", 'name = "front"\nmain = "src/entry.py"\n'
                         '[[services]]\nbinding = "BACK"\nservice = "back"\n', {"src/entry.py": FRONT})
    proc = DevProcess(front, "--no-reload", "--no-persist", "--registry-dir", str(tmp_path / "registry"))
    try:
        response = proc.get()
        assert (response.status_code, response.text) == (503, 'Worker "back" not found. Make sure it is running '
                                                               "locally.")
    finally:
        code, err = proc.stop()
    assert code == 0, err
    assert re.search(r"env\.BACK \(back\) +Worker +local \[not connected\]", err), err
