"""A project's packages as pywrangler sees them: requirements.txt, uv.lock and pylock.toml pins (a lock wins),
``--install-deps`` refusing to change pyflare's own dependencies, and the Python version Cloudflare would use."""

from __future__ import annotations

import json
import platform
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from pyflare import dependencies
from pyflare.dependencies import installer as installing
from pyflare.dependencies.project import read_project
from pyflare.dependencies.python import python_notes

HERE = f"{sys.version_info.major}.{sys.version_info.minor}"

UV_LOCK = """
    version = 1
    revision = 1
    requires-python = ">=3.10"

    [[package]]
    name = "demo-worker"
    version = "0.1.0"
    source = { virtual = "." }
    dependencies = [
        { name = "httpx" },
        { name = "absent-pkg", extra = ["speed"] },
        { name = "never-here", marker = "sys_platform == 'nonexistent'" },
    ]

    [package.dev-dependencies]
    dev = [{ name = "pytest" }]

    [[package]]
    name = "httpx"
    version = "0.0.1"
    source = { registry = "https://pypi.org/simple" }
    dependencies = [{ name = "anyio" }]

    [[package]]
    name = "anyio"
    version = "4.0.0"
    source = { registry = "https://pypi.org/simple" }

    [[package]]
    name = "Absent_Pkg"
    version = "2.1.0"
    source = { registry = "https://pypi.org/simple" }

    [package.optional-dependencies]
    speed = [{ name = "fast-thing" }]

    [[package]]
    name = "fast-thing"
    version = "1.0"
    source = { registry = "https://pypi.org/simple" }

    [[package]]
    name = "never-here"
    version = "9.9"
    source = { registry = "https://pypi.org/simple" }

    [[package]]
    name = "pytest"
    version = "8.0.0"
    source = { registry = "https://pypi.org/simple" }
"""


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


def pyproject(*requirements: str, requires_python: str | None = None) -> str:
    listed = ", ".join(f'"{r}"' for r in requirements)
    extra = f'requires-python = "{requires_python}"\n' if requires_python else ""
    return f'[project]\nname = "demo-worker"\nversion = "0.1.0"\n{extra}dependencies = [{listed}]\n'


def test_uv_lock_pins_what_the_project_needs_and_not_its_dev_group(tmp_path):
    root = project(tmp_path, {"pyproject.toml": pyproject("httpx", "absent-pkg[speed]"), "uv.lock": UV_LOCK})
    found = read_project(root)
    assert found.lock == root / "uv.lock"
    assert found.pins == {"httpx": "0.0.1", "anyio": "4.0.0", "absent-pkg": "2.1.0", "fast-thing": "1.0"}


def test_a_lock_wins_over_what_is_installed_and_over_the_declaration(tmp_path):
    root = project(tmp_path, {"pyproject.toml": pyproject("httpx>=0.20", "absent-pkg[speed]"), "uv.lock": UV_LOCK})
    report = dependencies.check(root)
    # httpx>=0.20 is satisfied by what is installed, but the lock says 0.0.1
    assert report.missing == ["absent-pkg[speed]==2.1.0", "httpx==0.0.1"] or report.missing == [
        "httpx==0.0.1", "absent-pkg[speed]==2.1.0"]
    message = report.messages()[0]
    assert message.startswith(f"{root / 'uv.lock'}: the worker's dependencies are not all installed here: ")
    assert f"httpx==0.0.1 ({httpx.__version__} is installed)" in message
    assert "-m pip install" in message and "'absent-pkg[speed]==2.1.0'" in message


def test_pylock_toml_wins_over_uv_lock(tmp_path):
    pylock = """
        lock-version = "1.0"
        created-by = "uv"
        [[packages]]
        name = "httpx"
        version = "0.0.2"
        [[packages]]
        name = "only-on-emscripten"
        version = "1.0"
        marker = "sys_platform == 'emscripten'"
    """
    root = project(tmp_path, {"pyproject.toml": pyproject("httpx"), "uv.lock": UV_LOCK, "pylock.toml": pylock})
    found = read_project(root)
    assert (found.lock, found.pins) == (root / "pylock.toml", {"httpx": "0.0.2"})


def test_requirements_txt_is_read_when_there_is_no_pyproject(tmp_path):
    root = project(tmp_path, {"requirements.txt": """
        # built-in packages
        httpx
        pyflare-surely-absent-pkg>=1  # trailing comment
        --index-url https://example.invalid/simple
    """})
    report = dependencies.check(root)
    assert report.missing == ["pyflare-surely-absent-pkg>=1"]
    messages = report.messages()
    assert messages[0].startswith(f"{root / 'requirements.txt'}: the worker's dependencies are not all installed")
    assert any(m.startswith(f"{root / 'requirements.txt'}: '--index-url https://example.invalid/simple' is not "
                            "followed") for m in messages)
    assert any("pywrangler no longer reads requirements.txt" in m for m in messages)


def test_pyflare_provides_the_workers_sdk_so_it_is_never_missing(tmp_path):
    root = project(tmp_path, {"pyproject.toml": pyproject("workers-runtime-sdk>=1.1", "webtypy; python_version < '3'")})
    assert dependencies.check(root).missing == []


def test_install_asks_for_locked_versions_and_missing_locked_dependencies(tmp_path):
    root = project(tmp_path, {"pyproject.toml": pyproject("absent-pkg[speed]"), "uv.lock": UV_LOCK})
    targets = installing.install_targets(dependencies.check(root))
    # fast-thing is not installed: pinned too; anyio and httpx are installed: pip keeps them if they suit
    assert targets == ["absent-pkg[speed]==2.1.0", "fast-thing==1.0"]


def fake_pip(monkeypatch, planned: list[tuple[str, str]]) -> list[list[str]]:
    calls: list[list[str]] = []

    def pip(arguments: list[str]) -> int:
        calls.append(arguments)
        if "--dry-run" in arguments:
            report = Path(arguments[arguments.index("--report") + 1])
            report.write_text(json.dumps({"install": [{"metadata": {"name": n, "version": v}} for n, v in planned]}))
        return 0

    monkeypatch.setattr(installing, "_pip", pip)
    return calls


def test_install_refuses_to_change_packages_pyflare_runs_on(tmp_path, monkeypatch):
    import starlette

    root = project(tmp_path, {"pyproject.toml": pyproject("pyflare-surely-absent-pkg")})
    calls = fake_pip(monkeypatch, [("pyflare-surely-absent-pkg", "1.0"), ("starlette", "0.20.0")])
    with pytest.raises(installing.InstallRefused) as refused:
        dependencies.install(dependencies.check(root))
    text = str(refused.value)
    assert f"starlette {starlette.__version__} -> 0.20.0 (needed as starlette>=0.37 by pyflare: NOT satisfied)" in text
    assert "Nothing was installed" in text and "--allow-dependency-changes" in text
    assert [c[:2] for c in calls] == [["install", "--dry-run"]]  # only the dry run ran


def test_install_proceeds_when_pyflares_packages_stay_or_changes_are_allowed(tmp_path, monkeypatch):
    root = project(tmp_path, {"pyproject.toml": pyproject("pyflare-surely-absent-pkg")})
    calls = fake_pip(monkeypatch, [("pyflare-surely-absent-pkg", "1.0"), ("some-unrelated-lib", "2.0")])
    assert dependencies.install(dependencies.check(root)) == 0
    assert calls[-1] == ["install", "pyflare-surely-absent-pkg"]
    calls = fake_pip(monkeypatch, [("pyflare-surely-absent-pkg", "1.0"), ("starlette", "0.20.0")])
    assert dependencies.install(dependencies.check(root), allow_changes=True) == 0
    assert calls[-1] == ["install", "pyflare-surely-absent-pkg"]


def test_pyflares_own_requirements_are_followed_through_installed_packages():
    needed = installing.pyflare_requirements()
    assert ("", "starlette") in needed["anyio"] or any(by == "starlette" for _, by in needed["anyio"])
    assert ("", "pyflare") not in needed.get("starlette", []) and needed["starlette"][0][1] == "pyflare"


def test_python_notes_name_a_mismatch_with_this_interpreter():
    other = "3.12" if HERE != "3.12" else "3.13"
    date = "2025-03-16" if other == "3.12" else "2026-01-01"
    notes = python_notes(["python_workers"], date, f"=={other}.*", "pyproject.toml")
    assert notes[0].startswith(f"Python {other}: the version Cloudflare runs this worker on (compatibility ")
    assert f"pyflare runs it on Python {platform.python_version()}" in notes[0]
    assert notes[1] == (f'pyproject.toml: requires-python "=={other}.*" does not allow Python '
                        f"{platform.python_version()}, which is running pyflare")
    matching = "2025-03-16" if HERE == "3.12" else "2026-01-01"
    if HERE in ("3.12", "3.13"):
        assert python_notes(["python_workers"], matching, f">={HERE}") == []
