"""Strict portability mode: raise, at the point of use, what would fail on Cloudflare's Python Workers.

Enabled per worker (``pyflare dev --strict-portability``, ``Pyflare(strict_portability=True)``, the pytest
marker ``strict_portability``, or ``[pyflare] strict_portability = true``). It watches the worker's own
code only: an operation counts when the innermost frame that is neither the standard library nor this
module is one of a strict worker's modules (loaded by pyflare's loader from the worker's folder; its
``python_modules/``, a virtualenv in it and tests beside it aside). pyflare's machinery (uvicorn,
aiosqlite's threads, the bindings the worker awaits) and third-party packages (whose blocking HTTP clients
Cloudflare patches) are left alone.

- entropy during import (``random.random()``, ``os.urandom``, ``uuid.uuid4()``, ``secrets``...): the
  module-level functions are wrapped while the worker's modules are imported, the one call point the
  runtime gives (:meth:`StrictMode.import_main`);
- threads: ``threading.Thread.start`` is wrapped once strict mode is first used;
- processes, socket connections and listening sockets, file writes: an audit hook (``sys.addaudithook``,
  installed once, inert until a strict worker is loaded).

Failures raise :class:`~pyflare.portability.rules.NotPortableError` with the message ``pyflare check``
prints for the same rule; files written outside the temporary folder warn (:class:`PortabilityWarning`).
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import sysconfig
import tempfile
import threading
import types
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyflare.portability import rules as r
from pyflare.portability.apis import RANDOM_ALLOWED
from pyflare.portability.targets import Target, target_for

_HERE = __file__
_STDLIB = tuple(
    p + os.sep for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]} if p
)
_SUBPROCESS_EVENTS = {"subprocess.Popen": "subprocess.Popen", "os.system": "os.system", "os.exec": "os.exec",
                      "os.spawn": "os.spawn", "os.posix_spawn": "os.posix_spawn", "os.fork": "os.fork",
                      "os.forkpty": "os.forkpty"}
_WATCHED_EVENTS = frozenset({*_SUBPROCESS_EVENTS, "socket.connect", "socket.bind", "open"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


@dataclass
class _Load:
    modules: weakref.ref[Any]
    folder: str  # with a trailing separator
    vendor: tuple[str, ...]
    package: str  # the private package the load puts into sys.modules (gone once it is unloaded)
    mode: StrictMode

    @property
    def live(self) -> bool:
        return self.modules() is not None and self.package in sys.modules

    def owns(self, module: str) -> bool:
        """Whether ``module`` is one of the worker's own, imported by its loader (not, say, a test module
        that lives in the same folder)."""
        modules = self.modules()
        if modules is None or self.package not in sys.modules:
            return False
        return module in modules.loaded or module.startswith(self.package + ".")


_loads: list[_Load] = []
_state = threading.local()  # .importing: depth of strict imports on this thread; .busy: inside the hook
_installed = False


class StrictMode:
    """Strict portability for the workers of one config (its target Python decides about sockets)."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def import_main(self, modules: Any, main: Path) -> types.ModuleType:
        """Import the worker's main module (``modules`` is the runtime's WorkerModules) under watch."""
        _install()
        folder = str(modules.folder) + os.sep
        vendor = tuple(str(v) + os.sep for v in modules.vendor)
        _loads.append(_Load(weakref.ref(modules), folder, vendor, modules.package, self))
        _prune()
        with _entropy_guard():
            return modules.import_main(main)


def strict_mode_for(compatibility_date: str | None, flags: list[str]) -> StrictMode:
    """Strict mode for a worker with this compatibility date and these flags."""
    target = target_for(compatibility_date, [*flags, "python_workers"])
    assert target is not None
    return StrictMode(target)


def _prune() -> None:
    """Forget unloaded workers (WorkerModules puts its private package into sys.modules until it unloads)."""
    _loads[:] = [load for load in _loads if load.live]


def _is_stdlib(filename: str) -> bool:
    if filename.startswith("<frozen") or filename == _HERE:
        return True
    return filename.startswith(_STDLIB) and "-packages" not in filename


def _caller() -> tuple[_Load, str | None] | None:
    """The strict worker whose code made the current call, and the standard-library function it called."""
    if not _loads:
        return None
    frame = sys._getframe(2)
    called: types.FrameType | None = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if _is_stdlib(filename):
            if filename != _HERE:
                called = frame
            frame = frame.f_back
            continue
        if "-packages" + os.sep in filename:  # a virtualenv inside the worker's folder is still third-party code
            return None
        module = frame.f_globals.get("__name__", "")
        for load in _loads:
            if filename.startswith(load.folder) and not filename.startswith(load.vendor) and load.owns(module):
                return load, _frame_name(called)
        return None
    return None


def _frame_name(frame: types.FrameType | None) -> str | None:
    if frame is None:
        return None
    module = frame.f_globals.get("__name__", "")
    qualname = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
    name = f"{module}.{qualname}".removesuffix(".__init__")
    return name if not module.startswith("_") else None


# -- entropy while importing ------------------------------------------------------------------------------
def _importing() -> bool:
    return getattr(_state, "importing", 0) > 0


def _guarded(name: str, func: Callable[..., Any], *, only_unseeded: bool = False) -> Callable[..., Any]:
    def guard(*args: Any, **kwargs: Any) -> Any:
        if _importing() and not (only_unseeded and (args[1:2] not in ((), (None,)) or kwargs.get("a") is not None)):
            found = _caller()
            if found is not None:
                raise r.not_portable("entropy-at-import", r.entropy_message(found[1] or name))
        return func(*args, **kwargs)

    guard.__wrapped__ = func  # type: ignore[attr-defined]
    return guard


@contextlib.contextmanager
def _entropy_guard() -> Iterator[None]:
    patches: list[tuple[Any, str, Any]] = [(os, "urandom", os.urandom), (random, "_urandom", random._urandom)]
    for name in dir(random):
        value = getattr(random, name)
        if not name.startswith("_") and callable(value) and name not in RANDOM_ALLOWED and not isinstance(value, type):
            patches.append((random, name, value))
    patches.append((random.Random, "seed", random.Random.seed))
    depth = getattr(_state, "importing", 0)
    if depth == 0:
        for owner, name, original in patches:
            label = "random.Random" if owner is random.Random else f"{owner.__name__}.{name}".replace("._", ".")
            setattr(owner, name, _guarded(label, original, only_unseeded=owner is random.Random))
    _state.importing = depth + 1
    try:
        yield
    finally:
        _state.importing = depth
        if depth == 0:
            for owner, name, original in patches:
                setattr(owner, name, original)


# -- threads, processes, sockets, files -------------------------------------------------------------------
def _install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    start = threading.Thread.start

    def strict_start(self: threading.Thread) -> None:
        found = _caller()
        if found is not None:
            raise r.not_portable("thread", r.thread_message(found[1] or "threading.Thread"))
        start(self)

    strict_start.__wrapped__ = start  # type: ignore[attr-defined]
    threading.Thread.start = strict_start  # type: ignore[method-assign]
    sys.addaudithook(_audit)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event not in _WATCHED_EVENTS or not _loads or getattr(_state, "busy", False):
        return
    if event == "open" and not _is_write(args):
        return
    _state.busy = True
    try:
        found = _caller()
        if found is None:
            return
        load, called = found
        if event in _SUBPROCESS_EVENTS:
            raise r.not_portable("subprocess", r.subprocess_message(called or _SUBPROCESS_EVENTS[event]))
        if event == "socket.connect":
            if not load.mode.target.sockets and _is_inet(args[0]):
                raise r.not_portable("socket", r.socket_message(called or "socket.connect",
                                                                    load.mode.target.python))
            return
        if event == "socket.bind":
            if _is_inet(args[0]):
                raise r.not_portable("server-socket", r.server_message(called or "socket.bind"))
            return
        _check_write(args[0], called or "open", load)
    finally:
        _state.busy = False


def _is_inet(sock: Any) -> bool:
    import socket

    return getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6)


def _is_write(args: tuple[Any, ...]) -> bool:
    path, mode, flags = (args + (None, None, None))[:3]
    if isinstance(path, int):
        return False
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def _check_write(path: Any, called: str, load: _Load) -> None:
    text = os.fsdecode(path)
    absolute = os.path.realpath(os.path.abspath(text))
    what = f"{called.removeprefix('builtins.')}()"
    if absolute.startswith(os.path.realpath(load.folder) + os.sep):
        raise r.not_portable("file-write-bundle", r.bundle_write_message(what))
    if absolute.startswith(os.path.realpath(tempfile.gettempdir()) + os.sep):
        return
    r.warn("file-write", r.file_write_message(what))
