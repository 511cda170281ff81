"""``pyflare check``: what in a Python Workers project would fail, or behave differently, on Cloudflare.

:func:`check` reads the project the way deploying it does (the wrangler config, the main module and the
local modules it imports, the declared and locked packages, ``python_modules/``) and returns a
:class:`Report` of :class:`~pyflare.portability.rules.Finding` objects, each with its file and line.
"""

from __future__ import annotations

import ast
import gzip
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyflare.config import ConfigError, ResolvedConfig, load_config
from pyflare.portability import packages as pk
from pyflare.portability.apis import ApiUse, classify_call, stdlib_change
from pyflare.portability.packages_check import PackageChecker
from pyflare.portability.rules import Finding
from pyflare.portability.source import CallScanner, Module, Project
from pyflare.portability.targets import Target, global_handlers_disabled, target_for

# Standard-library modules Python Workers leave out (Cloudflare's "Standard Library" page).
UNAVAILABLE_MODULES = frozenset({
    "curses", "dbm", "ensurepip", "fcntl", "grp", "idlelib", "lib2to3", "msvcrt", "pwd", "resource", "syslog",
    "termios", "tkinter", "turtle", "turtledemo", "venv", "winreg", "winsound", "pty", "tty",
})
LEGACY_HANDLERS = ("on_fetch", "on_scheduled", "on_queue")
MIB = 1024 * 1024
SIZE_FREE = 3 * MIB  # gzip-compressed, Workers Free (wrangler's bundle-reporter.ts; the limits page)
SIZE_PAID = 10 * MIB  # gzip-compressed, Workers Paid


@dataclass
class Report:
    """The outcome of one check."""

    config: Path
    target: Target | None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bundle_bytes: int | None = None
    bundle_gzip_bytes: int | None = None

    @property
    def root(self) -> Path:
        return self.config.parent

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def exit_status(self) -> int:
        return 1 if self.errors else 0

    def add(self, finding: Finding) -> None:
        key = (finding.rule, finding.path, finding.line, finding.column, finding.message)
        if all((f.rule, f.path, f.line, f.column, f.message) != key for f in self.findings):
            self.findings.append(finding)

    def sort(self) -> None:
        self.findings.sort(key=lambda f: (str(f.path or ""), f.line or 0, f.column or 0, f.rule))

    def to_json(self) -> dict[str, Any]:
        target = None
        if self.target is not None:
            target = {"python": self.target.python, "pyodide": self.target.pyodide,
                      "package_index": self.target.package_index, "flag": self.target.flag,
                      "reason": self.target.reason}
        return {
            "config": str(self.config), "target": target,
            "errors": len(self.errors), "warnings": len(self.warnings),
            "findings": [f.to_json(self.root) for f in self.findings],
            "notes": self.notes,
            "bundle": {"bytes": self.bundle_bytes, "gzip_bytes": self.bundle_gzip_bytes},
        }

    def format_text(self) -> str:
        lines = []
        if self.target is not None:
            lines.append(f"{self.config}: Python {self.target.python} (Pyodide {self.target.pyodide}; "
                         f"{self.target.reason})")
        for finding in self.findings:
            where = _relative(finding.path, self.root)
            location = f"{where}:{finding.line}" if finding.line else where
            lines.append(f"{location}: {finding.severity} [{finding.rule}] {finding.message}")
            lines.append(f"    fix: {finding.fix}")
        for note in self.notes:
            lines.append(f"note: {note}")
        if self.findings:
            lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)")
        else:
            lines.append("No problems found: nothing here is known to fail on Cloudflare's Python Workers.")
        return "\n".join(lines)


def _relative(path: Path | None, root: Path) -> str:
    if path is None:
        return str(root)
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def project_root(config: ResolvedConfig) -> Path:
    """pywrangler's project root: the folder of the pyproject.toml, which must also hold the wrangler config
    (``check_wrangler_config`` in pywrangler's utils.py), so the config's folder."""
    return config.root


def check(path: str | Path | None = None, *, environment: str | None = None) -> Report:
    """Check the project whose wrangler config is at (or in) ``path``."""
    config = load_config(path, environment=environment)
    return Checker(config).run()


class Checker:
    def __init__(self, config: ResolvedConfig) -> None:
        self.config = config
        worker = config.worker
        flags = list(worker.compatibility_flags)
        self.report = Report(config.path, None)
        target = target_for(worker.compatibility_date, flags)
        if target is None:
            self.report.add(Finding("python-workers-flag", "the main module is Python but compatibility_flags "
                                    "lacks python_workers: Cloudflare does not run it as a Python Worker",
                                    config.path, _config_line(config.path, "compatibility_flags")))
            target = target_for(worker.compatibility_date, [*flags, "python_workers"])
        assert target is not None
        self.target = target
        self.report.target = target
        self.index = pk.pyodide_index(target.package_index)
        self.root = project_root(config)
        self.vendor = [self.root / "python_modules"]
        if not _force_new_vendor_path(worker.compatibility_date, flags):
            self.vendor.append(config.main_path.parent / "vendor")

    def run(self) -> Report:
        main = self.config.main_path
        if main.suffix != ".py":
            raise ConfigError(f"{self.config.path}: main = {self.config.worker.main!r} is not a Python module; "
                              "pyflare check looks at Python Workers")
        if not main.is_file():
            raise ConfigError(f"{self.config.path}: main = {self.config.worker.main!r}: no such file")
        self.project = Project(main, exclude=[*self.vendor, self.root / "python_modules"])
        self.check_handlers()
        self.check_sources()
        self.check_packages()
        self.check_size()
        self.report.sort()
        return self.report

    # -- config and handlers ------------------------------------------------------------------------------
    def check_handlers(self) -> None:
        worker = self.config.worker
        if not global_handlers_disabled(worker.compatibility_date, worker.compatibility_flags):
            return
        main = self.project.modules.get(self.project.main.stem)
        if main is None or main.tree is None or "Default" in main.classes:
            return
        for name in LEGACY_HANDLERS:
            node = main.functions.get(name)
            if node is not None:
                self.report.add(Finding(
                    "legacy-handlers", f"top-level {name}() is not a handler with compatibility_date "
                    f"{worker.compatibility_date} (python_no_global_handlers is on from 2025-08-14): Cloudflare "
                    f"finds no {name[3:]} handler", main.path, node.lineno, node.col_offset))

    # -- the worker's modules ------------------------------------------------------------------------------
    def check_sources(self) -> None:
        version = self.target.version
        for module in self.project.modules.values():
            if module.tree is None and module.syntax_error is not None:
                self.syntax_error(module)
                continue
            if module.tree is None:
                continue
            self.check_syntax(module, version)
            self.check_imports(module)
            self.check_attributes(module)
        for module, call in self.project.iter_calls():
            use = classify_call(call, module, self.target)
            if use is not None:
                self.report_use(module, use, call)

    def syntax_error(self, module: Module) -> None:
        exc = module.syntax_error
        assert exc is not None
        if sys.version_info[:2] < self.target.version:
            self.report.notes.append(f"{module.path}: Python {sys.version_info[0]}.{sys.version_info[1]} cannot "
                                     f"parse it ({exc.msg}, line {exc.lineno}); run pyflare check on Python "
                                     f"{self.target.python} or newer to check this module")
            return
        self.report.add(Finding("syntax-version", f"does not parse as Python {self.target.python}: {exc.msg}",
                                module.path, exc.lineno, exc.offset))

    def check_syntax(self, module: Module, version: tuple[int, int]) -> None:
        if sys.version_info[:2] <= version:
            return  # this interpreter knows no syntax newer than the target's
        try:
            ast.parse(module.source, filename=str(module.path), feature_version=version)
        except SyntaxError as exc:
            self.report.add(Finding("syntax-version", f"Python {self.target.python} cannot parse this: {exc.msg}",
                                    module.path, exc.lineno, exc.offset))

    def check_imports(self, module: Module) -> None:
        for imp in module.imports:
            if imp.relative or not imp.module:
                continue
            top = imp.module.split(".")[0]
            if self.project.is_local(top):
                continue
            if top in UNAVAILABLE_MODULES and not imp.guarded:
                self.report.add(Finding("module-unavailable", f"import {imp.module}: Python Workers do not have "
                                        f"the {top} module", module.path, imp.line, imp.column))
                continue
            if imp.guarded:
                continue
            for dotted in _prefixes(imp.module):
                change = stdlib_change(dotted, None, self.target)
                if change:
                    self.report.add(Finding("stdlib-version", f"import {imp.module}: {change}", module.path,
                                            imp.line, imp.column))
                    break
            for name in imp.names:
                change = stdlib_change(imp.module, name, self.target)
                if change:
                    self.report.add(Finding("stdlib-version", f"from {imp.module} import {name}: {change}",
                                            module.path, imp.line, imp.column))

    def check_attributes(self, module: Module) -> None:
        caller = CallScanner(module, False)
        assert module.tree is not None
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, (ast.Name, ast.Attribute)):
                base = caller.qualname(node.value)
                if base is None or base.split(".")[0] not in sys.stdlib_module_names:
                    continue
                change = stdlib_change(base, node.attr, self.target)
                if change:
                    self.report.add(Finding("stdlib-version", f"{base}.{node.attr}: {change}", module.path,
                                            node.lineno, node.col_offset))

    def report_use(self, module: Module, use: ApiUse, call: Any) -> None:
        node = call.node
        self.report.add(Finding(use.rule, use.message, module.path, node.lineno, node.col_offset,
                                severity=use.severity))

    # -- packages ---------------------------------------------------------------------------------------------
    def check_packages(self) -> None:
        PackageChecker(self).run()

    # -- size -----------------------------------------------------------------------------------------------
    def check_size(self) -> None:
        files = bundle_files(self.config.main_path.parent, self.config.root / "python_modules")
        raw = 0
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=6, mtime=0) as archive:
            for file in files:
                data = file.read_bytes()
                raw += len(data)
                archive.write(data)
        compressed = buffer.tell()
        self.report.bundle_bytes, self.report.bundle_gzip_bytes = raw, compressed
        size = f"{raw / 1024:.2f} KiB / gzip: {compressed / 1024:.2f} KiB"
        if compressed > SIZE_PAID:
            self.report.add(Finding("bundle-size", f"the upload is {size}: over the 10 MiB (gzip) Cloudflare "
                                    "accepts on the Workers Paid plan", self.config.path))
        elif compressed > SIZE_FREE:
            self.report.add(Finding("bundle-size", f"the upload is {size}: over the 3 MiB (gzip) of the Workers "
                                    "Free plan (the Paid plan accepts 10 MiB)", self.config.path,
                                    severity="warning"))


def bundle_files(module_root: Path, python_modules: Path) -> list[Path]:
    """What wrangler uploads for a Python worker: the ``.py`` modules under the main module's folder and
    every file of the project's ``python_modules/`` but ``*.pyc`` (find-additional-modules.ts)."""
    files = [p for p in sorted(module_root.rglob("*.py"))
             if "__pycache__" not in p.parts and not p.is_relative_to(python_modules)
             and not any(part.startswith(".") for part in p.relative_to(module_root).parts)]
    if python_modules.is_dir():
        files += [p for p in sorted(python_modules.rglob("*")) if p.is_file() and p.suffix != ".pyc"]
    return files


def _prefixes(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _config_line(path: Path, key: str) -> int | None:
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if key in line:
                return number
    except OSError:
        return None
    return None


def _force_new_vendor_path(date: str | None, flags: list[str]) -> bool:
    """``python_workers_force_new_vendor_path`` (on from 2025-08-11): ``vendor/`` beside main is no longer on
    sys.path; only ``python_modules/`` is."""
    if "python_workers_force_new_vendor_path" in flags:
        return True
    return bool(date) and str(date) >= "2025-08-11"
