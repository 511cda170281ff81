"""Coverage and profilers see worker code under its real file names: ``pytest --cov`` measures a worker's
lines, cProfile and py-spy show its frames."""

from __future__ import annotations

import cProfile
import os
import pstats
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from tests.conftest import write_worker
from tests.docs.blocks import ROOT, blocks
from tests.tools import pypi_tool

from pyflare import Pyflare

CONFIG = 'main = "src/entry.py"\ncompatibility_date = "2025-11-01"\ncompatibility_flags = ["python_workers"]\n'
ENTRY = """\
from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint

from greeting import greet


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        name = parse_qs(urlparse(request.url).query).get("name", ["world"])[0]
        if name == "nobody":
            return Response("who?", status=404)
        return Response(greet(name))
"""
GREETING = """\
def greet(name):
    return f"Hello, {name}!"


def unused():
    return "never called"
"""


def project(folder: Path) -> Path:
    return write_worker(folder, CONFIG, {"src/entry.py": ENTRY, "src/greeting.py": GREETING})


def doc_command(containing: str) -> str:
    """The command of docs/debugging.md's shell block holding ``containing``."""
    [block] = [b for b in blocks(ROOT / "docs" / "debugging.md") if b.lang == "bash" and containing in b.body]
    return block.body.strip()


def project_with_a_test(folder: Path) -> Path:
    """The worker, with a test of it that pyflare's fixture runs on anyio's plugin."""
    project(folder)
    (folder / "pyproject.toml").write_text('[tool.pytest.ini_options]\nanyio_mode = "auto"\n')
    (folder / "tests").mkdir()
    (folder / "tests" / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef anyio_backend():\n    return 'asyncio'\n")
    (folder / "tests" / "test_entry.py").write_text(
        "async def test_greets(pyflare_client):\n"
        "    assert (await pyflare_client.get('/?name=Ada')).text == 'Hello, Ada!'\n")
    return folder


def assert_worker_lines_measured(report: str) -> None:
    rows = {line.split()[0]: line.split() for line in report.splitlines() if line.split()[:1] != []
            and line.split()[0].endswith(".py")}
    # entry.py: 9 statements, the "nobody" branch's return (line 12) not run; greeting.py: unused()'s body.
    assert rows["src/entry.py"][1:] == ["9", "1", "89%", "12"], report
    assert rows["src/greeting.py"][1:] == ["4", "1", "75%", "6"], report
    assert sorted(rows) == ["src/entry.py", "src/greeting.py"], "the worker's source only, not pyflare's nor tests"


PYTEST_OPTIONS = ["-q", "-p", "no:cacheprovider", "-p", "no:asyncio"]


def test_pytest_cov_measures_the_worker_lines_its_tests_run(tmp_path):
    pytest.importorskip("pytest_cov", reason="pytest --cov needs pytest-cov (pip install pytest-cov)")
    project_with_a_test(tmp_path)
    command = shlex.split(doc_command("--cov"))
    assert command[:3] == ["python3", "-m", "pytest"]
    result = subprocess.run([sys.executable, *command[1:], *PYTEST_OPTIONS],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "1 passed" in result.stdout, result.stdout + result.stderr
    assert_worker_lines_measured(result.stdout)


def test_coverage_run_measures_the_worker_lines_its_tests_run(tmp_path):
    pytest.importorskip("coverage", reason="coverage run needs coverage.py (pip install coverage)")
    project_with_a_test(tmp_path)
    run_tests, report = (shlex.split(part) for part in doc_command("coverage run").split(" && "))
    assert run_tests[:5] == ["python3", "-m", "coverage", "run", "--source=src"] and run_tests[5:] == ["-m", "pytest"]
    assert report[:4] == ["python3", "-m", "coverage", "report"]
    result = subprocess.run([sys.executable, *run_tests[1:], *PYTEST_OPTIONS],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "1 passed" in result.stdout, result.stdout + result.stderr
    result = subprocess.run([sys.executable, *report[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert_worker_lines_measured(result.stdout)


async def test_cprofile_sees_the_handler_under_its_file_and_line(tmp_path):
    config = project(tmp_path)
    async with Pyflare(config) as mf:
        profiler = cProfile.Profile()
        profiler.enable()
        assert (await mf.dispatch_fetch("/?name=Ada")).text == "Hello, Ada!"
        profiler.disable()
    seen = {(file, line, function) for file, line, function in pstats.Stats(profiler).stats}
    src = tmp_path / "src"
    assert (str(src / "entry.py"), 9, "fetch") in seen
    assert (str(src / "greeting.py"), 1, "greet") in seen


HOLD = """\
import os
import time

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        open(os.environ["INSIDE"], "w").close()
        while not os.path.exists(os.environ["RELEASE"]):  # a handler busy in Python code
            time.sleep(0.01)
        return Response("done")
"""


@pytest.mark.slow
def test_py_spy_shows_the_handler_frame_of_a_running_dev_server(tmp_path):
    py_spy = pypi_tool("py-spy")
    config = write_worker(tmp_path / "w", CONFIG, {"src/entry.py": HOLD})
    inside, release = tmp_path / "inside", tmp_path / "release"
    env = {**os.environ, "INSIDE": str(inside), "RELEASE": str(release)}
    proc = subprocess.Popen([sys.executable, "-m", "pyflare", "dev", str(config), "--port", "0", "--no-persist",
                             "--no-reload"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = (proc.stdout.readline() if proc.stdout else "").split("Ready on ", 1)[1].strip()
        answer: dict[str, httpx.Response] = {}
        request = threading.Thread(target=lambda: answer.update(r=httpx.get(url, timeout=60)))
        request.start()
        deadline = time.monotonic() + 30
        while not inside.exists() and time.monotonic() < deadline:  # the handler says it is running
            time.sleep(0.01)
        dump = subprocess.run([py_spy, "dump", "--full-filenames", "--pid", str(proc.pid)], capture_output=True, text=True, timeout=60)
        release.touch()
        request.join(30)
        assert answer["r"].text == "done"
    finally:
        release.touch()
        proc.terminate()
        proc.communicate(timeout=30)
    if dump.returncode != 0 and "ermission" in dump.stderr:
        pytest.skip(f"py-spy may not read another process here: {dump.stderr.strip().splitlines()[-1]}")
    assert f"Default.fetch ({config.parent / 'src' / 'entry.py'}:11)" in dump.stdout, dump.stdout + dump.stderr
