"""Loading a worker's modules so that each worker sees only its own.

Cloudflare imports a worker's modules relative to the folder of ``main``. Here every load of a worker gets
a private package name (``_pyflare_worker_<n>``) whose path is that folder, and each module loaded from it
gets its own ``__import__``: a top-level import of a module that exists in the worker's folder resolves
inside the private package, ``import workers`` resolves to :mod:`pyflare.workers`, and everything else is
imported normally. Two workers in one process (each with its own ``helper.py``) never share modules, and a
reload is simply a load under a fresh name.
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.machinery
import importlib.util
import itertools
import os
import sys
import types
from pathlib import Path
from typing import Any

_counter = itertools.count(1)

# Modules a worker imports by the names Cloudflare's runtime gives them.
SHIMS = {"workers": "pyflare.workers", "js": "pyflare.workers.js", "pyodide": "pyflare.workers.pyodide"}


class WorkerModules:
    """The private package that holds one load of one worker's modules."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.package = f"_pyflare_worker_{next(_counter)}"
        self._local_names: dict[str, bool] = {}
        self.builtins = dict(vars(builtins))
        self.builtins["__import__"] = self._import
        package = types.ModuleType(self.package)
        package.__path__ = [str(self.folder)]
        package.__package__ = self.package
        package.__spec__ = importlib.machinery.ModuleSpec(self.package, None, is_package=True)
        package.__spec__.submodule_search_locations = [str(self.folder)]
        sys.modules[self.package] = package
        self._finder = _Finder(self)
        sys.meta_path.insert(0, self._finder)

    def import_main(self, main: Path) -> types.ModuleType:
        relative = main.resolve().relative_to(self.folder)
        dotted = ".".join(relative.with_suffix("").parts)
        return importlib.import_module(f"{self.package}.{dotted}")

    def is_local(self, top: str) -> bool:
        known = self._local_names.get(top)
        if known is None:
            known = (self.folder / f"{top}.py").is_file() or (self.folder / top / "__init__.py").is_file() or (
                (self.folder / top).is_dir() and any((self.folder / top).glob("*.py"))
            )
            self._local_names[top] = known
        return known

    def _import(
        self,
        name: str,
        globals: dict[str, Any] | None = None,
        locals: Any = None,
        fromlist: Any = (),
        level: int = 0,
    ) -> types.ModuleType:
        if level == 0:
            top, _, rest = name.partition(".")
            if top in SHIMS:
                target = SHIMS[top] + (f".{rest}" if rest else "")
                module = builtins.__import__(target, globals, locals, ("__name__",), 0)
                return module if fromlist or not rest else sys.modules[SHIMS[top]]
            if self.is_local(top):
                module = builtins.__import__(f"{self.package}.{name}", globals, locals, ("__name__",), 0)
                return module if fromlist else sys.modules[f"{self.package}.{top}"]
        return builtins.__import__(name, globals, locals, fromlist, level)

    def unload(self) -> None:
        """Forget every module of this load (a reload then imports them afresh)."""
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        prefix = self.package + "."
        for key in [k for k in sys.modules if k == self.package or k.startswith(prefix)]:
            del sys.modules[key]


# Compiled code of worker modules by (file, mtime, size): every load of the same unchanged file (each test's
# fresh worker, say) reuses it instead of compiling again when no bytecode cache is written.
_compiled: dict[tuple[str, int, int], types.CodeType] = {}


class _Loader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, owner: WorkerModules) -> None:
        super().__init__(fullname, path)
        self.owner = owner

    def get_code(self, fullname: str) -> types.CodeType | None:
        path = self.get_filename(fullname)
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size)
        code = _compiled.get(key)
        if code is None:
            code = super().get_code(fullname)
            if code is not None:
                _compiled[key] = code
        return code

    def exec_module(self, module: types.ModuleType) -> None:
        # Frames take their builtins from the module's globals, so this one dict routes every import
        # the worker's code makes, at import time and later, through WorkerModules._import.
        module.__builtins__ = self.owner.builtins
        super().exec_module(module)


class _NamespaceLoader(importlib.abc.Loader):
    """A folder without ``__init__.py`` is a namespace package, as in plain Python."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, owner: WorkerModules) -> None:
        self.owner = owner

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(self.owner.package + "."):
            return None
        parts = fullname.split(".")[1:]
        base = self.owner.folder.joinpath(*parts)
        if (base / "__init__.py").is_file():
            origin, locations = base / "__init__.py", [str(base)]
        elif base.with_suffix(".py").is_file():
            origin, locations = base.with_suffix(".py"), None
        elif base.is_dir():
            spec = importlib.machinery.ModuleSpec(fullname, _NamespaceLoader(), is_package=True)
            spec.submodule_search_locations = [str(base)]
            return spec
        else:
            return None
        loader = _Loader(fullname, str(origin), self.owner)
        return importlib.util.spec_from_file_location(
            fullname, origin, loader=loader, submodule_search_locations=locations
        )
