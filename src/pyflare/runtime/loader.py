"""Loading a worker's modules the way Cloudflare's Python runtime makes them importable.

On Cloudflare the folder of ``main`` is on ``sys.path`` (so ``import helper``, ``from todos.models import
Todo`` and ``importlib.import_module("todo_project.settings")`` all work), vendored packages in
``python_modules/`` are importable, and ``workers``, ``js``, ``pyodide`` and ``asgi`` are the runtime's own
modules for every importer, third-party packages included. Here:

- While any worker is loaded, ``sys.modules`` maps ``workers``, ``js``, ``pyodide`` and ``asgi`` (and their
  submodules) to pyflare's implementations, so a package such as django-cf gets them too, even when
  Cloudflare's ``workers-runtime-sdk`` is installed. Whatever those names held before is put back when the
  last worker unloads; nothing is installed into site-packages.
- A worker's own modules get their plain names (``todos.models``), as Django's app registry needs, and are
  found through ``importlib`` too. A plain name is taken only if nothing else in the process owns it: not a
  module already imported, not an installed or standard-library module, not another live worker's module.
  Otherwise the module loads under a private package (``_pyflare_worker_<n>.helper``) and the worker's own
  ``import`` statements are routed there by a per-module ``__import__``, so two workers in one process with
  the same module names never share modules. A reload of the same folder takes its names over.
- ``python_modules/`` (beside the project's pyproject.toml or wrangler config) and, as workerd's legacy
  vendor path, the ``vendor/`` folder beside ``main`` (``src/vendor/`` with ``[[rules]] globs =
  ["vendor/**"]``; on sys.path for compatibility dates before 2025-08-11 unless
  ``python_workers_force_new_vendor_path``) are searched after everything installed: a package installed
  in the environment wins over the vendored (Pyodide) build, which may hold WebAssembly extensions CPython
  cannot load (on Cloudflare these folders come before site-packages: :func:`shadowed_vendored` names the
  vendored packages a different installed version hides). ``importlib.metadata`` finds their
  distributions too. ``.pth`` files in ``python_modules/`` are processed from 2026-05-26
  (``python_process_pth_files``): their folders are searched and their ``import`` lines run.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import itertools
import os
import sys
import types
from pathlib import Path
from typing import Any

from pyflare.kernel.tracing import traced_print

_counter = itertools.count(1)

# Modules a worker imports by the names Cloudflare's runtime gives them.
SHIMS = {
    "workers": "pyflare.workers",
    "js": "pyflare.workers.js",
    "pyodide": "pyflare.workers.pyodide",
    "asgi": "pyflare.workers.asgi",
}
PRIVATE_PREFIX = "_pyflare_worker_"
PROJECT_MARKERS = ("pyproject.toml", "wrangler.toml", "wrangler.jsonc", "wrangler.json")


def _shim_target(fullname: str) -> str | None:
    top, _, rest = fullname.partition(".")
    target = SHIMS.get(top)
    if target is None:
        return None
    return f"{target}.{rest}" if rest else target


FORCE_NEW_VENDOR_PATH = ("python_workers_force_new_vendor_path", "2025-08-11")
PROCESS_PTH_FILES = ("python_process_pth_files", "disable_python_process_pth_files", "2026-05-26")


def _python_modules(main_folder: Path) -> Path | None:
    for folder in (main_folder, *main_folder.parents):
        if (folder / "python_modules").is_dir():
            return folder / "python_modules"
        if any((folder / marker).is_file() for marker in PROJECT_MARKERS):
            return None
    return None


def _processes_pth(flags: set[str], date: str | None) -> bool:
    enable, disable, since = PROCESS_PTH_FILES
    return enable in flags or (disable not in flags and date is not None and date >= since)


def vendor_folders(main_folder: Path, flags: Any = (), date: str | None = None) -> list[Path]:
    """Where a worker's vendored packages are, in workerd's order: ``python_modules/`` of the project that
    holds ``main_folder`` (pywrangler puts it beside pyproject.toml) with the folders its ``.pth`` files
    name, then the legacy ``vendor/`` beside main, for the compatibility ``flags`` and ``date``."""
    flags = set(flags)
    folders = []
    python_modules = _python_modules(main_folder)
    if python_modules is not None:
        folders.append(python_modules)
        if _processes_pth(flags, date):
            folders += [path for path, code in pth_entries(python_modules) if code is None]
    flag, since = FORCE_NEW_VENDOR_PATH
    legacy = flag not in flags and (date is None or date < since)
    if legacy and (main_folder / "vendor").is_dir():
        folders.append(main_folder / "vendor")
    return folders


def pth_imports(main_folder: Path, flags: Any = (), date: str | None = None) -> list[str]:
    """The ``import`` lines of ``python_modules/*.pth`` that run before the worker's code (when processed)."""
    python_modules = _python_modules(main_folder)
    if python_modules is None or not _processes_pth(set(flags), date):
        return []
    return [code for _, code in pth_entries(python_modules) if code is not None]


def pth_entries(folder: Path) -> list[tuple[Path, str | None]]:
    """What the ``.pth`` files of ``folder`` add, as ``site.addsitedir`` reads them: (folder, None) for a path
    line that exists, (folder, code) for an ``import`` line."""
    entries: list[tuple[Path, str | None]] = []
    for pth in sorted(folder.glob("*.pth")):
        if pth.name.startswith("_workers_sdk_"):  # Cloudflare's SDK patches Pyodide packages: pyflare is the SDK
            continue
        try:
            lines = pth.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines:
            line = line.rstrip()
            if not line or line.startswith("#"):
                continue
            if line.startswith(("import ", "import\t")):
                entries.append((folder, line))
                continue
            target = (folder / line).resolve()
            if target.is_dir() and target != folder.resolve():
                entries.append((target, None))
    return entries


def shadowed_vendored(folders: list[Path]) -> list[str]:
    """Vendored distributions that an installed distribution of another version hides, as one line each."""
    import importlib.metadata as metadata

    lines = []
    for folder in folders:
        vendored: dict[str, tuple[str, list[str]]] = {}  # name -> (as spelt, versions): a stale copy may linger
        for info in sorted(folder.glob("*.dist-info")):
            name, _, version = info.name[: -len(".dist-info")].partition("-")
            spelt, versions = vendored.setdefault(name.lower().replace("-", "_"), (name, []))
            versions.append(version)
        for spelt, versions in vendored.values():
            try:
                installed = metadata.version(spelt)
            except metadata.PackageNotFoundError:
                continue
            if installed not in versions:
                lines.append(f"{folder}: {spelt} {max(versions)} is vendored but {spelt} {installed} is installed; "
                             f"pyflare imports the installed one (Cloudflare imports the vendored one)")
    return lines


class _Registry:
    """Process-wide state: live workers, who owns which plain module name, the shim aliases."""

    def __init__(self) -> None:
        self.live: list[WorkerModules] = []
        self.owners: dict[str, WorkerModules] = {}
        self.stashed: dict[str, types.ModuleType] = {}
        self.aliases: set[str] = set()  # the shim names put into sys.modules (removed with the last worker)
        self.finder = _Finder(self)
        self.vendor_finder = _VendorFinder(self)

    def add(self, modules: WorkerModules) -> None:
        if not self.live:
            self._install()
        self.live.append(modules)

    def remove(self, modules: WorkerModules) -> None:
        if modules in self.live:
            self.live.remove(modules)
        for top, owner in list(self.owners.items()):
            if owner is modules:
                del self.owners[top]
                previous = modules.previous
                if previous is not None and previous in self.live:
                    previous.reclaim(top)
        if not self.live:
            self._uninstall()

    def _install(self) -> None:
        if any(top in sys.modules for top in SHIMS):  # e.g. Cloudflare's SDK imported already: set it aside
            for name in list(sys.modules):
                if _shim_target(name) is not None:
                    self.stashed[name] = sys.modules.pop(name)
        for top, target in SHIMS.items():
            sys.modules[top] = importlib.import_module(target)
        self.aliases.update(SHIMS)
        sys.meta_path.insert(0, self.finder)
        sys.meta_path.append(self.vendor_finder)

    def _uninstall(self) -> None:
        for finder in (self.finder, self.vendor_finder):
            if finder in sys.meta_path:
                sys.meta_path.remove(finder)
        for name in self.aliases:
            sys.modules.pop(name, None)
        self.aliases.clear()
        sys.modules.update(self.stashed)
        self.stashed.clear()

    def owner_of(self, top: str) -> WorkerModules | None:
        """The live worker whose plain module ``top`` is (claiming it now if one may)."""
        owner = self.owners.get(top)
        if owner is not None:
            return owner
        candidates = [m for m in self.live if m.has_local(top)]
        if not candidates:
            return None
        from pyflare.kernel.context import current_worker

        running = current_worker.get()
        candidates.sort(key=lambda m: getattr(running, "modules", None) is not m)
        for candidate in candidates:
            if candidate.may_claim(top):
                self.owners[top] = candidate
                return candidate
        return None


class WorkerModules:
    """The modules of one load of one worker."""

    def __init__(self, folder: Path, vendor: list[Path] | None = None) -> None:
        self.folder = folder.resolve()
        self.vendor = [p.resolve() for p in (vendor if vendor is not None else vendor_folders(self.folder))]
        self.package = f"{PRIVATE_PREFIX}{next(_counter)}"
        self._local_names: dict[str, bool] = {}
        self._stash: dict[str, types.ModuleType] = {}
        self.loaded: set[str] = set()  # every module name this load's finders resolved
        self.builtins = dict(vars(builtins))
        self.builtins["__import__"] = self._import
        self.builtins["print"] = traced_print  # what the worker prints is a log line of the running event
        package = types.ModuleType(self.package)
        package.__path__ = [str(self.folder)]
        package.__package__ = self.package
        package.__spec__ = importlib.machinery.ModuleSpec(self.package, None, is_package=True)
        package.__spec__.submodule_search_locations = [str(self.folder)]
        sys.modules[self.package] = package
        # A reload of the same folder takes over the names the previous load owns (and gives them back if
        # this load fails and is unloaded while the previous one still serves).
        self.previous = next((m for m in reversed(_registry.live) if m.folder == self.folder), None)
        _registry.add(self)
        if self.previous is not None:
            for top, owner in list(_registry.owners.items()):
                if owner is self.previous:
                    self.previous.stash(top)
                    _registry.owners[top] = self

    # -- names ---------------------------------------------------------------------------------------
    def has_local(self, top: str) -> bool:
        known = self._local_names.get(top)
        if known is None:
            base = self.folder / top
            known = base.with_suffix(".py").is_file() or (base / "__init__.py").is_file() or (
                base.is_dir() and any(base.glob("*.py"))
            )
            self._local_names[top] = known
        return known

    def may_claim(self, top: str) -> bool:
        """A plain name is free: not imported already, not installed, not the standard library's."""
        if top in sys.modules or top.startswith(PRIVATE_PREFIX):
            return False
        try:
            spec = importlib.machinery.PathFinder.find_spec(top)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            return top not in sys.builtin_module_names
        # Found on sys.path: only our own folder (e.g. the current directory is src/) counts as free.
        locations = [spec.origin] if spec.origin else list(spec.submodule_search_locations or [])
        return bool(locations) and all(
            loc and Path(loc).resolve().is_relative_to(self.folder) for loc in locations
        )

    def owns(self, top: str) -> bool:
        return _registry.owner_of(top) is self

    def stash(self, top: str) -> None:
        """Set aside this load's modules named ``top`` (a reload is taking the name over)."""
        for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
            module = sys.modules[name]
            if _is_under(module, self.folder):
                self._stash[name] = sys.modules.pop(name)

    def reclaim(self, top: str) -> None:
        _registry.owners[top] = self
        for name in [n for n in self._stash if n == top or n.startswith(top + ".")]:
            sys.modules[name] = self._stash.pop(name)

    def module_name(self, dotted: str) -> str:
        """The name ``dotted`` (a path inside the worker's folder) is imported under."""
        top = dotted.partition(".")[0]
        return dotted if self.owns(top) else f"{self.package}.{dotted}"

    # -- importing -----------------------------------------------------------------------------------
    def import_main(self, main: Path) -> types.ModuleType:
        relative = main.resolve().relative_to(self.folder)
        return importlib.import_module(self.module_name(".".join(relative.with_suffix("").parts)))

    def _import(
        self,
        name: str,
        globals: dict[str, Any] | None = None,
        locals: Any = None,
        fromlist: Any = (),
        level: int = 0,
    ) -> types.ModuleType:
        if level == 0:
            top = name.partition(".")[0]
            if self.has_local(top) and not self.owns(top):
                module = builtins.__import__(f"{self.package}.{name}", globals, locals, ("__name__",), 0)
                return module if fromlist else sys.modules[f"{self.package}.{top}"]
        return builtins.__import__(name, globals, locals, fromlist, level)

    def spec_for(self, fullname: str, parts: list[str]) -> importlib.machinery.ModuleSpec | None:
        self.loaded.add(fullname)
        base = self.folder.joinpath(*parts)
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
        loader = _Loader(fullname, str(origin), self)
        return importlib.util.spec_from_file_location(
            fullname, origin, loader=loader, submodule_search_locations=locations
        )

    def unload(self) -> None:
        """Forget every module of this load (a reload then imports them afresh)."""
        owned = {top for top, owner in _registry.owners.items() if owner is self}
        for name in self.loaded | {self.package}:
            module = sys.modules.get(name)
            if module is None:
                continue
            if name == self.package or name.startswith(self.package + "."):
                del sys.modules[name]
            elif name.partition(".")[0] in owned and _is_under(module, self.folder):
                del sys.modules[name]
        shared = {f for m in _registry.live if m is not self for f in m.vendor}
        vendor = [f for f in self.vendor if f not in shared]
        if vendor:  # vendored packages loaded by the standard machinery: find them by their files
            for name in list(sys.modules):
                if any(_is_under(sys.modules[name], folder) for folder in vendor):
                    del sys.modules[name]
        self._stash.clear()
        _registry.remove(self)


def _is_under(module: Any, folder: Path) -> bool:
    """Whether ``module`` was loaded from a file (or is a package) inside ``folder``."""
    # Both finders build paths from the resolved folder, so a prefix test is enough (and fast: unload
    # looks at every module in the process).
    prefix = str(folder) + os.sep
    file = getattr(module, "__file__", None)
    if file:
        return str(file).startswith(prefix)
    locations = getattr(module, "__path__", None) or []
    try:
        return any(str(loc).startswith(prefix) for loc in locations)
    except TypeError:  # an exotic __path__
        return False


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


class _AliasLoader(importlib.abc.Loader):
    """Makes ``workers.wsgi`` (say) the very module object ``pyflare.workers.wsgi``."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self.target)
        self.original_spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # The import system stamps the alias's spec on the module; the module keeps its own.
        module.__spec__ = self.original_spec


class _Finder(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path`` while workers are loaded: shims, then the workers' own modules."""

    def __init__(self, registry: _Registry) -> None:
        self.registry = registry

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        shim = _shim_target(fullname)
        if shim is not None:
            try:
                real = importlib.util.find_spec(shim)
            except ModuleNotFoundError:
                real = None
            if real is None:
                return None
            self.registry.aliases.add(fullname)
            spec = importlib.machinery.ModuleSpec(fullname, _AliasLoader(shim), is_package=bool(
                real.submodule_search_locations))
            spec.submodule_search_locations = real.submodule_search_locations
            return spec
        parts = fullname.split(".")
        if fullname.startswith(PRIVATE_PREFIX):
            for modules in self.registry.live:
                if parts[0] == modules.package:
                    return modules.spec_for(fullname, parts[1:])
            return None
        owner = self.registry.owner_of(parts[0])
        if owner is None:
            return None
        return owner.spec_for(fullname, parts)


class _VendorFinder(importlib.abc.MetaPathFinder):
    """Last on ``sys.meta_path``: top-level packages (and their distributions' metadata) from the live
    workers' vendor folders."""

    def __init__(self, registry: _Registry) -> None:
        self.registry = registry

    def _folders(self) -> list[str]:
        return [str(f) for m in self.registry.live for f in m.vendor]

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if path is not None or "." in fullname:
            return None  # submodules are found through their package's __path__
        folders = self._folders()
        if not folders:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, folders)

    def find_distributions(self, context: Any = None) -> Any:
        """``importlib.metadata`` looks here after site-packages, as imports do."""
        import importlib.metadata as metadata

        folders = self._folders()
        if not folders:
            return iter(())
        context = context or metadata.DistributionFinder.Context()
        return metadata.MetadataPathFinder.find_distributions(
            metadata.DistributionFinder.Context(name=context.name, path=folders))


_registry = _Registry()
