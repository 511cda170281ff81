"""Dynamic Worker Loader (``[[worker_loaders]]``): a worker loads another worker from code it supplies.

``env.LOADER.get(id, callback)`` returns a stub at once; the callback (a ``create_proxy`` of a function,
returning ``WorkerCode``: ``mainModule``, ``modules``, ``env``, ``compatibilityDate``...) runs the first
time the stub is used, and the loaded worker is kept by ``id`` as Cloudflare keeps its isolate, so the
callback usually runs once. ``stub.getEntrypoint(name=None)`` gives the default (or a named) entrypoint:
``await entrypoint.fetch(request)`` and RPC methods. pyflare runs Python modules only: JavaScript modules
in the code are refused with an error naming them.

The modules are written to a private temporary folder (names checked: relative, no ``..``), loaded like
any worker (isolated modules, the same ``workers`` API), and removed when pyflare closes.
"""

from __future__ import annotations

import inspect
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pyflare.kernel.context import call_as, call_as_sync
from pyflare.kernel.jsdict import JsDict
from pyflare.runtime.env import Env
from pyflare.runtime.plugin import Platform, Plugin
from pyflare.runtime.runtime import Runtime
from pyflare.workers import Request
from pyflare.workers.js import Request as JsRequest
from pyflare.workers.pyodide.ffi import unwrap_proxy

_MODULE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")


class WorkerLoaderError(ValueError):
    pass


def _field(code: Any, name: str, default: Any = None) -> Any:
    if isinstance(code, dict):
        return code.get(name, default)
    return getattr(code, name, default)


def _module_source(name: str, value: Any) -> str:
    if isinstance(value, str):
        if not name.endswith(".py"):
            raise WorkerLoaderError(f"Worker Loader: module {name!r}: pyflare runs Python modules only (.py)")
        return value
    if isinstance(value, dict) and "py" in value:
        return str(value["py"])
    kinds = ", ".join(sorted(value)) if isinstance(value, dict) else type(value).__name__
    raise WorkerLoaderError(f"Worker Loader: module {name!r} is {kinds}: pyflare runs Python modules only")


class LoadedWorker:
    """One worker loaded from code: its folder and runtime."""

    def __init__(self, platform: Platform, code: Any) -> None:
        main = _field(code, "mainModule")
        modules = _field(code, "modules")
        if not isinstance(main, str) or not isinstance(modules, dict) or main not in modules:
            raise WorkerLoaderError("Worker Loader: WorkerCode needs mainModule naming one of its modules")
        self.folder = Path(tempfile.mkdtemp(prefix="pyflare-loader-"))
        try:
            for name, value in modules.items():
                if not _MODULE_NAME.match(name) or any(part in ("", ".", "..") for part in name.split("/")):
                    raise WorkerLoaderError(f"Worker Loader: invalid module name {name!r}")
                path = self.folder.joinpath(*name.split("/"))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(_module_source(name, value), encoding="utf-8")
            env = Env(dict(_field(code, "env", None) or {}))
            flags = _field(code, "compatibilityFlags", None) or ()
            self.runtime = Runtime(self.folder.joinpath(*main.split("/")), env, platform.clock, platform.background,
                                   compatibility_date=_field(code, "compatibilityDate", None),
                                   compatibility_flags=[str(flag) for flag in flags])
            self.runtime.load()
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    async def close(self) -> None:
        await self.runtime.close()
        self.runtime.unload()
        shutil.rmtree(self.folder, ignore_errors=True)


class Entrypoint:
    """A loaded worker's entrypoint: ``fetch`` and RPC methods."""

    def __init__(self, stub: WorkerStub, name: str | None) -> None:
        self._stub, self._name = stub, name

    async def fetch(self, request: Any, init: Any = None, **options: Any) -> Any:
        if not isinstance(request, Request) or init or options:
            request = JsRequest.new(request, init, **options)
        loaded = await self._stub._loaded()
        if self._name is None:
            return await loaded.runtime.fetch(request)
        worker, instance = self._instance(loaded)
        return await call_as(worker, instance.fetch, request)

    def _instance(self, loaded: LoadedWorker) -> tuple[Any, Any]:
        worker = loaded.runtime.current()
        cls = worker.exports.get(self._name or "Default")
        if cls is None:
            raise WorkerLoaderError(f"Worker Loader: the loaded worker exports no entrypoint {self._name!r}")
        return worker, call_as_sync(worker, cls, worker.context(), loaded.runtime.env)

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)

        async def call(*args: Any, **kwargs: Any) -> Any:
            loaded = await self._stub._loaded()
            worker, instance = self._instance(loaded)
            target = getattr(instance, method, None)
            if not callable(target):
                raise TypeError(f"The RPC receiver does not implement the method \"{method}\".")
            return await call_as(worker, target, *args, **kwargs)

        return call


class WorkerStub:
    def __init__(self, loader: WorkerLoader, worker_id: str | None, callback: Any) -> None:
        self._loader, self._id, self._callback = loader, worker_id, callback

    async def _loaded(self) -> LoadedWorker:
        cached = self._loader.workers.get(self._id) if self._id is not None else None
        if cached is not None:
            return cached
        callback = unwrap_proxy(self._callback)
        code = callback() if callable(callback) else callback
        if inspect.isawaitable(code):
            code = await code
        loaded = LoadedWorker(self._loader.platform, code)
        if self._id is not None:
            self._loader.workers[self._id] = loaded
        else:
            self._loader.anonymous.append(loaded)
        return loaded

    def getEntrypoint(self, name: str | None = None, options: Any = None) -> Entrypoint:  # noqa: N802
        return Entrypoint(self, name)

    get_entrypoint = getEntrypoint


class WorkerLoader:
    """``env.LOADER``."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.workers: dict[str, LoadedWorker] = {}
        self.anonymous: list[LoadedWorker] = []

    def get(self, worker_id: str, callback: Any) -> WorkerStub:
        return WorkerStub(self, str(worker_id), callback)

    def load(self, code: Any) -> WorkerStub:
        return WorkerStub(self, None, JsDict(code) if isinstance(code, dict) else code)

    async def close(self) -> None:
        for loaded in [*self.workers.values(), *self.anonymous]:
            await loaded.close()
        self.workers.clear()
        self.anonymous.clear()


class WorkerLoaderPlugin(Plugin):
    def __init__(self, platform: Platform) -> None:
        self.loaders = {b.binding: WorkerLoader(platform) for b in platform.config.worker.worker_loaders}

    def bindings(self) -> dict[str, Any]:
        return dict(self.loaders)

    async def close(self) -> None:
        for loader in self.loaders.values():
            await loader.close()


def create(platform: Platform) -> WorkerLoaderPlugin | None:
    return WorkerLoaderPlugin(platform) if platform.config.worker.worker_loaders else None
