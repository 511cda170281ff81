"""The pyproject.toml beside the config: missing packages named with the install command, and packages
Cloudflare's Python runtime cannot load (compiled, no Pyodide build) named too."""

from __future__ import annotations

import sys

import httpx

from pyflare import Pyflare, dependencies

CONFIG = 'name = "deps"\nmain = "src/entry.py"\n'
ENTRY = "from workers import Response\ndef on_fetch(request):\n    return Response('ok')\n"


def pyproject(*requirements: str) -> str:
    listed = ", ".join(f'"{r}"' for r in requirements)
    return f'[project]\nname = "w"\nversion = "0"\ndependencies = [{listed}]\n'


async def test_missing_and_mismatched_packages_are_named_with_the_install_command(worker_dir, pyflare_log):
    path = worker_dir(CONFIG, {"src/entry.py": ENTRY, "pyproject.toml": pyproject(
        "httpx", "pyflare-surely-absent-pkg>=1", "httpx<0.0.1", "absent-on-this-os; sys_platform == 'nonexistent'")})
    async with Pyflare(path) as mf:
        assert (await mf.dispatch_fetch("/")).text == "ok"  # the worker still starts
    expected = (f"{path.parent / 'pyproject.toml'}: the worker's dependencies are not all installed here: "
                f"pyflare-surely-absent-pkg>=1, httpx<0.0.1 ({httpx.__version__} is installed). Install them with: "
                f"{sys.executable} -m pip install "
                "'pyflare-surely-absent-pkg>=1' 'httpx<0.0.1' (or start with pyflare dev --install-deps)")
    assert expected in pyflare_log.lines


def test_compiled_packages_without_a_pyodide_build_are_named(tmp_path):
    (tmp_path / "pyproject.toml").write_text(pyproject("watchfiles", "pydantic"))
    report = dependencies.check(tmp_path)
    assert report.missing == []
    assert report.native == ["watchfiles"]  # pydantic-core is compiled too, but Pyodide builds it
    assert "watchfiles: compiled extension(s) without a Pyodide build" in report.messages()[0]


def test_pure_python_dependencies_give_no_messages(tmp_path):
    (tmp_path / "pyproject.toml").write_text(pyproject("httpx", "croniter"))
    assert dependencies.check(tmp_path).messages() == []


def test_no_pyproject_means_nothing_to_check(tmp_path):
    assert dependencies.check(tmp_path).messages() == []



