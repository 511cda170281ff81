"""Which Python packages Cloudflare's runtime can load, and which packages a project brings.

pywrangler resolves ``[project].dependencies`` with uv against PyPI plus the Pyodide package index of the
target Python, installing prebuilt wheels only (``--no-build``) into ``python_modules/``. A package loads
when its wheel is pure Python (``py3-none-any``), when it is a Pyodide or PyEmscripten build for the
target's ABI, or when Pyodide's index has it; a package with compiled code for other platforms only, or
with no wheel at all, does not. Pyodide's package lists ship as data (``data/pyodide-packages.json``,
refreshed by :mod:`pyflare.portability.refresh`).

What a project brings is read from what is there: ``pylock.toml`` (pywrangler's own lock, resolved for
Pyodide), ``uv.lock``, the vendored ``python_modules/``, and the packages installed in this environment.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyflare.portability.targets import Target

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA = Path(__file__).parent / "data"
# Modules the runtime itself provides (Pyodide and Cloudflare's SDK): never packages a project declares.
RUNTIME_MODULES = frozenset({"workers", "js", "pyodide", "pyodide_js", "asgi", "_cloudflare", "_pyodide",
                             "_pyodide_entrypoint_helper", "_cloudflare_compat_flags"})


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


# -- Pyodide's package lists -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PyodidePackage:
    name: str
    version: str
    binary: bool
    imports: tuple[str, ...]
    depends: tuple[str, ...]


@dataclass
class PyodideIndex:
    version: str
    python: str
    abi: str
    source: str
    retrieved: str
    packages: dict[str, PyodidePackage]

    def get(self, name: str) -> PyodidePackage | None:
        return self.packages.get(canonical(name))

    @functools.cached_property
    def by_import(self) -> dict[str, str]:
        """Top-level import name -> canonical package name."""
        found: dict[str, str] = {}
        for key, package in self.packages.items():
            for name in package.imports:
                found.setdefault(name.split(".")[0], key)
        return found


@functools.lru_cache(maxsize=1)
def _pyodide_data() -> dict[str, Any]:
    return json.loads((DATA / "pyodide-packages.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=8)
def pyodide_index(version: str) -> PyodideIndex:
    raw = _pyodide_data()["indexes"][version]
    packages = {
        key: PyodidePackage(entry["name"], entry["version"], entry["binary"], tuple(entry["imports"]),
                            tuple(entry["depends"]))
        for key, entry in raw["packages"].items()
    }
    return PyodideIndex(version, raw["python"], raw["abi"], raw["source"], raw["retrieved"], packages)


def binary_builds(version: str = "0.28.3") -> frozenset[str]:
    """Canonical names of the packages with compiled code that Pyodide's index ``version`` builds."""
    return frozenset(k for k, p in pyodide_index(version).packages.items() if p.binary)


# -- Wheel tags ------------------------------------------------------------------------------------------------
def wheel_tags(filename: str) -> list[tuple[str, str, str]]:
    """The (python, abi, platform) tags of a wheel file name (compressed tag sets expanded)."""
    parts = filename.removesuffix(".whl").split("-")
    if len(parts) < 5:
        return []
    pythons, abis, platforms = parts[-3].split("."), parts[-2].split("."), parts[-1].split(".")
    return [(p, a, pl) for p in pythons for a in abis for pl in platforms]


def _python_ok(tag: str, target: Target) -> bool:
    major, minor = target.version
    if tag in ("py3", f"py{major}{minor}", "py2.py3"):
        return True
    match = re.fullmatch(r"(?:cp|py)(\d)(\d+)", tag)
    return bool(match) and int(match.group(1)) == major and int(match.group(2)) <= minor


def wheel_loads(filename: str, target: Target, abi: str) -> bool:
    """Whether Cloudflare's runtime ``target`` (Pyodide ABI ``abi``) can load this wheel."""
    for python, wheel_abi, platform in wheel_tags(filename):
        if not _python_ok(python, target):
            continue
        if platform == "any" and wheel_abi == "none":
            return True
        if platform in (f"pyodide_{abi}_wasm32", f"pyemscripten_{abi}_wasm32"):
            if wheel_abi in ("none", "abi3") or wheel_abi == f"cp{target.version[0]}{target.version[1]}":
                return True
    return False


def is_pure_wheel_name(filename: str) -> bool:
    return any(platform == "any" and abi == "none" for _, abi, platform in wheel_tags(filename))


# -- What a project brings ---------------------------------------------------------------------------------
@dataclass
class Declared:
    """One requirement as the project declares it."""

    text: str
    name: str  # canonical
    specifier: Any  # packaging.specifiers.SpecifierSet
    marker: Any
    path: Path
    line: int
    extras: frozenset[str] = frozenset()


@dataclass
class Provided:
    """A package that would be installed: where we learned about it and what we know of its wheels."""

    name: str  # canonical
    version: str | None = None
    wheels: list[str] = field(default_factory=list)  # wheel file names (from a lock)
    sdist: bool = False
    native: bool | None = None  # installed or vendored distribution with compiled code (None: unknown)
    wheel_tag_lines: list[str] = field(default_factory=list)  # "Tag:" lines of an installed WHEEL file
    origin: str = ""  # "pylock.toml", "uv.lock", "python_modules", "installed", "pyodide"
    imports: set[str] = field(default_factory=set)
    # (canonical name, marker or None, extras asked of it); markers may test ``extra``
    depends: list[tuple[str, Any, frozenset[str]]] = field(default_factory=list)
    optional: dict[str, list[tuple[str, Any, frozenset[str]]]] = field(default_factory=dict)  # uv.lock's extras
    path: Path | None = None


def target_environment(target: Target) -> dict[str, str]:
    """PEP 508 marker values of Cloudflare's runtime (CPython compiled to WebAssembly by Emscripten)."""
    return {
        "implementation_name": "cpython", "implementation_version": f"{target.python}.0", "os_name": "posix",
        "platform_machine": "wasm32", "platform_python_implementation": "CPython", "platform_release": "",
        "platform_system": "Emscripten", "platform_version": "", "python_full_version": f"{target.python}.0",
        "python_version": target.python, "sys_platform": "emscripten", "extra": "",
    }


def marker_applies(marker: Any, environment: dict[str, str], extras: frozenset[str] = frozenset()) -> bool:
    """Whether a requirement applies on the target (with ``extras`` asked of the package that requires it)."""
    if marker is None:
        return True
    try:
        return any(bool(marker.evaluate({**environment, "extra": extra})) for extra in ("", *extras))
    except Exception:  # an unknown marker variable: assume it may apply
        return True


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


def declared_requirements(pyproject: Path | None, requirements_txt: Path | None) -> tuple[list[Declared], list[str]]:
    """The project's requirements and, for unparsable ones, messages."""
    from packaging.requirements import InvalidRequirement, Requirement

    found: list[Declared] = []
    problems: list[str] = []

    def add(text: str, path: Path, source: str) -> None:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            problems.append(f"{path}: {text!r}: {exc}")
            return
        line = next((line_of(source, q + text + q) for q in ('"', "'") if q + text + q in source), None)
        found.append(Declared(text, canonical(requirement.name), requirement.specifier, requirement.marker, path,
                              line or line_of(source, text), frozenset(requirement.extras)))

    if pyproject is not None:
        source = pyproject.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(source)
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{pyproject}: {exc}")
            data = {}
        for text in (data.get("project") or {}).get("dependencies") or []:
            if isinstance(text, str):
                add(text, pyproject, source)
    if requirements_txt is not None:
        source = requirements_txt.read_text(encoding="utf-8")
        for raw in source.splitlines():
            text = raw.split("#", 1)[0].strip()
            if text and not text.startswith("-"):
                add(text, requirements_txt, source)
    return found, problems


def _wheel_file_name(entry: dict[str, Any]) -> str | None:
    name = entry.get("name") or entry.get("filename") or (entry.get("url") or entry.get("path") or "").rsplit("/", 1)[-1]
    return name if name and name.endswith(".whl") else None


def read_uv_lock(path: Path) -> tuple[dict[str, Provided], list[tuple[str, Any, frozenset[str]]]]:
    """``uv.lock``: every package with its wheels and dependencies, and the project's own dependencies."""
    from packaging.markers import Marker

    data = tomllib.loads(path.read_text(encoding="utf-8"))
    packages: dict[str, Provided] = {}
    roots: list[tuple[str, Any, frozenset[str]]] = []

    def deps(entries: Iterable[dict[str, Any]]) -> list[tuple[str, Any, frozenset[str]]]:
        result = []
        for entry in entries:
            marker = entry.get("marker")
            try:
                parsed = Marker(marker) if marker else None
            except Exception:
                parsed = None
            extras = frozenset(entry.get("extra") or entry.get("extras") or ())
            result.append((canonical(entry["name"]), parsed, extras))
        return result

    for entry in data.get("package", []):
        name = canonical(entry["name"])
        source = entry.get("source") or {}
        if "virtual" in source or "editable" in source and source.get("editable") == ".":
            roots.extend(deps(entry.get("dependencies", [])))  # the project itself: its runtime dependencies
            continue
        wheels = [w for w in (_wheel_file_name(x) for x in entry.get("wheels", [])) if w]
        optional = {extra: deps(items) for extra, items in (entry.get("optional-dependencies") or {}).items()}
        packages[name] = Provided(name, entry.get("version"), wheels, sdist="sdist" in entry, origin="uv.lock",
                                  depends=deps(entry.get("dependencies", [])), optional=optional, path=path)
    return packages, roots


def pywrangler_allows_build(pyproject: Path) -> bool:
    try:
        tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return bool((tool.get("pywrangler") or {}).get("allow-build", False))


def uv_lock_covers(pyproject: Path, environment: dict[str, str]) -> bool:
    """Whether ``uv.lock`` lists wheels for Emscripten: not when ``[tool.uv] environments`` (which makes uv
    keep only the wheels of those environments) excludes it."""
    from packaging.markers import Marker

    try:
        uv = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("uv", {})
    except (OSError, tomllib.TOMLDecodeError):
        return True
    environments = uv.get("environments")
    if not environments:
        return True
    for text in [environments] if isinstance(environments, str) else environments:
        try:
            if Marker(text).evaluate(environment):
                return True
        except Exception:
            return True
    return False


def read_pylock(path: Path) -> dict[str, Provided]:
    """``pylock.toml`` (PEP 751; pywrangler writes it, resolved for Pyodide): every package it installs."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    packages: dict[str, Provided] = {}
    for entry in data.get("packages", []):
        name = canonical(entry["name"])
        wheels = [w for w in (_wheel_file_name(x) for x in entry.get("wheels", [])) if w]
        packages[name] = Provided(name, entry.get("version"), wheels, sdist="sdist" in entry, origin="pylock.toml",
                                  path=path)
    return packages


def _record_imports(files: Iterable[str]) -> set[str]:
    names = set()
    for file in files:
        first = str(file).replace("\\", "/").split("/")[0]
        if first.endswith((".dist-info", ".egg-info", ".data")) or first in ("..", "__pycache__", "bin"):
            continue
        if first.endswith(".py"):
            names.add(first[:-3])
        elif "." not in first:
            names.add(first)
        elif first.endswith((".so", ".pyd")):
            names.add(first.split(".")[0])
    return names


def _dist_facts(dist: Any, origin: str, path: Path | None) -> Provided:
    from packaging.requirements import InvalidRequirement, Requirement

    name = canonical(dist.metadata["Name"] or "")
    wheel = dist.read_text("WHEEL") or ""
    files = [str(f) for f in (dist.files or [])]
    native = "Root-Is-Purelib: false" in wheel or any(f.endswith((".so", ".pyd")) for f in files)
    top_level = dist.read_text("top_level.txt")
    imports = {line.strip() for line in top_level.splitlines() if line.strip()} if top_level else _record_imports(files)
    depends = []
    for text in dist.requires or []:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        depends.append((canonical(requirement.name), requirement.marker, frozenset(requirement.extras)))
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    return Provided(name, dist.version, native=native, wheel_tag_lines=tags, origin=origin, imports=imports,
                    depends=depends, path=path)


def vendored(folders: Iterable[Path]) -> dict[str, Provided]:
    """Distributions vendored in ``python_modules/`` (pywrangler's install target)."""
    import importlib.metadata as metadata

    found: dict[str, Provided] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for dist in metadata.distributions(path=[str(folder)]):
            if not dist.metadata["Name"]:
                continue
            facts = _dist_facts(dist, "python_modules", folder)
            found[facts.name] = facts
    return found


def vendored_top_level(folders: Iterable[Path]) -> set[str]:
    """Every importable top-level name in the vendor folders, with or without package metadata."""
    names: set[str] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        for child in folder.iterdir():
            if child.name.endswith((".dist-info", ".egg-info")) or child.name.startswith((".", "__")):
                continue
            if child.is_dir() or child.suffix in (".py", ".so", ".pyd"):
                names.add(child.name.split(".")[0])
    return names


@functools.lru_cache(maxsize=512)
def installed(name: str) -> Provided | None:
    """The distribution ``name`` as installed in this environment (what pyflare runs the worker with)."""
    import importlib.metadata as metadata

    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    return _dist_facts(dist, "installed", None)


def installed_tags_load(provided: Provided, target: Target, abi: str) -> bool | None:
    """From an installed WHEEL's tags: True pure/compatible, False not loadable, None unknown."""
    if not provided.wheel_tag_lines:
        return None if provided.native is None else not provided.native
    return any(wheel_loads(f"x-0-{tag}.whl", target, abi) for tag in provided.wheel_tag_lines)
