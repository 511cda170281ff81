"""A worker's declared Python packages: are they installed here, can Cloudflare load them, and installing them.

pywrangler vendors the project's packages (``[project].dependencies`` of its ``pyproject.toml``, at the
versions of its ``pylock.toml``) into ``python_modules/`` as Pyodide builds. pyflare runs the worker on
CPython with the packages installed in its own environment, so at start it checks the same list
(:mod:`pyflare.dependencies.project` says where it is read from; a lock's versions win):

- a declared package that is not installed, or whose version is not the locked one (or does not satisfy
  the declaration), is named, with the exact ``pip install`` command (``pyflare dev --install-deps`` runs it);
- an installed package of the worker's dependency tree that carries compiled extensions (judged from the
  installed distribution: a wheel that is not ``Root-Is-Purelib``, or ``.so``/``.pyd`` files) and is not
  among the packages Pyodide builds (Pyodide's package list, :mod:`pyflare.portability.packages`) is named
  too: it runs here, but Cloudflare loads it only if PyPI has a pure or PyEmscripten wheel of it.
  ``pyflare check`` decides that from a lock file's wheel lists;
- a ``requires-python`` that excludes this interpreter, and the Python version Cloudflare would run the
  worker on when it is not this one (:mod:`pyflare.dependencies.python`).

Installing (:mod:`pyflare.dependencies.installer`) never changes pyflare's own dependencies silently.
"""

from __future__ import annotations

import importlib
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pyflare.dependencies.project import PROVIDED, Project, read_project

if TYPE_CHECKING:  # packaging and importlib.metadata load only for a project that declares packages
    import importlib.metadata as metadata

    from packaging.requirements import Requirement

# The Pyodide package index whose builds count here: Python 3.13's, the default runtime (pyflare check picks the
# one the config selects; see pyflare.portability.targets).
PYODIDE_INDEX = "0.28.3"


@dataclass
class DependencyReport:
    project: Project | None = None
    missing: list[str] = field(default_factory=list)  # what to install: declared strings, or name==locked
    installed_instead: dict[str, str] = field(default_factory=dict)  # name -> the version installed now
    native: list[str] = field(default_factory=list)  # installed package names with no Pyodide build

    @property
    def pyproject(self) -> Path | None:  # where the packages are declared (kept for older callers)
        return self.project.declared_in if self.project is not None else None

    @property
    def install_command(self) -> list[str]:
        return [sys.executable, "-m", "pip", "install", *self.missing]

    def _source(self) -> Path | None:
        if self.project is None:
            return None
        return self.project.lock if self.project.pins else self.project.declared_in

    def messages(self) -> list[str]:
        lines = []
        if self.missing:
            named = ", ".join(
                f"{text} ({self.installed_instead[text]} is installed)" if text in self.installed_instead else text
                for text in self.missing)
            lines.append(
                f"{self._source()}: the worker's dependencies are not all installed here: {named}. Install them "
                f"with: {shlex.join(self.install_command)} (or start with pyflare dev --install-deps)")
        if self.native:
            lines.append(
                f"{self.pyproject}: {', '.join(self.native)}: compiled extension(s) without a Pyodide build; "
                "they run under pyflare, but Cloudflare's Python runtime loads them only if PyPI has a pure or "
                "PyEmscripten wheel of them (pyflare check tells, from a uv.lock)")
        if self.project is not None:
            lines += self.project.notes
        return lines


def find_pyproject(folder: Path) -> Path | None:
    """The ``pyproject.toml`` beside the config (pywrangler's project root in the usual layout)."""
    candidate = folder / "pyproject.toml"
    return candidate if candidate.is_file() else None


def declared(pyproject: Path) -> list[str]:
    return read_project(pyproject.parent).requirements


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


_cache: dict[tuple[tuple[str, float], ...], DependencyReport] = {}
_PROJECT_FILES = ("pyproject.toml", "requirements.txt", "pylock.toml", "uv.lock")


def check(folder: Path) -> DependencyReport:
    """The report for the project in ``folder`` (cached while its files are unchanged)."""
    folder = folder.resolve()
    key = tuple((str(folder / name), (folder / name).stat().st_mtime) for name in _PROJECT_FILES
                if (folder / name).is_file())
    if not key:
        return DependencyReport()
    if key not in _cache:
        _cache[key] = _check(read_project(folder))
    return _cache[key]


def _check(project: Project) -> DependencyReport:
    from packaging.markers import default_environment
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    from pyflare.portability.packages import binary_builds

    pyodide_native = binary_builds(PYODIDE_INDEX)
    report = DependencyReport(project)
    environment = default_environment()
    seen: set[str] = set()
    queue: list[Requirement] = []
    for text in project.requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            report.missing.append(text)
            continue
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        name = canonicalize_name(requirement.name)
        if name in PROVIDED:  # pyflare is the `workers` module itself
            continue
        dist = _distribution(requirement.name)
        pinned = project.pins.get(name)
        if pinned is not None:
            wanted = f"{requirement.name}{'[' + ','.join(sorted(requirement.extras)) + ']' if requirement.extras else ''}" \
                     f"=={pinned}"
            if dist is None or dist.version != pinned:
                report.missing.append(wanted)
                if dist is not None:
                    report.installed_instead[wanted] = dist.version
                continue
        elif dist is None or not requirement.specifier.contains(dist.version, prereleases=True):
            report.missing.append(text)
            if dist is not None:
                report.installed_instead[text] = dist.version
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


def install(report: DependencyReport, *, allow_changes: bool = False) -> int:
    """Install what the report says is missing (locked versions first); returns pip's exit status.

    Raises :class:`~pyflare.dependencies.installer.InstallRefused` when installing would change a package
    pyflare itself depends on, unless ``allow_changes``."""
    from pyflare.dependencies.installer import install_missing

    return install_missing(report, allow_changes=allow_changes)


__all__ = ["PYODIDE_INDEX", "DependencyReport", "Project", "check", "forget", "install", "read_project"]
