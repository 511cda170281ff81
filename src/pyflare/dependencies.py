"""A worker's declared Python packages: are they installed here, and can Cloudflare load them?

pywrangler vendors the ``[project].dependencies`` of the project's ``pyproject.toml`` (beside the wrangler
config) into ``python_modules/`` as Pyodide builds. pyflare runs the worker on CPython with the
packages installed in its own environment, so at start it checks the same list:

- a declared package that is not installed (or whose version does not satisfy the declaration) is named,
  with the exact ``pip install`` command (``pyflare dev --install-deps`` runs it);
- an installed package of the worker's dependency tree that carries compiled extensions (judged from the
  installed distribution: a wheel that is not ``Root-Is-Purelib``, or ``.so``/``.pyd`` files) and is not
  among the packages Pyodide builds (Pyodide's package list, :mod:`pyflare.portability.packages`) is named
  too: it runs here, but Cloudflare loads it only if PyPI has a pure or PyEmscripten wheel of it.
  ``pyflare check`` decides that from a lock file's wheel lists.
"""

from __future__ import annotations

import importlib
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # packaging and importlib.metadata load only for a project with a pyproject.toml
    import importlib.metadata as metadata

    from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# The Pyodide package index whose builds count here: Python 3.13's, the default runtime (pyflare check picks the
# one the config selects; see pyflare.portability.targets).
PYODIDE_INDEX = "0.28.3"


@dataclass
class DependencyReport:
    pyproject: Path | None = None
    missing: list[str] = field(default_factory=list)  # requirement strings, as declared
    native: list[str] = field(default_factory=list)  # installed package names with no Pyodide build

    @property
    def install_command(self) -> list[str]:
        return [sys.executable, "-m", "pip", "install", *self.missing]

    def messages(self) -> list[str]:
        lines = []
        if self.missing:
            lines.append(
                f"{self.pyproject}: the worker's dependencies are not all installed here: "
                f"{', '.join(self.missing)}. Install them with: {shlex.join(self.install_command)} "
                "(or start with pyflare dev --install-deps)")
        if self.native:
            lines.append(
                f"{self.pyproject}: {', '.join(self.native)}: compiled extension(s) without a Pyodide build; "
                "they run under pyflare, but Cloudflare's Python runtime loads them only if PyPI has a pure or "
                "PyEmscripten wheel of them (pyflare check tells, from a uv.lock)")
        return lines


def find_pyproject(folder: Path) -> Path | None:
    """The ``pyproject.toml`` beside the config (pywrangler's project root in the usual layout)."""
    candidate = folder / "pyproject.toml"
    return candidate if candidate.is_file() else None


def declared(pyproject: Path) -> list[str]:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    dependencies = (data.get("project") or {}).get("dependencies") or []
    return [d for d in dependencies if isinstance(d, str)]


def _distribution(name: str) -> metadata.Distribution | None:
    import importlib.metadata as metadata

    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def is_native(dist: metadata.Distribution) -> bool:
    wheel = dist.read_text("WHEEL") or ""
    if "Root-Is-Purelib: false" in wheel:
        return True
    return any(str(f).endswith((".so", ".pyd")) for f in (dist.files or []))


_cache: dict[tuple[str, float], DependencyReport] = {}


def check(folder: Path) -> DependencyReport:
    """The report for the project around ``folder`` (cached while its pyproject.toml is unchanged)."""
    pyproject = find_pyproject(folder.resolve())
    if pyproject is None:
        return DependencyReport()
    key = (str(pyproject), pyproject.stat().st_mtime)
    if key not in _cache:
        _cache[key] = _check(pyproject)
    return _cache[key]


def _check(pyproject: Path) -> DependencyReport:
    from packaging.markers import default_environment
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    from pyflare.portability.packages import binary_builds

    pyodide_native = binary_builds(PYODIDE_INDEX)
    report = DependencyReport(pyproject)
    environment = default_environment()
    seen: set[str] = set()
    queue: list[Requirement] = []
    for text in declared(pyproject):
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            report.missing.append(text)
            continue
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        dist = _distribution(requirement.name)
        if dist is None or not requirement.specifier.contains(dist.version, prereleases=True):
            report.missing.append(text)
            continue
        queue.append(requirement)
    while queue:  # the installed dependency tree of what was declared
        requirement = queue.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        dist = _distribution(requirement.name)
        if dist is None:
            continue
        if is_native(dist) and name not in pyodide_native:
            report.native.append(dist.metadata["Name"] or name)
        for text in dist.requires or []:
            try:
                child = Requirement(text)
            except InvalidRequirement:
                continue
            if child.marker is None or child.marker.evaluate(dict(environment, extra="")):
                queue.append(child)
    report.native.sort(key=str.lower)
    return report


def forget(report: DependencyReport) -> None:
    """Drop a cached report (after installing, the next check looks again)."""
    for key in [k for k, v in _cache.items() if v is report]:
        del _cache[key]
    importlib.invalidate_caches()


def install(report: DependencyReport) -> int:
    """Run the install command for the missing packages; returns pip's exit status."""
    if not report.missing:
        return 0
    return subprocess.call(report.install_command)
