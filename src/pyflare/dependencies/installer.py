"""``pyflare dev --install-deps``: install a worker's packages without silently changing pyflare's own.

The worker's packages go into the environment pyflare runs in, so an install that up- or downgrades
something pyflare itself needs (starlette, uvicorn, httpx...) could break pyflare, or change the library
versions its features were tested with. So installing is two steps:

1. ``pip install --dry-run --report`` of what is missing: the declared packages at their locked versions
   (``name==version`` from ``pylock.toml``/``uv.lock``), plus the locked versions of their dependencies
   that are not installed at all (an installed dependency is kept when it suits, and pip says when not);
2. every package of that plan that is already installed at another version and that pyflare depends on
   (its requirements, followed through the installed packages) is named, with pyflare's requirement and
   whether the new version still satisfies it. If there is one, nothing is installed (``InstallRefused``),
   unless the caller allows it (``pyflare dev --install-deps --allow-dependency-changes``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyflare.dependencies.project import PROVIDED

if TYPE_CHECKING:
    from pyflare.dependencies import DependencyReport


class InstallRefused(Exception):
    """Installing the worker's packages would change packages pyflare runs on."""


@dataclass(frozen=True)
class Change:
    """A package pyflare depends on that the install would move to another version."""

    name: str
    installed: str
    planned: str
    needed: str  # pyflare's requirement(s) on it, e.g. "starlette>=0.37 (pyflare)"
    satisfied: bool

    def __str__(self) -> str:
        verdict = "still satisfied" if self.satisfied else "NOT satisfied"
        return f"{self.name} {self.installed} -> {self.planned} (needed as {self.needed}: {verdict})"


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def install_targets(report: DependencyReport) -> list[str]:
    """What to ask pip for: the missing declared packages, and locked dependencies not installed at all."""
    import importlib.metadata as metadata

    targets = list(report.missing)
    project = report.project
    if project is None or not project.pins:
        return targets
    from packaging.requirements import InvalidRequirement, Requirement

    named = set()
    for text in targets:
        try:
            named.add(_canonical(Requirement(text).name))
        except InvalidRequirement:
            continue
    for name, version in sorted(project.pins.items()):
        if name in named or name in PROVIDED:
            continue
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            targets.append(f"{name}=={version}")
    return targets


def pyflare_requirements() -> dict[str, list[tuple[str, str]]]:
    """pyflare's dependency closure as installed: package -> [(requirement text, required by)]."""
    import importlib.metadata as metadata

    from packaging.markers import default_environment
    from packaging.requirements import InvalidRequirement, Requirement

    environment = dict(default_environment(), extra="")
    try:
        roots = metadata.distribution("pyflare").requires or []
    except metadata.PackageNotFoundError:  # running from a source tree: read pyflare's own pyproject.toml
        roots = _source_requirements()
    needed: dict[str, list[tuple[str, str]]] = {}
    pending = [(text, "pyflare") for text in roots]
    while pending:
        text, by = pending.pop()
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        name = _canonical(requirement.name)
        first = name not in needed
        needed.setdefault(name, []).append((str(requirement.specifier), by))
        if first:
            try:
                dist = metadata.distribution(name)
            except metadata.PackageNotFoundError:
                continue
            pending.extend((child, name) for child in dist.requires or [])
    return needed


def _source_requirements() -> list[str]:
    from pyflare.dependencies.project import _load_toml

    # A source checkout's pyproject.toml (src/pyflare/dependencies/installer.py -> the checkout); importing the
    # package root for its __file__ would import every layer above this one.
    pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"
    data = _load_toml(pyproject) if pyproject.is_file() else None
    return list(((data or {}).get("project") or {}).get("dependencies") or [])


def dry_run(targets: list[str]) -> tuple[int, list[tuple[str, str]]]:
    """``pip install --dry-run --report``: pip's exit status and the (name, version) it would install."""
    with tempfile.TemporaryDirectory() as folder:
        report_path = Path(folder) / "report.json"
        status = _pip(["install", "--dry-run", "--quiet", "--report", str(report_path), *targets])
        if status != 0 or not report_path.is_file():
            return status or 1, []
        report = json.loads(report_path.read_text(encoding="utf-8"))
    planned = []
    for item in report.get("install") or []:
        meta = item.get("metadata") or {}
        if isinstance(meta.get("name"), str) and isinstance(meta.get("version"), str):
            planned.append((_canonical(meta["name"]), meta["version"]))
    return 0, planned


def _pip(arguments: list[str]) -> int:
    return subprocess.call([sys.executable, "-m", "pip", *arguments])


def changes_to_pyflare(planned: list[tuple[str, str]]) -> list[Change]:
    """The planned installs that move a package pyflare depends on to another version."""
    import importlib.metadata as metadata

    from packaging.specifiers import SpecifierSet

    needed = pyflare_requirements()
    changes = []
    for name, version in planned:
        if name not in needed:
            continue
        try:
            installed = metadata.distribution(name).version
        except metadata.PackageNotFoundError:
            continue  # pyflare would get a package it lacks: nothing of its own changes
        if installed == version:
            continue
        specs = needed[name]
        satisfied = all(SpecifierSet(spec).contains(version, prereleases=True) for spec, _ in specs)
        shown = ", ".join(f"{name}{spec} by {by}" if spec else f"{name} by {by}" for spec, by in specs)
        changes.append(Change(name, installed, version, shown, satisfied))
    return changes


def refusal(changes: list[Change]) -> str:
    return ("Installing the worker's packages would change packages pyflare itself runs on: "
            + "; ".join(str(change) for change in changes)
            + ". Nothing was installed. pyflare and the worker share this Python environment; install the "
            "worker's packages in a virtual environment made for the project (with pyflare installed in it), or "
            "pass --allow-dependency-changes to install them here anyway.")


def install_missing(report: DependencyReport, *, allow_changes: bool = False) -> int:
    targets = install_targets(report)
    if not targets:
        return 0
    status, planned = dry_run(targets)
    if status != 0:
        return status
    changes = changes_to_pyflare(planned)
    if changes and not allow_changes:
        raise InstallRefused(refusal(changes))
    return _pip(["install", *targets])


__all__ = ["Change", "InstallRefused", "changes_to_pyflare", "dry_run", "install_missing", "install_targets",
           "pyflare_requirements", "refusal"]
