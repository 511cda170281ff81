"""pyflare as a user installs it: the built wheel in a clean virtualenv runs the README's quick start, and the
project ``pyflare init`` writes works with pip and with uv.

These build and install for real (PyPI through pip's and uv's caches), so they take tens of seconds: they
are marked ``slow`` (``-m "not slow"`` leaves them out). The distribution is not on PyPI yet, so the
tests point the project at the wheel they built: pip with ``--find-links``, uv with a path source, while
the project's own files name the real distribution.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import httpx
import pytest
from tests.docs.blocks import blocks
from tests.tools import pypi_tool

from pyflare.kernel.distribution import DISTRIBUTION
from pyflare.storage.locks import FileLock

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]  # README.md and docs/testing.md give the commands run here
STRICT = ("-W", "error::pytest.PytestConfigWarning", "-W", "error::pytest.PytestDeprecationWarning")


def commands(page: str, containing: str) -> list[list[str]]:
    """The commands (one per line, comments dropped) of the shell block of ``page`` holding ``containing``."""
    [block] = [b for b in blocks(ROOT / page) if b.lang == "bash" and containing in b.body]
    return [shlex.split(line, comments=True) for line in block.body.splitlines() if shlex.split(line, comments=True)]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this checkout on PYTHONPATH, nor an active virtualenv: what a new shell has."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 600) -> str:
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env or clean_env(), capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, command))} exited {result.returncode}:\n"
                             f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An sdist and a wheel built from this checkout with ``python -m build`` (the wheel from the sdist, so
    the sdist is checked to hold what builds), or a wheel from ``pip wheel`` where build is missing."""
    out = tmp_path_factory.mktemp("dist")
    # Builds write the egg-info into the checkout: pytest-xdist's workers take turns (a lock all of them see).
    with FileLock(tmp_path_factory.getbasetemp().parent / "pyflare-build.lock"):
        if importlib.util.find_spec("build") is not None:
            run(sys.executable, "-m", "build", "--outdir", out, ROOT, timeout=900)
        else:
            run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", out, ROOT, timeout=900)
    return out


def wheel_in(dist: Path) -> Path:
    [wheel] = dist.glob("pyflare_emulator-*.whl")
    return wheel


def test_the_wheel_and_the_sdist_hold_what_they_need(dist):
    names = zipfile.ZipFile(wheel_in(dist)).namelist()
    assert "pyflare/explorer/page.py" in names and "pyflare/py.typed" in names
    assert "pyflare/testing/plugin.py" in names and "pyflare/workers/pyodide/ffi.py" in names
    # the stub-only packages editors resolve worker code with, and the portability checker's data
    for stubs in ("workers-stubs", "js-stubs", "pyodide-stubs", "asgi-stubs"):
        assert any(n.startswith(f"{stubs}/") and n.endswith(".pyi") for n in names), stubs
    assert any(n.startswith("pyflare/portability/data/") and n.endswith(".json") for n in names)
    metadata = zipfile.ZipFile(wheel_in(dist)).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert f"Name: {DISTRIBUTION}\n" in metadata and "License-Expression: MIT" in metadata
    assert "Provides-Extra: testing" in metadata and "Provides-Extra: dev" in metadata
    entry_points = zipfile.ZipFile(wheel_in(dist)).read(
        next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "pyflare = pyflare.cli:main" in entry_points and "pyflare = pyflare.testing.plugin" in entry_points
    sdists = list(dist.glob("pyflare_emulator-*.tar.gz"))
    if sdists:  # built with python -m build
        members = tarfile.open(sdists[0]).getnames()
        for expected in ("LICENSE", "README.md", "docs/testing.md", "examples/hello/wrangler.toml",
                         "tests/conftest.py"):
            assert any(m.endswith("/" + expected) for m in members), expected
        assert not any("/.pyflare/" in m or "__pycache__" in m for m in members)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv without the system's site-packages."""
    folder = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", folder)
    return folder


def test_the_wheel_runs_the_quick_start_in_a_clean_venv_and_the_init_project_works_with_pip(
        dist, venv, tmp_path):
    bin_dir = venv / "bin"
    python = bin_dir / "python"
    # pip >= 25.1 installs a project's dependency groups (--group); the venv's bundled pip may be older.
    run(python, "-m", "pip", "install", "-q", "--upgrade", "pip")
    # docs/testing.md's install command, finding the unreleased distribution in the wheel folder.
    [install] = commands("docs/testing.md", "pip install")
    assert install[:4] == ["python3", "-m", "pip", "install"] and install[4] == f"{DISTRIBUTION}[testing]"
    run(python, "-m", "pip", "install", "-q", "--find-links", dist, *install[4:])

    # README's first command, with the wheel: serve the bundled example.
    server = subprocess.Popen([bin_dir / "pyflare", "dev", ROOT / "examples" / "hello", "--port", "0",
                               "--no-persist", "--no-reload"],
                              env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""
        assert line.startswith("Ready on "), (line, server.stderr.read() if server.stderr else "")
        url = line.split("Ready on ", 1)[1].strip()
        assert httpx.get(url + "/?name=you", timeout=10).text == "Hello, you!"
    finally:
        server.terminate()
        server.wait(timeout=30)

    # README's quick start, steps 1 and 2: pyflare init, then the project's test passes on anyio's plugin
    # without pytest-asyncio and without a warning. Its dev group installs with pip too.
    init, _serve = commands("README.md", "pyflare init")
    assert init[:3] == ["pyflare", "init", "my-worker"]
    run(bin_dir / "pyflare", *init[1:3], cwd=tmp_path)
    project = tmp_path / init[2]
    install, test = commands("README.md", "# 2 passed")  # step 2 of the quick start
    assert install == ["python3", "-m", "pip", "install", "pytest"] and test == ["python3", "-m", "pytest", "-q"]
    run(python, *install[1:], "-q", cwd=project)
    run(python, "-m", "pip", "install", "-q", "--group", "dev", "--find-links", dist, cwd=project)
    assert run(python, "-c", "import importlib.util as u; print(u.find_spec('pytest_asyncio'))").strip() == "None"
    output = run(python, *test[1:], "-p", "no:cacheprovider", *STRICT, cwd=project)
    assert "2 passed" in output and "warning" not in output.lower()


def test_the_init_project_works_with_uv(dist, tmp_path):
    uv = pypi_tool("uv")
    run(sys.executable, "-m", "pyflare", "init", "my-worker", cwd=tmp_path, env={**os.environ})
    project = tmp_path / "my-worker"
    pyproject = project / "pyproject.toml"
    assert f'dev = ["{DISTRIBUTION}[testing]"]' in pyproject.read_text()
    # The test's only addition: where uv finds the unreleased distribution (a path source, as for a
    # local checkout); the project still names it as users will.
    pyproject.write_text(pyproject.read_text() + f'\n[tool.uv.sources]\n{DISTRIBUTION} = {{ path = "{wheel_in(dist)}" }}\n')
    env = clean_env(UV_PYTHON=sys.executable, UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    run(uv, "sync", cwd=project, env=env)
    output = run(uv, "run", "pytest", "-q", "-p", "no:cacheprovider", *STRICT, cwd=project, env=env)
    assert "2 passed" in output and "warning" not in output.lower()
