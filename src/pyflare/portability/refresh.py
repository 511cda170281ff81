"""Refresh the data ``pyflare check`` decides from: ``python -m pyflare.portability.refresh ...``.

Two data files live in ``pyflare/portability/data/``, each recording where it came from and when:

- ``pyodide-packages.json``: per Pyodide package index (the one pywrangler resolves a Python version's
  packages against, see :mod:`pyflare.portability.targets`), every package Pyodide builds: name, version,
  import names, dependencies and whether the build holds compiled (WebAssembly) code.
  ``refresh pyodide npm:0.28.3 npm:0.27.7 npm:314.0.2`` packs the ``pyodide`` npm package of each version
  with npm and reads its ``pyodide-lock.json``; ``refresh pyodide 0.28.3=path/or/url/pyodide-lock.json``
  reads a lock file you have (the lock's own ``info.version`` is not always the release's, hence the label).
- ``stdlib-versions.json``: which standard-library modules and module-level names exist in which Python
  version, read from typeshed's stubs (its ``stdlib/VERSIONS`` file and the ``sys.version_info`` guards):
  ``refresh stdlib path/to/typeshed/stdlib`` (mypy's wheel carries one under ``mypy/typeshed/stdlib``).
"""

from __future__ import annotations

import argparse
import ast
import datetime
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
PYODIDE_FILE = DATA / "pyodide-packages.json"
STDLIB_FILE = DATA / "stdlib-versions.json"

# Python versions Cloudflare's runtimes run (targets.PYTHON_VERSIONS), and the first one stubs may add.
FIRST_TARGET = (3, 12)
LAST_KNOWN = (3, 15)


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def _today() -> str:
    return datetime.date.today().isoformat()


# -- Pyodide's package list ----------------------------------------------------------------------------
def _read_lock(spec: str) -> tuple[str, dict[str, Any], str]:
    """``(index version, lock JSON, where it came from)`` for ``npm:VERSION`` or ``VERSION=PATH|URL``."""
    if spec.startswith("npm:"):
        version = spec[4:]
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run(["npm", "pack", f"pyodide@{version}", "--silent"], cwd=folder, check=True,
                           stdout=subprocess.DEVNULL)
            tarball = next(Path(folder).glob("pyodide-*.tgz"))
            digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
            with tarfile.open(tarball) as archive:
                member = archive.extractfile("package/pyodide-lock.json")
                assert member is not None
                lock = json.load(member)
        return version, lock, f"npm package pyodide@{version} (sha256 {digest}), package/pyodide-lock.json"
    version, sep, where = spec.partition("=")
    if not sep:
        raise SystemExit(f"{spec!r}: give npm:VERSION or VERSION=PATH_OR_URL")
    if where.startswith(("http://", "https://")):
        with urllib.request.urlopen(where, timeout=60) as response:  # noqa: S310 - a URL the user gave
            raw = response.read()
    else:
        raw = Path(where).read_bytes()
    return version, json.loads(raw), f"{where} (sha256 {hashlib.sha256(raw).hexdigest()})"


def _is_binary(file_name: str, package_type: str) -> bool:
    """A wheel whose tags are not ``py3-none-any`` (or ``py2.py3-none-any``) holds compiled code."""
    if not file_name.endswith(".whl"):
        return package_type != "package"  # shared libraries and stdlib extension modules ship as archives
    tags = file_name[:-4].split("-")[-3:]
    return not (tags[1] == "none" and tags[2] == "any")


def pyodide_index(lock: dict[str, Any]) -> dict[str, Any]:
    info = lock.get("info", {})
    packages = {}
    for key, entry in sorted(lock["packages"].items()):
        if key.endswith("-tests") and not entry.get("imports"):
            continue  # a package's test suite, unvendored: nothing a worker imports
        packages[canonical(entry.get("name") or key)] = {
            "name": entry.get("name") or key,
            "version": entry.get("version"),
            "type": entry.get("package_type", "package"),
            "binary": _is_binary(entry.get("file_name", ""), entry.get("package_type", "package")),
            "imports": sorted(entry.get("imports") or []),
            "depends": sorted(canonical(d) for d in entry.get("depends") or []),
        }
    return {"python": info.get("python"), "abi": info.get("abi_version"), "platform": info.get("platform"),
            "packages": packages}


def refresh_pyodide(specs: list[str]) -> dict[str, Any]:
    data = json.loads(PYODIDE_FILE.read_text()) if PYODIDE_FILE.is_file() else {"indexes": {}}
    for spec in specs:
        version, lock, origin = _read_lock(spec)
        index = pyodide_index(lock)
        index["source"] = origin
        index["retrieved"] = _today()
        data["indexes"][version] = index
    data["about"] = ("Pyodide's package lists (pyodide-lock.json), one per package index pywrangler resolves "
                     "against; written by python -m pyflare.portability.refresh pyodide")
    data["indexes"] = dict(sorted(data["indexes"].items()))
    return data


# -- The standard library by Python version ------------------------------------------------------------------
def _version(text: str) -> tuple[int, int] | None:
    text = text.strip()
    if not text:
        return None
    major, minor = text.split(".")
    return int(major), int(minor)


def _guard(test: ast.expr) -> tuple[str, tuple[int, int]] | None:
    """``sys.version_info >= (3, 13)`` -> (">=", (3, 13)); other tests -> None."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and len(test.comparators) == 1):
        return None
    left, right = test.left, test.comparators[0]
    if not (isinstance(left, ast.Attribute) and left.attr == "version_info"):
        return None
    if not (isinstance(right, ast.Tuple) and all(isinstance(e, ast.Constant) for e in right.elts[:2])):
        return None
    version = tuple(e.value for e in right.elts[:2])  # type: ignore[attr-defined]
    op = {ast.GtE: ">=", ast.Lt: "<"}.get(type(test.ops[0]))
    return (op, version) if op else None  # type: ignore[return-value]


def _bound_names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.ImportFrom):  # only explicit re-exports (``import X as X``) are public in stubs
        return [a.name for a in node.names if a.asname == a.name]
    return []


def _walk_guarded(body: list[ast.stmt], low: tuple[int, int], high: tuple[int, int] | None,
                  found: dict[str, list[tuple[tuple[int, int], tuple[int, int] | None]]]) -> None:
    """Record, for every module-level name, the version ranges ``[low, high)`` it is defined in."""
    for node in body:
        if isinstance(node, ast.If):
            guard = _guard(node.test)
            if guard is None:  # platform checks and the like: both branches may apply
                _walk_guarded(node.body, low, high, found)
                _walk_guarded(node.orelse, low, high, found)
                continue
            op, version = guard
            if op == ">=":
                _walk_guarded(node.body, max(low, version), high, found)
                _walk_guarded(node.orelse, low, version if high is None else min(high, version), found)
            else:
                _walk_guarded(node.body, low, version if high is None else min(high, version), found)
                _walk_guarded(node.orelse, max(low, version), high, found)
            continue
        for name in _bound_names(node):
            if not name.startswith("_"):
                found.setdefault(name, []).append((low, high))


def _module_names(stub: Path) -> dict[str, dict[str, str]]:
    """Names whose availability changed within the versions that matter (3.12 .. LAST_KNOWN)."""
    try:
        tree = ast.parse(stub.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return {}
    found: dict[str, list[tuple[tuple[int, int], tuple[int, int] | None]]] = {}
    _walk_guarded(tree.body, (3, 0), None, found)
    changes: dict[str, dict[str, str]] = {}
    for name, ranges in found.items():
        added = min(low for low, _ in ranges)
        highs = [high for _, high in ranges]
        removed = None if any(h is None for h in highs) else max(highs)  # type: ignore[type-var]
        entry: dict[str, str] = {}
        if added > FIRST_TARGET:
            entry["added"] = f"{added[0]}.{added[1]}"
        if removed is not None and removed <= LAST_KNOWN and removed > FIRST_TARGET:
            entry["removed"] = f"{removed[0]}.{removed[1]}"
        if entry:
            changes[name] = entry
    return changes


def refresh_stdlib(folder: Path) -> dict[str, Any]:
    versions = folder / "VERSIONS"
    if not versions.is_file():
        raise SystemExit(f"{folder}: no VERSIONS file; give typeshed's stdlib folder")
    modules: dict[str, dict[str, str]] = {}
    for line in versions.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, span = line.partition(":")
        low_text, _, high_text = span.partition("-")
        low, high = _version(low_text), _version(high_text)
        entry: dict[str, str] = {}
        if low and low > (3, 9):
            entry["added"] = f"{low[0]}.{low[1]}"
        if high:  # VERSIONS gives the last version that has it
            entry["removed"] = f"{high[0]}.{high[1] + 1}"
        name = name.strip()
        if any(part.startswith("_") for part in name.split(".")):
            continue
        if entry.get("added", "0") <= "3.12":  # every target has it
            entry.pop("added", None)
        if entry:
            modules[name] = entry
    names: dict[str, dict[str, dict[str, str]]] = {}
    for stub in sorted(folder.rglob("*.pyi")):
        relative = stub.relative_to(folder).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        module = ".".join(parts)
        if not module or any(p.startswith("_") for p in parts):
            continue
        changes = _module_names(stub)
        if changes:
            names[module] = dict(sorted(changes.items()))
    return {
        "about": "Standard-library modules and module-level names by Python version, from typeshed's stubs; "
                 "written by python -m pyflare.portability.refresh stdlib",
        "source": f"typeshed stdlib at {folder}",
        "retrieved": _today(),
        "modules": dict(sorted(modules.items())),
        "names": names,
    }


def _dump(value: Any, indent: int) -> str:
    """JSON with one line per leaf record (a package, a module's name): small diffs on refresh."""
    if not (isinstance(value, dict) and any(isinstance(v, dict) for v in value.values())):
        return json.dumps(value, sort_keys=True)
    pad = " " * (indent + 2)
    rows = [f"{pad}{json.dumps(k)}: {_dump(v, indent + 2)}" for k, v in value.items()]
    return "{\n" + ",\n".join(rows) + "\n" + " " * indent + "}"


_PROBE = """
import importlib, json, sys
out = {}
for name in json.loads(sys.argv[1]):
    try:
        out[name] = sorted(dir(importlib.import_module(name)))
    except Exception:
        out[name] = None
print(json.dumps(out))
"""


def _probe(python: str, modules: list[str]) -> tuple[tuple[int, int], dict[str, list[str] | None]]:
    version = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"], check=True,
                             capture_output=True, text=True).stdout.split()
    result = subprocess.run([python, "-c", _PROBE, json.dumps(modules)], check=True, capture_output=True, text=True)
    return (int(version[0]), int(version[1])), json.loads(result.stdout)


def verify(data: dict[str, Any], pythons: list[str]) -> list[str]:
    """Drop the stubs' claims a real interpreter contradicts (a name said to be added in 3.14 that 3.13
    already has, say); returns what was dropped."""
    dropped = []
    names = data["names"]
    for python in pythons:
        (major, minor), seen = _probe(python, sorted(names) + sorted(data["modules"]))
        here = f"{major}.{minor}"
        for module, changes in list(names.items()):
            present = seen.get(module)
            if present is None:
                continue
            for name, change in list(changes.items()):
                has = name in present
                added, removed = change.get("added"), change.get("removed")
                wrong = (added and ((_version(here) >= _version(added)) != has) and not (has is False and
                         _version(here) >= _version(added) and removed and _version(here) >= _version(removed)))
                wrong = wrong or (removed and _version(here) < _version(removed) and not has and not
                                  (added and _version(here) < _version(added)))
                wrong = wrong or (removed and _version(here) >= _version(removed) and has)
                if wrong:
                    dropped.append(f"{module}.{name} {change} (python {here} {'has' if has else 'lacks'} it)")
                    del changes[name]
            if not changes:
                del names[module]
        for module, change in list(data["modules"].items()):
            exists = seen.get(module) is not None
            added, removed = change.get("added"), change.get("removed")
            expected = (not added or _version(here) >= _version(added)) and (
                not removed or _version(here) < _version(removed))
            if exists != expected and not (module in ("tkinter.tix",) or not exists):
                dropped.append(f"{module} {change} (python {here} {'has' if exists else 'lacks'} it)")
                del data["modules"][module]
    data["verified_with"] = sorted({f"python{_probe(p, [])[0][0]}.{_probe(p, [])[0][1]}" for p in pythons})
    return dropped


def _write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(_dump(data, 0) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pyflare.portability.refresh", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    pyodide = sub.add_parser("pyodide", help="Pyodide's package lists (pyodide-lock.json)")
    pyodide.add_argument("locks", nargs="+", metavar="npm:VERSION|VERSION=PATH_OR_URL")
    stdlib = sub.add_parser("stdlib", help="the standard library by Python version (typeshed)")
    stdlib.add_argument("typeshed", type=Path, metavar="TYPESHED_STDLIB_FOLDER")
    stdlib.add_argument("--verify-with", nargs="*", default=[], metavar="PYTHON",
                        help="interpreters (e.g. python3.12 python3.13) whose standard library checks the stubs' "
                             "claims; a contradicted claim is dropped")
    args = parser.parse_args(argv)
    if args.what == "pyodide":
        data = refresh_pyodide(args.locks)
        _write(PYODIDE_FILE, data)
        counts = ", ".join(f"{v}: {len(i['packages'])} packages" for v, i in data["indexes"].items())
        print(f"wrote {PYODIDE_FILE} ({counts})")
    else:
        data = refresh_stdlib(args.typeshed.resolve())
        for line in verify(data, args.verify_with):
            print(f"dropped: {line}")
        _write(STDLIB_FILE, data)
        print(f"wrote {STDLIB_FILE} ({len(data['modules'])} modules, {len(data['names'])} modules with "
              "version-dependent names)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
