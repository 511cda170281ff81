"""Everything a user copies installs pyflare by its distribution name: no page, template or script says
``pip install pyflare`` or lists ``"pyflare"`` as a dependency (that name on PyPI is an unrelated project),
and CI runs the commands README.md starts with."""

from __future__ import annotations

import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import pytest
from packaging.requirements import Requirement

from pyflare.cli.init import PYPROJECT_TOML
from pyflare.kernel.distribution import DISTRIBUTION

ROOT = Path(__file__).resolve().parents[2]

# An installer command naming the bare name (``pip install -q pyflare``, ``uv add 'pyflare[testing]'``), or a
# requirement string in a TOML list (``["pyflare", ...]``, ``"pyflare[testing]>=0.1"``).
INSTALL = re.compile(r"\b(?:pip3?\s+install|uv\s+(?:add|pip\s+install)|pipx\s+install)\b[^\n`&;|#]*?"
                     r"(?<![\w./-])['\"]?pyflare(?![\w-])")
REQUIREMENT = re.compile(r"[\"']pyflare(?:\[[\w,\s-]*\])?(?:\s*[<>=~!][^\"']*)?[\"']\s*[,\]]")


def user_facing_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / ".ci" / "run", ROOT / "noxfile.py",
             ROOT / "src" / "pyflare" / "cli" / "init.py", ROOT / "src" / "pyflare" / "kernel" / "distribution.py",
             *sorted((ROOT / "docs").glob("*.md"))]
    files += sorted(p for p in (ROOT / "examples").rglob("*") if p.suffix in (".md", ".toml", ".txt")
                    and ".pyflare" not in p.parts)
    return [p for p in files if p.is_file()]


def wrong_names(text: str) -> list[str]:
    return [m.group(0) for m in INSTALL.finditer(text)] + [m.group(0) for m in REQUIREMENT.finditer(text)]


@pytest.mark.parametrize("path", user_facing_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_installs_the_unrelated_pyflare(path: Path):
    assert wrong_names(path.read_text()) == []


def requirements(pyproject: dict) -> list[str]:
    project = pyproject.get("project", {})
    found = list(project.get("dependencies", []))
    for group in (*project.get("optional-dependencies", {}).values(), *pyproject.get("dependency-groups", {}).values()):
        found += [r for r in group if isinstance(r, str)]
    return found


def test_pyprojects_require_the_distribution_by_its_name():
    pyprojects = [ROOT / "pyproject.toml", *(p for p in (ROOT / "examples").rglob("pyproject.toml"))]
    for path in pyprojects:
        names = {Requirement(r).name for r in requirements(tomllib.loads(path.read_text()))}
        assert "pyflare" not in names, path
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"] == DISTRIBUTION


def test_the_init_template_depends_on_the_distribution():
    written = PYPROJECT_TOML.format(name="w", distribution=DISTRIBUTION)
    assert requirements(tomllib.loads(written)) == [f"{DISTRIBUTION}[testing]"] and wrong_names(written) == []


@pytest.mark.parametrize("text", [
    "python3 -m pip install pyflare", "pip install -q 'pyflare[testing]'", "uv add pyflare",
    'dev = ["pyflare", "pytest"]', 'dependencies = ["pyflare>=0.1"]',
])
def test_the_check_catches_the_bare_name(text: str):
    assert wrong_names(text)


@pytest.mark.parametrize("text", [
    "python3 -m pip install 'pyflare-emulator[testing]'", "pip install -e . && python3 -m pyflare dev",
    '"pyflare": {"vectorize": {}}', "uv add pyflare-emulator", "pip install ./pyflare",
])
def test_the_check_leaves_the_right_name_alone(text: str):
    assert wrong_names(text) == []


def test_ci_runs_the_commands_readme_starts_with():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.split("#")[0].strip()]
    install_and_test = commands[1]
    assert install_and_test == 'python3 -m pip install -e ".[dev]" && python3 -m pytest -q'
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == install_and_test
