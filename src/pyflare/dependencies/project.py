"""What a worker's project declares and locks: ``pyproject.toml``, ``requirements.txt``, ``uv.lock``, ``pylock.toml``.

The project is the folder of the wrangler config (where pywrangler looks). Declared packages come from
``[project].dependencies`` of its ``pyproject.toml``, else from ``requirements.txt`` (the 2024 convention
that wrangler read for Cloudflare's built-in packages; today's pywrangler refuses to run while one exists).
A lock pins versions and wins over the declaration: ``pylock.toml`` (PEP 751, what ``pywrangler sync``
writes and installs for Cloudflare), else ``uv.lock`` (the versions the author ran with ``uv``). Only
what the project itself needs is taken from a lock: its declared packages and what they depend on, not
its dev groups.
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
# A lock entry read from a source that has no version to pin (the project itself, a path, a checkout).
_LOCAL_SOURCES = ("virtual", "editable", "path", "directory", "git", "url")


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


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def read_project(root: Path) -> Project:
    """The project in ``root`` (the folder of the wrangler config)."""
    project = Project(root)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        project.pyproject = pyproject
        data = _load_toml(pyproject)
        if data is None:
            project.notes.append(f"{pyproject}: not valid TOML; its dependencies are not checked")
        else:
            table = data.get("project") or {}
            project.requirements = [d for d in table.get("dependencies") or [] if isinstance(d, str)]
            requires = table.get("requires-python")
            project.requires_python = requires if isinstance(requires, str) else None
    requirements_txt = root / "requirements.txt"
    if requirements_txt.is_file():
        project.requirements_txt = requirements_txt
        if not project.requirements:
            project.requirements = _read_requirements_txt(requirements_txt, project.notes)
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


def _read_requirements_txt(path: Path, notes: list[str]) -> list[str]:
    requirements = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        notes.append(f"{path}: cannot be read")
        return []
    for line in lines:
        text = line.split(" #", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("-"):  # -r other.txt, --index-url ...: pip options pyflare does not follow
            notes.append(f"{path}: {text!r} is not followed (pyflare reads package lines only)")
            continue
        requirements.append(text)
    return requirements


def read_lock(path: Path, project: Project) -> dict[str, str]:
    """The pins of a lock file that apply to this interpreter, for what the project needs."""
    data = _load_toml(path)
    if data is None:
        project.notes.append(f"{path}: not valid TOML; its pins are not used")
        return {}
    if path.name == "uv.lock":
        return _uv_lock_pins(data, project)
    return _pylock_pins(data)


def _environment(extra: str = "") -> dict[str, str]:
    from packaging.markers import default_environment

    return dict(default_environment(), extra=extra)


def _marker_holds(marker: str | None, extra: str = "") -> bool:
    if not marker:
        return True
    from packaging.markers import InvalidMarker, Marker

    try:
        return Marker(marker).evaluate(_environment(extra))
    except (InvalidMarker, Exception):
        return True  # a marker this packaging cannot read: keep the pin rather than drop it silently


def _pylock_pins(data: dict[str, Any]) -> dict[str, str]:
    """PEP 751: every package applies, but for its ``marker``."""
    pins = {}
    for package in data.get("packages") or []:
        name, version = package.get("name"), package.get("version")
        if isinstance(name, str) and isinstance(version, str) and _marker_holds(package.get("marker")):
            pins[_canonical(name)] = version
    return pins


def _uv_lock_pins(data: dict[str, Any], project: Project) -> dict[str, str]:
    """uv.lock: walk the lock from the project's own entry through its (non-dev) dependencies."""
    entries: dict[str, list[dict[str, Any]]] = {}
    for package in data.get("package") or []:
        if isinstance(package.get("name"), str):
            entries.setdefault(_canonical(package["name"]), []).append(package)
    roots = [p for group in entries.values() for p in group
             if (p.get("source") or {}).get("virtual") == "." or (p.get("source") or {}).get("editable") == "."]
    if not roots:  # a lock without the project's own entry: take every registry package
        return {name: group[0]["version"] for name, group in entries.items()
                if isinstance(group[0].get("version"), str) and not _is_local(group[0])}
    pins: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    pending: list[tuple[dict[str, Any], str]] = [(dep, "") for dep in roots[0].get("dependencies") or []]
    while pending:
        dep, extra_of_parent = pending.pop()
        if not isinstance(dep, dict) or not _marker_holds(dep.get("marker"), extra_of_parent):
            continue
        name = _canonical(str(dep.get("name", "")))
        package = _pick(entries.get(name) or [], dep.get("version"))
        if package is None:
            continue
        extras = [e for e in dep.get("extra") or [] if isinstance(e, str)]
        key = (name, ",".join(sorted(extras)))
        if key in seen:
            continue
        seen.add(key)
        if _is_local(package):
            project.notes.append(f"{project.lock}: {package['name']} comes from a local source; it is not pinned")
        elif isinstance(package.get("version"), str):
            pins[name] = package["version"]
        pending.extend((child, "") for child in package.get("dependencies") or [])
        optional = package.get("optional-dependencies") or {}
        for extra in extras:
            pending.extend((child, extra) for child in optional.get(extra) or [])
    return pins


def _pick(candidates: list[dict[str, Any]], version: Any) -> dict[str, Any] | None:
    """The lock entry a dependency means: the one with its version, else the one for this interpreter."""
    if not candidates:
        return None
    if isinstance(version, str):
        for candidate in candidates:
            if candidate.get("version") == version:
                return candidate
    for candidate in candidates:
        markers = candidate.get("resolution-markers") or []
        if not markers or any(_marker_holds(m) for m in markers):
            return candidate
    return candidates[0]


def _is_local(package: dict[str, Any]) -> bool:
    source = package.get("source") or {}
    return any(key in source for key in _LOCAL_SOURCES)
