"""What ``pyflare dev`` shows of the worker: logging, print, console.log, and tracebacks."""

from __future__ import annotations

import json
import signal

from tests.conftest import write_worker
from tests.core.test_cli_dev import DevProcess

CHATTY = """
import logging
from js import console
from workers import Response

log = logging.getLogger(__name__)

def on_fetch(request):
    if request.url.endswith("/boom"):
        return helper_that_fails()
    logging.info("root logger info")
    log.info("module logger info")
    print("printed line")
    console.log("an object:", {"a": 1, "b": [True, None]})
    return Response("ok")

def helper_that_fails():
    raise ValueError("the worker's own bug")
"""


def stop(proc: DevProcess) -> tuple[int, str, str]:
    proc.proc.send_signal(signal.SIGTERM)
    out, err = proc.proc.communicate(timeout=15)
    return proc.proc.returncode, out, err


def test_worker_logging_print_and_console_are_shown(tmp_path):
    config = write_worker(tmp_path / "w", 'main = "src/entry.py"\n', {"src/entry.py": CHATTY})
    proc = DevProcess(config, "--no-reload", "--no-persist")
    assert proc.get("/").text == "ok"
    assert proc.get("/boom").status_code == 500
    code, out, err = stop(proc)
    assert code == 0
    assert "root logger info" in err and "module logger info" in err
    assert 'an object: {"a": 1, "b": [true, null]}' in err
    assert "printed line" in out
    # the logged traceback starts at the worker's frames
    trace = err[err.index("Traceback"):]
    assert 'entry.py", line' in trace and "in helper_that_fails" in trace
    assert "pyflare/runtime" not in trace.replace("\\", "/")


def test_json_log_format_wraps_print_and_worker_logs(tmp_path):
    config = write_worker(tmp_path / "w", 'main = "src/entry.py"\n', {"src/entry.py": CHATTY})
    proc = DevProcess(config, "--no-reload", "--no-persist", "--log-format", "json", "--verbose")
    proc.get("/")
    proc.get("/boom")
    _, out, err = stop(proc)
    # besides the Ready line (already read) stdout carries nothing, never a print
    assert out.strip() == ""
    entries = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert len(entries) == len(err.strip().splitlines())  # every line is JSON
    assert {"type": "log", "level": "info", "logger": "print", "message": "printed line"} in entries
    assert any(e.get("message") == "root logger info" for e in entries)
    assert any(e.get("message") == 'an object: {"a": 1, "b": [true, null]}' for e in entries)
    error = next(e for e in entries if e.get("level") == "error")
    assert "pyflare/runtime/app.py" in error["traceback"].replace("\\", "/")  # --verbose keeps every frame
