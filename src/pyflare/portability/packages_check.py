"""The package part of ``pyflare check``: declared and imported packages against the target's Pyodide.

The packages considered are the project's dependency closure: from ``pylock.toml`` when pywrangler wrote
one (resolved for Pyodide), else from ``uv.lock`` (walked from the project's own dependencies, so dev
groups stay out), else from what ``python_modules/`` and this environment have installed. A package none
of these knows is named in a note, not judged.
"""

from __future__ import annotations

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
        self.closure: dict[str, pk.Provided] = {}
        self.needed_by: dict[str, str] = {}
        self.unknown: list[str] = []

    def run(self) -> None:
        if self.requirements_txt is not None:
            self.report.add(Finding(
                "requirements-txt", "pywrangler stops while requirements.txt exists (\"Specifying Python Packages in "
                "requirements.txt is no longer supported\"); Cloudflare no longer installs packages from it",
                self.requirements_txt, 1))
        declared, problems = pk.declared_requirements(self.pyproject, self.requirements_txt)
        self.report.notes.extend(problems)
        declared = [d for d in declared if _marker_ok(d.marker, self.environment)]
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
            locked, _roots = pk.read_uv_lock(uv_lock)
        queue = [(d.name, None) for d in declared]
        while queue:
            name, parent = queue.pop()
            if name in self.needed_by:
                continue
            provided = self.closure.get(name) or vendored.get(name) or locked.get(name) or pk.installed(name)
            pyodide = self.index.get(name)
            if provided is None and pyodide is not None:
                provided = pk.Provided(name, pyodide.version, origin="pyodide", imports=set(pyodide.imports),
                                       depends=[(d, None) for d in pyodide.depends])
            if parent is not None:
                self.needed_by[name] = parent
            else:
                self.needed_by.setdefault(name, "")
            if provided is None:
                self.unknown.append(name)
                continue
            self.closure[name] = provided
            depends = provided.depends
            if provided.origin == "installed" and pyodide is not None:
                depends = [(d, None) for d in pyodide.depends] + depends
            for child, marker in depends:
                if _marker_ok(marker, self.environment) and child not in self.needed_by:
                    queue.append((child, name))

    # -- judging packages ------------------------------------------------------------------------------------
    def judge_declared(self, requirement: pk.Declared) -> None:
        provided = self.closure.get(requirement.name)
        pyodide = self.index.get(requirement.name)
        where = (requirement.path, requirement.line)
        if pyodide is not None:
            if pyodide.binary and requirement.specifier and not requirement.specifier.contains(
                    pyodide.version, prereleases=True):
                self.add("package-version", f"{requirement.text}: Pyodide {self.index.version} (the package index "
                         f"for Python {self.target.python}) builds {pyodide.name} {pyodide.version} only, which "
                         "this requirement excludes: pywrangler cannot install it", *where)
                return
        if provided is not None:
            self.judge(provided, where)

    def judge(self, provided: pk.Provided, where: tuple[Path, int] | None) -> None:
        name = provided.name
        if where is None:
            where = self.place_of(provided)
        parent = self.needed_by.get(name)
        via = f" (needed by {parent})" if parent else ""
        pyodide = self.index.get(name)
        label = f"{name} {provided.version}" if provided.version else name
        if pyodide is not None:
            if pyodide.binary and provided.version and provided.version != pyodide.version \
                    and provided.origin in ("installed", "uv.lock"):
                here = "installed here" if provided.origin == "installed" else "locked in uv.lock"
                self.add("package-version-differs", f"{label}{via}: {here}; on Cloudflare it is Pyodide's build, "
                         f"{pyodide.version}", *where)
            return
        if provided.origin in ("pylock.toml", "uv.lock"):
            if provided.wheels:
                if not any(pk.wheel_loads(w, self.target, self.index.abi) for w in provided.wheels):
                    self.add("package-native", f"{label}{via}: every wheel of it holds compiled code for other "
                             f"platforms ({_platforms(provided.wheels)}) and Pyodide {self.index.version} does not "
                             "build it", *where)
            elif provided.sdist:
                self.add("package-no-wheel", f"{label}{via}: published as a source archive only, and pywrangler "
                         "installs prebuilt wheels only", *where)
            return
        if provided.origin == "python_modules":
            loads = pk.installed_tags_load(provided, self.target, self.index.abi)
            if loads is False:
                self.add("package-native", f"{label}{via}: the copy in python_modules/ is built for "
                         f"{', '.join(provided.wheel_tag_lines) or 'another platform'}, which Pyodide cannot load",
                         *where)
            return
        if provided.origin == "installed" and provided.native:
            severity = "warning" if self.target.version >= (3, 14) else None
            tail = (" (unless it publishes PyEmscripten wheels on PyPI)" if severity else "")
            self.add("package-native", f"{label}{via}: holds compiled code (as installed here: "
                     f"{', '.join(provided.wheel_tag_lines) or 'extension modules'}) and Pyodide "
                     f"{self.index.version} does not build it{tail}", *where, severity=severity)

    def place_of(self, provided: pk.Provided) -> tuple[Path, int]:
        """Where to point for a package: its top-level declaration, else the lock, else pyproject.toml."""
        top = provided.name
        seen = set()
        while self.needed_by.get(top) and top not in seen:
            seen.add(top)
            top = self.needed_by[top]
        declared, _ = pk.declared_requirements(self.pyproject, self.requirements_txt)
        for requirement in declared:
            if requirement.name == top:
                return requirement.path, requirement.line
        if provided.path is not None and provided.path.is_file():
            return provided.path, pk._line_of(provided.path.read_text(encoding="utf-8"), f'name = "{provided.name}"')
        return (self.pyproject or self.checker.config.path), 1

    def add(self, rule: str, message: str, path: Path, line: int, severity: str | None = None) -> None:
        self.report.add(Finding(rule, message, path, line, severity=severity))  # type: ignore[arg-type]

    # -- imports the worker makes ---------------------------------------------------------------------------
    def check_imports(self) -> None:
        """An import of a third-party module no declared package (nor python_modules/) provides fails."""
        if self.unknown:
            return  # an unknown package may provide anything: no claim
        provided_names: set[str] = set(pk.vendored_top_level(self.checker.vendor))
        for name, provided in self.closure.items():
            provided_names |= provided.imports
            pyodide = self.index.get(name)
            if pyodide is not None:
                provided_names |= {i.split(".")[0] for i in pyodide.imports}
            installed = pk.installed(name)
            if installed is not None:
                provided_names |= installed.imports
            if not provided.imports and not pyodide and not installed:
                provided_names.add(name.replace("-", "_"))
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
                hint_text = f" (Pyodide's {self.index.packages[hint].name} provides it)" if hint else ""
                self.report.add(Finding("import-undeclared", f"import {imp.module}: no declared package provides "
                                        f"{top}, so it is not installed on Cloudflare{hint_text}", module.path,
                                        imp.line, imp.column))


def _marker_ok(marker: object, environment: dict[str, str]) -> bool:
    return pk._marker_ok(marker, environment)


def _platforms(wheels: list[str]) -> str:
    platforms = sorted({platform.split("_")[0] for w in wheels for _, _, platform in pk.wheel_tags(w)})
    return ", ".join(platforms[:4]) + (", ..." if len(platforms) > 4 else "")
