"""The package part of ``pyflare check``: declared and imported packages against the target's Pyodide.

The packages considered are the project's dependency closure: from ``pylock.toml`` when pywrangler wrote
one (resolved for Pyodide), else from ``uv.lock`` (walked from the project's own dependencies, so dev
groups stay out), else from what ``python_modules/`` and this environment have installed. A package none
of these knows is named in a note, not judged.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pyflare.portability import packages as pk
from pyflare.portability.rules import Finding

if TYPE_CHECKING:
    from pyflare.portability.checker import Checker


class PackageChecker:
    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        self.report = checker.report
        self.target = checker.target
        self.index = checker.index
        self.environment = pk.target_environment(self.target)
        root = checker.root
        self.pyproject = root / "pyproject.toml" if (root / "pyproject.toml").is_file() else None
        self.requirements_txt = root / "requirements.txt" if (root / "requirements.txt").is_file() else None
        # [tool.pywrangler] allow-build = true: pywrangler builds source archives too (sync.py)
        self.allow_build = self.pyproject is not None and pk.pywrangler_allows_build(self.pyproject)
        self.closure: dict[str, pk.Provided] = {}
        self.needed_by: dict[str, str] = {}
        self.unknown: list[str] = []
        self.unverified: list[str] = []  # judged from this environment only: not evidence about Cloudflare

    def run(self) -> None:
        if self.requirements_txt is not None:
            self.report.add(Finding(
                "requirements-txt", "pywrangler stops while requirements.txt exists (\"Specifying Python Packages in "
                "requirements.txt is no longer supported\"); Cloudflare no longer installs packages from it",
                self.requirements_txt, 1))
        declared, problems = pk.declared_requirements(self.pyproject, self.requirements_txt)
        self.declared = declared
        self.report.notes.extend(problems)
        declared = [d for d in declared if pk.marker_applies(d.marker, self.environment)]
        self.resolve(declared)
        for requirement in declared:
            self.judge_declared(requirement)
        for name, provided in sorted(self.closure.items()):
            if name not in {d.name for d in declared}:
                self.judge(provided, None)
        self.check_imports()
        if self.unknown:
            self.report.notes.append(
                f"not checked (not in a lock file, python_modules/ or this environment): {', '.join(sorted(self.unknown))}")
        if self.unverified:
            self.report.notes.append(
                "compiled packages judged from this environment only (PyPI may have a pure or PyEmscripten wheel; "
                f"`uv lock` writes the wheel lists pyflare check decides from): {'; '.join(sorted(self.unverified))}")

    # -- the closure ----------------------------------------------------------------------------------------
    def resolve(self, declared: list[pk.Declared]) -> None:
        root = self.checker.root
        pylock = root / "pylock.toml"
        uv_lock = root / "uv.lock"
        vendored = pk.vendored(v for v in self.checker.vendor)
        if pylock.is_file():
            self.closure.update(pk.read_pylock(pylock))
        locked: dict[str, pk.Provided] = {}
        if uv_lock.is_file() and self.pyproject is not None:
            if pk.uv_lock_covers(self.pyproject, self.environment):
                locked, _roots = pk.read_uv_lock(uv_lock)
            else:
                self.report.notes.append(f"{uv_lock}: [tool.uv] environments leave Emscripten out, so its wheel "
                                         "lists say nothing about Pyodide; not used")
        queue: list[tuple[str, str | None, frozenset[str]]] = [(d.name, None, d.extras) for d in declared]
        extras_seen: dict[str, frozenset[str]] = {}
        while queue:
            name, parent, extras = queue.pop()
            if name in extras_seen and extras <= extras_seen[name]:
                continue
            extras = extras | extras_seen.get(name, frozenset())
            extras_seen[name] = extras
            provided = self.closure.get(name) or vendored.get(name) or locked.get(name) or pk.installed(name)
            pyodide = self.index.get(name)
            if provided is None and pyodide is not None:
                provided = pk.Provided(name, pyodide.version, origin="pyodide", imports=set(pyodide.imports),
                                       depends=[(d, None, frozenset()) for d in pyodide.depends])
            self.needed_by.setdefault(name, parent or "")
            if provided is None:
                self.unknown.append(name)
                continue
            self.closure[name] = provided
            depends = list(provided.depends)
            for extra in extras:
                depends += provided.optional.get(extra, [])
            if provided.origin == "installed" and pyodide is not None:
                depends = [(d, None, frozenset()) for d in pyodide.depends] + depends
            for child, marker, child_extras in depends:
                if pk.marker_applies(marker, self.environment, extras):
                    queue.append((child, name, child_extras))

    # -- judging packages ------------------------------------------------------------------------------------
    def judge_declared(self, requirement: pk.Declared) -> None:
        provided = self.closure.get(requirement.name)
        pyodide = self.index.get(requirement.name)
        where = (requirement.path, requirement.line)
        if pyodide is not None and pyodide.binary and requirement.specifier and not requirement.specifier.contains(
                pyodide.version, prereleases=True):
            # Decisive only when a lock shows that no version the requirement allows has a wheel Pyodide loads.
            if provided is not None and provided.origin in ("pylock.toml", "uv.lock") and not self.loads(provided):
                self.add("package-version", f"{requirement.text}: Pyodide {self.index.version} (the package index "
                         f"for Python {self.target.python}) builds {pyodide.name} {pyodide.version}, which this "
                         f"requirement excludes, and the locked {provided.version} has no wheel Pyodide loads: "
                         "pywrangler cannot install it", *where)
                return
            self.unverified.append(f"{requirement.text} (Pyodide builds {pyodide.version})")
            return
        if provided is not None:
            self.judge(provided, where)

    def loads(self, provided: pk.Provided) -> bool:
        return any(pk.wheel_loads(w, self.target, self.index.abi) for w in provided.wheels)

    def judge(self, provided: pk.Provided, where: tuple[Path, int] | None) -> None:
        """Findings need evidence: Pyodide's list says what Pyodide builds, a lock's wheel list what PyPI has
        for the locked version, python_modules/ what is vendored. What is merely installed here says neither,
        so it only feeds the notes."""
        name = provided.name
        if where is None:
            where = self.place_of(provided)
        parent = self.needed_by.get(name)
        via = f" (needed by {parent})" if parent else ""
        pyodide = self.index.get(name)
        label = f"{name} {provided.version}" if provided.version else name
        locked = provided.origin in ("pylock.toml", "uv.lock")
        if pyodide is not None:
            if not (pyodide.binary and provided.version and provided.version != pyodide.version):
                return
            if locked and not self.loads(provided):
                self.add("package-version-differs", f"{label}{via}: locked in {provided.origin}, but that version has "
                         "no wheel Pyodide loads, so on Cloudflare pywrangler installs another one (Pyodide "
                         f"{self.index.version} builds {pyodide.version})", *where)
            elif provided.origin == "installed":
                self.unverified.append(f"{label} (installed here; Pyodide builds {pyodide.version})")
            return
        if locked:
            if provided.wheels:
                if not self.loads(provided):
                    self.add("package-native", f"{label}{via}: every wheel of it holds compiled code for other "
                             f"platforms ({_platforms(provided.wheels)}) and Pyodide {self.index.version} does not "
                             "build it", *where)
            elif provided.sdist and not self.allow_build:
                self.add("package-no-wheel", f"{label}{via}: published as a source archive only, and pywrangler "
                         "installs prebuilt wheels only", *where)
            return
        if provided.origin == "python_modules":
            if pk.installed_tags_load(provided, self.target, self.index.abi) is False:
                self.add("package-native", f"{label}{via}: the copy in python_modules/ is built for "
                         f"{', '.join(provided.wheel_tag_lines) or 'another platform'}, which Pyodide cannot load",
                         *where)
            return
        if provided.origin == "installed" and provided.native:
            self.unverified.append(f"{label} (compiled code here; not in Pyodide's index)")

    def place_of(self, provided: pk.Provided) -> tuple[Path, int]:
        """Where to point for a package: its top-level declaration, else the lock, else pyproject.toml."""
        top = provided.name
        seen = set()
        while self.needed_by.get(top) and top not in seen:
            seen.add(top)
            top = self.needed_by[top]
        for requirement in self.declared:
            if requirement.name == top:
                return requirement.path, requirement.line
        if provided.path is not None and provided.path.is_file():
            return provided.path, pk.line_of(provided.path.read_text(encoding="utf-8"), f'name = "{provided.name}"')
        return (self.pyproject or self.checker.config.path), 1

    def add(self, rule: str, message: str, path: Path, line: int, severity: str | None = None) -> None:
        self.report.add(Finding(rule, message, path, line, severity=severity))  # type: ignore[arg-type]

    # -- imports the worker makes ---------------------------------------------------------------------------
    def check_imports(self) -> None:
        """An import of a third-party module no declared package (nor python_modules/) provides fails."""
        if self.unknown:
            return  # an unknown package may provide anything: no claim
        provided_names: set[str] = set(pk.vendored_top_level(self.checker.vendor))
        unnamed = []  # packages whose import names we cannot know (locked, but neither installed nor Pyodide's)
        for name, provided in self.closure.items():
            provided_names |= provided.imports
            pyodide = self.index.get(name)
            if pyodide is not None:
                provided_names |= {i.split(".")[0] for i in pyodide.imports}
            installed = pk.installed(name)
            if installed is not None:
                provided_names |= installed.imports
            if not provided.imports and not pyodide and not installed:
                unnamed.append(name)
        if unnamed:  # then only imports whose own package is known (and undeclared) are claimed
            self.report.notes.append("the import names of " f"{', '.join(sorted(unnamed))} are unknown until they "
                                     "are installed here: only imports of known other packages are checked")

        project = self.checker.project
        for module in project.modules.values():
            for imp in module.imports:
                if imp.relative or imp.guarded or not imp.module:
                    continue
                top = imp.module.split(".")[0]
                if (top in sys.stdlib_module_names or top in provided_names or project.is_local(top)
                        or top in pk.RUNTIME_MODULES or top == "__future__"):
                    continue
                hint = self.index.by_import.get(top)
                owner = hint or _import_owners().get(top)
                if unnamed and (owner is None or owner in self.closure):
                    continue
                hint_text = f" (Pyodide's {self.index.packages[hint].name} provides it)" if hint else (
                    f" ({owner} provides it here)" if owner else "")
                self.report.add(Finding("import-undeclared", f"import {imp.module}: no declared package provides "
                                        f"{top}, so it is not installed on Cloudflare{hint_text}", module.path,
                                        imp.line, imp.column))


@functools.lru_cache(maxsize=1)
def _import_owners() -> dict[str, str]:
    """Top-level import name -> canonical name of the distribution installed here that provides it."""
    import importlib.metadata as metadata

    owners: dict[str, str] = {}
    for top, names in metadata.packages_distributions().items():
        if len(names) == 1:
            owners[top] = pk.canonical(names[0])
    return owners


def _platforms(wheels: list[str]) -> str:
    platforms = sorted({platform.split("_")[0] for w in wheels for _, _, platform in pk.wheel_tags(w)})
    return ", ".join(platforms[:4]) + (", ..." if len(platforms) > 4 else "")
