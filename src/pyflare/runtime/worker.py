"""One load of a worker's code: its entrypoints, and calling its handlers the way Cloudflare does."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pyflare.runtime.errors import WorkerMistake, format_user_traceback, worker_mistake
from pyflare.runtime.loader import WorkerModules
from pyflare.workers import DurableObject, WorkerEntrypoint, WorkflowEntrypoint
from pyflare.workers._context import ExecutionContext, current_worker
from pyflare.workers._response import Response

LEGACY_HANDLERS = ("on_fetch", "on_scheduled", "on_queue")
_UNPLANNED = object()


class WorkerLoadError(Exception):
    """The worker's module failed to import; ``details`` holds the traceback to show."""

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message)
        self.details = details


class HandlerMissing(WorkerMistake):
    """The worker exports no handler for an event."""


def _arity(func: Callable[..., Any]) -> int | None:
    """How many positional arguments ``func`` takes (None: any number)."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    count = 0
    for param in params:
        if param.kind is param.VAR_POSITIONAL:
            return None
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


class Worker:
    """A loaded worker module and its exports."""

    def __init__(self, main: Path, env: Any, spawn: Callable[[Awaitable[Any], str], Any], clock: Any, *,
                 globals: dict[str, Any] | None = None, vendor: list[Path] | None = None,
                 startup: list[str] | None = None) -> None:
        self.main = main
        self.env = env
        self.spawn = spawn
        self.clock = clock
        self.globals = globals if globals is not None else {}  # see Runtime.globals
        self.modules = WorkerModules(main.parent, vendor)
        token = current_worker.set(self)
        try:
            for line in startup or ():  # the import lines of python_modules/*.pth, as site.addsitedir runs them
                exec(line, {"__name__": "__pth__"})  # noqa: S102 - what site does with a .pth import line
            self.module = self.modules.import_main(main)
        except BaseException as exc:
            self.modules.unload()
            details = format_user_traceback(exc)
            raise WorkerLoadError(f"{main.name} failed to import: {type(exc).__name__}: {exc}", details) from exc
        finally:
            current_worker.reset(token)
        self.exports = self._find_exports()
        legacy = [name for name in LEGACY_HANDLERS if callable(getattr(self.module, name, None))]
        if self.default is not None and legacy:
            self.modules.unload()
            message = f"{main.name} failed to import: TypeError: Cannot define multiple default entrypoints"
            raise WorkerLoadError(message, f"{message} (class Default and top-level {', '.join(legacy)})")
        self._arity_cache: dict[Any, int | None] = {}
        self._plan: Any = _UNPLANNED

    def _find_exports(self) -> dict[str, type]:
        exports: dict[str, type] = {}
        for name, value in vars(self.module).items():
            if (
                isinstance(value, type)
                and issubclass(value, (WorkerEntrypoint, DurableObject, WorkflowEntrypoint))
                and value not in (WorkerEntrypoint, DurableObject, WorkflowEntrypoint)
                and not name.startswith("_")
            ):
                exports[name] = value
        return exports

    @property
    def default(self) -> type | None:
        return self.exports.get("Default")

    def unload(self) -> None:
        self.modules.unload()

    def context(self) -> ExecutionContext:
        return ExecutionContext(self.spawn)

    # -- calling handlers ------------------------------------------------------------------------
    def _handler(self, method: str, legacy: str) -> tuple[Callable[..., Any], ExecutionContext]:
        ctx = self.context()
        default = self.default
        if default is not None and callable(getattr(default, method, None)):
            return getattr(default(ctx, self.env), method), ctx
        func = getattr(self.module, legacy, None)
        if callable(func):
            return func, ctx
        raise HandlerMissing(
            f"{self.main.name} has no {method} handler: define class Default(WorkerEntrypoint) "
            f"with async def {method}(...), or a top-level {legacy}(...)"
        )

    async def _call(self, func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        arity = self._arity_cache.get(func.__func__ if inspect.ismethod(func) else func, -1)
        if arity == -1:
            arity = _arity(func)
            self._arity_cache[func.__func__ if inspect.ismethod(func) else func] = arity
        token = current_worker.set(self)
        try:
            result = func(*(args if arity is None else args[:arity]))
            if inspect.isawaitable(result):
                result = await result
            return result
        finally:
            current_worker.reset(token)

    def _fetch_plan(self) -> tuple[Any, Any, int | None] | None:
        """How to call fetch, worked out once per load: (Default class or None, function, arity of the
        arguments after self). None when the handler is not a plain function (then the general path runs)."""
        default = self.default
        if default is not None:
            func = getattr(default, "fetch", None)
            if not inspect.isfunction(func):
                return None
            arity = _arity(func)
            return default, func, None if arity is None else max(arity - 1, 0)
        func = getattr(self.module, "on_fetch", None)
        if not inspect.isfunction(func):
            return None
        return None, func, _arity(func)

    async def fetch(self, request: Any) -> Response:
        plan = self._plan
        if plan is _UNPLANNED:
            plan = self._plan = self._fetch_plan()
        if plan is None:
            func, ctx = self._handler("fetch", "on_fetch")
            response = await self._call(func, (request, self.env, ctx))
        else:  # the request path: no lookups that the plan already made
            cls, func, arity = plan
            ctx = ExecutionContext(self.spawn)
            args = (request, self.env, ctx) if arity is None else (request, self.env, ctx)[:arity]
            token = current_worker.set(self)
            try:
                response = func(cls(ctx, self.env), *args) if cls is not None else func(*args)
                if inspect.isawaitable(response):
                    response = await response
            finally:
                current_worker.reset(token)
        if not isinstance(response, Response):
            raise worker_mistake(TypeError(
                f"The worker's fetch handler returned {type(response).__name__}, not a workers.Response: "
                f"return Response(...) (or Response.json(...))"
            ))
        return response

    async def scheduled(self, controller: Any) -> None:
        func, ctx = self._handler("scheduled", "on_scheduled")
        await self._call(func, (controller, self.env, ctx))

    async def queue(self, batch: Any) -> None:
        func, ctx = self._handler("queue", "on_queue")
        await self._call(func, (batch, self.env, ctx))

    def has_handler(self, method: str) -> bool:
        default = self.default
        return bool(
            (default is not None and callable(getattr(default, method, None)))
            or callable(getattr(self.module, f"on_{method}", None))
        )
