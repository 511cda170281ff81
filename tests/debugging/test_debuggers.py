"""Python's debuggers on worker code: breakpoint() under pyflare dev and under pytest, and an editor's
debugger (debugpy, over the Debug Adapter Protocol) attached with ``pyflare dev --debug``."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from tests.conftest import write_worker
from tests.debugging.dap import DapClient

from pyflare.cli.debugger import listen
from pyflare.kernel.distribution import DISTRIBUTION, MissingDependency

CONFIG = 'name = "debugged"\nmain = "src/entry.py"\ncompatibility_date = "2025-11-01"\n' \
         'compatibility_flags = ["python_workers"]\n'
ENTRY = """\
from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        name = parse_qs(urlparse(request.url).query).get("name", ["world"])[0]
        greeting = f"Hello, {name}!"
        {pause}
        return Response(greeting)
"""
RETURN_LINE = 11  # the line of `return Response(greeting)`


def worker(folder: Path, pause: str = "pass") -> Path:
    return write_worker(folder, CONFIG, {"src/entry.py": ENTRY.replace("{pause}", pause)})


def start_dev(config: Path, *args: str, stdin: int | None = None) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "pyflare", "dev", str(config), "--port", "0", "--no-persist",
                             "--no-reload", *args], stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith("Ready on "):
        proc.kill()
        raise AssertionError(f"no Ready line: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, line.split("Ready on ", 1)[1].strip()


def test_breakpoint_in_a_handler_opens_pdb_on_the_dev_terminal_and_ctrl_c_still_stops_dev(tmp_path):
    config = worker(tmp_path / "w", pause="breakpoint()")
    proc, url = start_dev(config, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write("p greeting\nwhere\ncontinue\n")  # what the developer types at the (Pdb) prompt
    proc.stdin.flush()
    assert httpx.get(url + "/?name=Ada", timeout=60).text == "Hello, Ada!"
    proc.send_signal(signal.SIGINT)  # pdb must not have kept Ctrl-C for itself
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    entry = config.parent / "src" / "entry.py"
    assert f"> {entry}({RETURN_LINE})fetch()" in out  # the worker's own file and line
    assert "(Pdb) 'Hello, Ada!'" in out


def test_breakpoint_in_a_handler_opens_pdb_under_pytest(tmp_path):
    worker(tmp_path, pause="breakpoint()")
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\nanyio_mode = "auto"\n')
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef anyio_backend():\n    return 'asyncio'\n")
    (tmp_path / "tests" / "test_entry.py").write_text(
        "async def test_greets(pyflare_client):\n"
        "    assert (await pyflare_client.get('/?name=Ada')).text == 'Hello, Ada!'\n")
    result = subprocess.run([sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", "-p", "no:asyncio"],
                            cwd=tmp_path, input="p greeting\ncontinue\n", capture_output=True, text=True,
                            timeout=120)
    assert "1 passed" in result.stdout, result.stdout + result.stderr
    assert f"{tmp_path / 'src' / 'entry.py'}({RETURN_LINE})fetch()" in result.stdout
    assert "(Pdb) 'Hello, Ada!'" in result.stdout


def debugger_port(proc: subprocess.Popen) -> int:
    assert proc.stderr is not None
    for line in proc.stderr:
        found = re.search(r"Debugger listening on 127\.0\.0\.1:(\d+)", line)
        if found:
            return int(found.group(1))
    raise AssertionError("pyflare dev --debug never said where the debugger listens")


@pytest.mark.slow
def test_an_attached_debugger_stops_at_a_breakpoint_in_a_handler(tmp_path):
    pytest.importorskip("debugpy", reason="pyflare dev --debug needs debugpy (the debug extra)")
    config = worker(tmp_path / "w")
    entry = str(config.parent / "src" / "entry.py")
    proc, url = start_dev(config, "--debug", "--debug-port", "0")
    dap = DapClient("127.0.0.1", debugger_port(proc))
    try:
        dap.attach({entry: [RETURN_LINE]})  # what VS Code's Remote Attach does
        answer: dict[str, httpx.Response] = {}
        request = threading.Thread(target=lambda: answer.update(r=httpx.get(url + "/?name=Ada", timeout=60)))
        request.start()
        stopped = dap.event("stopped")["body"]
        assert stopped["reason"] == "breakpoint"
        top = dap.request("stackTrace", threadId=stopped["threadId"])["body"]["stackFrames"][0]
        assert (top["name"], top["source"]["path"], top["line"]) == ("fetch", entry, RETURN_LINE)
        evaluated = dap.request("evaluate", expression="greeting", frameId=top["id"], context="repl")
        assert evaluated["body"]["result"] == "'Hello, Ada!'"
        assert "r" not in answer  # the request waits while the handler is stopped
        dap.request("continue", threadId=stopped["threadId"])
        request.join(30)
        assert answer["r"].text == "Hello, Ada!"
        dap.request("disconnect")
    finally:
        dap.close()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_debug_without_debugpy_is_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "debugpy", None)
    with pytest.raises(MissingDependency) as caught:
        listen(0)
    assert str(caught.value) == ("pyflare dev --debug needs debugpy, which is not installed: "
                                 f"python3 -m pip install '{DISTRIBUTION}[debug]'")


def test_debug_port_in_use_is_a_one_line_error(tmp_path):
    pytest.importorskip("debugpy", reason="pyflare dev --debug needs debugpy (the debug extra)")
    import socket

    config = worker(tmp_path / "w")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "pyflare", "dev", str(config), "--port", "0", "--no-persist",
                                 "--debug", "--debug-port", str(port)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"pyflare: the debugger cannot listen on 127.0.0.1:{port}: ")
    assert "already in use" in line and line.endswith("; pass another --debug-port")
