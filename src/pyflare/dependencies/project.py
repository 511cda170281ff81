"""What a worker's project declares and locks: ``pyproject.toml``, ``requirements.txt``, ``uv.lock``, ``pylock.toml``.

The project is the folder of the wrangler config (where pywrangler looks). Declared packages come from
``[project].dependencies`` of its ``pyproject.toml``, else from ``requirements.txt`` (the 2024 convention
that wrangler read for Cloudflare's built-in packages; today's pywrangler refuses to run while one exists).
A lock pins versions and wins over the declaration: ``pylock.toml`` (PEP 751, what ``pywrangler sync``
writes and installs for Cloudflare), else ``uv.lock`` (the versions the author ran with ``uv``). Only
what the project itself needs is taken from a lock: its declared packages and what they depend on, not
its dev groups. The files are parsed by :mod:`pyflare.portability.packages` (which ``pyflare check`` reads
them with too); here markers are evaluated for this interpreter, where the packages get installed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LOCK_FILES = ("pylock.toml", "uv.lock")
# Packages that are pyflare's business: Cloudflare's SDK (pyflare is its own ``workers``) and pywrangler.
PROVIDED = frozenset({"workers-runtime-sdk", "workers-py"})


@dataclass
class Project:
    """What one project declares (``requirements``), pins (``pins``: name -> version) and requires."""

    root: Path
    pyproject: Path | None = None
    requirements_txt: Path | None = None
    lock: Path | None = None
    requirements: list[str] = field(default_factory=list)  # as written (PEP 508 strings)
    pins: dict[str, str] = field(default_factory=dict)  # canonical name -> locked version
    requires_python: str | None = None
    notes: list[str] = field(default_factory=list)  # things in the files the author should know about

    @property
    def declared_in(self) -> Path | None:
        return self.pyproject if self.pyproject is not None and self.requirements else (
            self.requirements_txt or self.pyproject)

    def files(self) -> list[Path]:
        return [p for p in (self.pyproject, self.requirements_txt, self.lock) if p is not None]


def _load_toml(path: Path) -> dict[str, Any] | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def read_project(root: Path) -> Project:
    """The project in ``root`` (the folder of the wrangler config)."""
    from pyflare.portability.packages import declared_requirements

    project = Project(root)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        project.pyproject = pyproject
        data = _load_toml(pyproject)
        if data is None:
            project.notes.append(f"{pyproject}: not valid TOML; its dependencies are not checked")
        else:
            found, problems = declared_requirements(pyproject, None)
            project.requirements = [d.text for d in found]
            project.notes += problems
            requires = (data.get("project") or {}).get("requires-python")
            project.requires_python = requires if isinstance(requires, str) else None
    requirements_txt = root / "requirements.txt"
    if requirements_txt.is_file():
        project.requirements_txt = requirements_txt
        if not project.requirements:
            try:
                found, problems = declared_requirements(None, requirements_txt)
            except (OSError, UnicodeDecodeError):
                found, problems = [], [f"{requirements_txt}: cannot be read"]
            project.requirements = [d.text for d in found]
            project.notes += problems + _option_lines(requirements_txt)
        project.notes.append(
            f"{requirements_txt}: Cloudflare's pywrangler no longer reads requirements.txt (it stops while one "
            "exists); list these packages in [project].dependencies of a pyproject.toml instead")
    for name in LOCK_FILES:
        lock = root / name
        if lock.is_file():
            project.lock = lock
            project.pins = read_lock(lock, project)
            break
    return project


def _option_lines(path: Path) -> list[str]:
    """pip options in a requirements file (``-r other.txt``, ``--index-url``): named, not followed."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return [f"{path}: {line.strip()!r} is not followed (pyflare reads package lines only)"
            for line in lines if line.strip().startswith("-")]


def read_lock(path: Path, project: Project) -> dict[str, str]:
    """The pins of a lock file that apply to this interpreter, for what the project needs."""
    from packaging.markers import default_environment

    from pyflare.portability import packages

    environment = dict(default_environment(), extra="")
    try:
        if path.name == "pylock.toml":  # PEP 751: every package applies, but for its marker
            markers = _pylock_markers(path)
            return {name: provided.version for name, provided in packages.read_pylock(path).items()
                    if provided.version and packages.marker_applies(markers.get(name), environment)}
        locked, roots = packages.read_uv_lock(path)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError):
        project.notes.append(f"{path}: cannot be read as a lock file; its pins are not used")
        return {}
    pins: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = list(roots)
    while pending:  # the project's own dependencies, and theirs, for this interpreter
        name, marker, extras = pending.pop()
        if (name, extras) in seen or not packages.marker_applies(marker, environment):
            continue
        seen.add((name, extras))
        provided = locked.get(name)
        if provided is None:
            continue
        if provided.version:
            pins[name] = provided.version
        pending.extend(provided.depends)
        for extra in extras:
            pending.extend(provided.optional.get(extra, []))
    return pins


def _pylock_markers(path: Path) -> dict[str, Any]:
    """Each pylock.toml package's marker (the portability reader keeps versions and wheels, not markers)."""
    from packaging.markers import InvalidMarker, Marker

    markers: dict[str, Any] = {}
    for package in (_load_toml(path) or {}).get("packages") or []:
        text = package.get("marker")
        if isinstance(text, str) and text:
            try:
                markers[_canonical(str(package.get("name", "")))] = Marker(text)
            except InvalidMarker:
                continue
    return markers


def _canonical(name: str) -> str:
    from pyflare.portability.packages import canonical

    return canonical(name)
