"""``pyflare dev`` as a user runs it: a real process, a real port, signals and file saves."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import write_worker

ENTRY = "from workers import Response\nimport helper\ndef on_fetch(request):\n    return Response(helper.TEXT)\n"


class DevProcess:
    def __init__(self, config: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pyflare.cli", "dev", str(config), "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("Ready on "):
            self.proc.kill()
            raise AssertionError(f"no Ready line: {line!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.url = line.split("Ready on ", 1)[1].strip()

    def get(self, path: str = "/") -> httpx.Response:
        return httpx.get(self.url + path, timeout=5)

    def wait_for_text(self, text: str, timeout: float = 10) -> str:
        """Poll until the worker answers ``text`` (file watching happens in real time)."""
        deadline = time.monotonic() + timeout
        body = ""
        while time.monotonic() < deadline:
            body = self.get().text
            if text in body:
                return body
            time.sleep(0.05)
        raise AssertionError(f"worker never answered {text!r}; last answer {body!r}")

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=15)
        return self.proc.returncode, err


@pytest.fixture
def dev_worker(tmp_path: Path) -> Iterator[tuple[Path, DevProcess]]:
    config = write_worker(tmp_path / "w", 'name = "dev"\nmain = "src/entry.py"\n',
                          {"src/entry.py": ENTRY, "src/helper.py": "TEXT = 'v1'\n"})
    proc = DevProcess(config)
    yield config, proc
    if proc.proc.poll() is None:
        proc.proc.kill()
        proc.proc.wait()


def test_dev_serves_on_loopback_logs_requests_and_stops_cleanly(dev_worker):
    _, proc = dev_worker
    assert proc.url.startswith("http://127.0.0.1:")
    assert proc.get("/some/path").text == "v1"
    code, err = proc.stop()
    assert code == 0
    assert "GET /some/path 200" in err


def test_save_reloads_and_a_broken_save_recovers(dev_worker):
    config, proc = dev_worker
    helper = config.parent / "src" / "helper.py"
    helper.write_text("TEXT = 'v2'\n")
    proc.wait_for_text("v2")
    helper.write_text("TEXT = (\n")
    assert "SyntaxError" in proc.wait_for_text("failed to load")
    helper.write_text("TEXT = 'v3'\n")
    proc.wait_for_text("v3")
    _, err = proc.stop()
    assert "SyntaxError" in err


def test_one_save_reloads_once_and_tests_or_state_never_reload(dev_worker):
    config, proc = dev_worker
    helper = config.parent / "src" / "helper.py"
    helper.write_text("TEXT = 'v2'\n")
    proc.wait_for_text("v2")
    (config.parent / "tests").mkdir()
    (config.parent / "tests" / "test_entry.py").write_text("def test_x():\n    pass\n")
    (config.parent / "migrations").mkdir()
    (config.parent / "migrations" / "0001_init.sql").write_text("CREATE TABLE t (a);\n")
    helper.write_text("TEXT = 'v3'\n")
    proc.wait_for_text("v3")
    _, err = proc.stop()
    assert err.count("Reloaded worker") == 2, err  # one per save; none for tests/ or migrations/


def test_json_log_format_writes_one_json_object_per_request(tmp_path):
    import json

    config = write_worker(tmp_path / "w", 'main = "src/entry.py"\n',
                          {"src/entry.py": ENTRY, "src/helper.py": "TEXT = 'x'\n"})
    proc = DevProcess(config, "--log-format", "json", "--no-reload")
    proc.get("/a")
    _, err = proc.stop()
    entries = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(e.get("path") == "/a" and e.get("status") == 200 and "duration_ms" in e for e in entries)


def test_port_in_use_is_a_clear_error(tmp_path):
    config = write_worker(tmp_path / "w", 'main = "src/entry.py"\n',
                          {"src/entry.py": ENTRY, "src/helper.py": "TEXT = 'x'\n"})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "pyflare.cli", "dev", str(config), "--port", str(port)],
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_data_survives_a_restart_of_dev(tmp_path):
    config = write_worker(tmp_path / "w", 'main = "src/entry.py"\n[[kv_namespaces]]\nbinding = "KV"\nid = "kv"\n', {
        "src/entry.py": """
from workers import Response
async def on_fetch(request, env):
    if request.method == "POST":
        await env.KV.put("k", await request.text())
        return Response("stored")
    return Response(await env.KV.get("k") or "none")
""",
    })
    proc = DevProcess(config, "--no-reload")
    httpx.post(proc.url + "/", content="kept", timeout=5)
    os.kill(proc.proc.pid, signal.SIGKILL)
    proc.proc.wait()
    again = DevProcess(config, "--no-reload")
    assert again.get().text == "kept"
    assert (config.parent / ".pyflare" / "state").is_dir()
    again.stop()


def test_listening_socket_is_tcp_so_responses_are_not_delayed_by_nagle():
    from pyflare.cli.dev import bind_socket

    sock = bind_socket("127.0.0.1", 0)
    try:
        # asyncio turns on TCP_NODELAY only for IPPROTO_TCP sockets; without it keep-alive requests take 40 ms.
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_ctrl_c_stops_cleanly_after_wait_until_work_finishes(tmp_path):
    config = write_worker(tmp_path / "w", 'main = "src/entry.py"\n[[kv_namespaces]]\nbinding = "KV"\nid = "kv"\n', {
        "src/entry.py": """
import asyncio
from workers import Response
async def later(env):
    await asyncio.sleep(0.3)  # still running when the signal arrives
    await env.KV.put("after", "done")
async def on_fetch(request, env, ctx):
    if request.method == "POST":
        ctx.waitUntil(later(env))
        return Response("accepted")
    return Response(await env.KV.get("after") or "missing")
""",
    })
    proc = DevProcess(config, "--no-reload")
    assert httpx.post(proc.url + "/", timeout=5).text == "accepted"
    proc.proc.send_signal(signal.SIGINT)
    _, err = proc.proc.communicate(timeout=15)
    assert proc.proc.returncode == 0, err
    again = DevProcess(config, "--no-reload")
    assert again.get().text == "done"
    again.stop()


def test_kv_propagation_delay_flag_makes_writes_invisible_at_first(tmp_path):
    config = write_worker(tmp_path / "w", 'main = "src/entry.py"\n[[kv_namespaces]]\nbinding = "KV"\nid = "kv"\n', {
        "src/entry.py": """
from workers import Response
async def on_fetch(request, env):
    if request.method == "POST":
        await env.KV.put("k", "new")
        return Response("written")
    return Response(await env.KV.get("k") or "not yet")
""",
    })
    proc = DevProcess(config, "--no-reload", "--no-persist", "--kv-propagation-delay", "600")
    assert httpx.post(proc.url + "/", timeout=5).text == "written"
    assert proc.get().text == "not yet"
    proc.stop()


def test_config_change_rebuilds_the_worker_with_new_vars(tmp_path):
    config = write_worker(tmp_path / "w", 'main = "src/entry.py"\n[vars]\nMODE = "first"\n', {
        "src/entry.py": "from workers import Response\ndef on_fetch(request, env):\n    return Response(env.MODE)\n",
    })
    proc = DevProcess(config)
    assert proc.get().text == "first"
    config.write_text('main = "src/entry.py"\n[vars]\nMODE = "second"\n')
    proc.wait_for_text("second")
    config.write_text('main = "src/entry.py"\n[vars\n')  # a broken config keeps the running bindings
    (config.parent / "src" / "entry.py").write_text(
        "from workers import Response\ndef on_fetch(request, env):\n    return Response(env.MODE + '!')\n")
    proc.wait_for_text("second!")
    _, err = proc.stop()
    assert "config not reloaded" in err and "TOML syntax error" in err
