"""One load of a worker's code: its entrypoints, and calling its handlers the way Cloudflare does."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyflare.kernel.context import arity, call_as, call_as_sync, fit_args, running_as
from pyflare.kernel.stash import Stash
from pyflare.runtime.errors import WorkerMistake, format_user_traceback, worker_mistake
from pyflare.runtime.loader import WorkerModules
from pyflare.workers import DurableObject, ExecutionContext, Response, WorkerEntrypoint, WorkflowEntrypoint
from pyflare.workers.host import ACCESS
from pyflare.workers.js.host import javascript_request

if TYPE_CHECKING:
    from pyflare.portability.strict import StrictMode

LEGACY_HANDLERS = ("on_fetch", "on_scheduled", "on_queue")
_UNPLANNED = object()


class WorkerLoadError(Exception):
    """The worker's module failed to import; ``details`` holds the traceback to show."""

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message)
        self.details = details


class HandlerMissing(WorkerMistake):
    """The worker exports no handler for an event."""


class WorkerCode:
    """One load of a worker's code: its modules, its exports, and calling its handlers as Cloudflare does.

    The worker (``pyflare.instance.PyflareWorker``, by its config's name) keeps one at a time in its
    :class:`~pyflare.runtime.runtime.Runtime` (``runtime.worker``); a reload replaces it."""

    def __init__(self, main: Path, env: Any, spawn: Callable[[Awaitable[Any], str], Any], clock: Any, *,
                 stash: Stash | None = None, strict: StrictMode | None = None, vendor: list[Path] | None = None,
                 startup: list[str] | None = None) -> None:
        self.main = main
        self.env = env
        self.spawn = spawn
        self.clock = clock
        self.stash = stash if stash is not None else Stash()  # see Runtime.stash
        self.modules = WorkerModules(main.parent, vendor)
        try:
            with running_as(self):
                for line in startup or ():  # the import lines of python_modules/*.pth, as site.addsitedir runs them
                    exec(line, {"__name__": "__pth__"})  # noqa: S102 - what site does with a .pth import line
                # Strict portability mode watches the import (entropy) and, from then on, the worker's own code.
                self.module = strict.import_main(self.modules, main) if strict else self.modules.import_main(main)
        except BaseException as exc:
            self.modules.unload()
            details = format_user_traceback(exc)
            raise WorkerLoadError(f"{main.name} failed to import: {type(exc).__name__}: {exc}", details) from exc
        self.exports = self._find_exports()
        legacy = [name for name in LEGACY_HANDLERS if callable(getattr(self.module, name, None))]
        if self.default is not None and legacy:
            self.modules.unload()
            message = f"{main.name} failed to import: TypeError: Cannot define multiple default entrypoints"
            raise WorkerLoadError(message, f"{message} (class Default and top-level {', '.join(legacy)})")
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
        if method == "fetch":  # a request behind Cloudflare Access ([access.dev]) has ctx.access
            ctx.access = self.stash.get(ACCESS, None)
        default = self.default
        if default is not None and callable(getattr(default, method, None)):
            return getattr(call_as_sync(self, default, ctx, self.env), method), ctx
        func = getattr(self.module, legacy, None)
        if callable(func):
            return func, ctx
        raise HandlerMissing(
            f"{self.main.name} has no {method} handler: define class Default(WorkerEntrypoint) "
            f"with async def {method}(...), or a top-level {legacy}(...)"
        )

    async def call(self, func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """Call a handler of this worker's code with as many of ``args`` as it takes; awaits its result."""
        return await call_as(self, func, *fit_args(func, args))

    def _fetch_plan(self) -> tuple[Any, Any, int | None] | None:
        """How to call fetch, worked out once per load: (Default class or None, function, arity of the
        arguments after self). None when the handler is not a plain function (then the general path runs)."""
        default = self.default
        if default is not None:
            func = getattr(default, "fetch", None)
            if not inspect.isfunction(func):
                return None
            count = arity(func)
            return default, func, None if count is None else max(count - 1, 0)
        func = getattr(self.module, "on_fetch", None)
        if not inspect.isfunction(func):
            return None
        return None, func, arity(func)

    async def fetch(self, request: Any) -> Response:
        plan = self._plan
        if plan is _UNPLANNED:
            plan = self._plan = self._fetch_plan()
        if plan is None:
            func, ctx = self._handler("fetch", "on_fetch")
            if func is getattr(self.module, "on_fetch", None):
                request = javascript_request(request)
            response = await self.call(func, (request, self.env, ctx))
        else:  # the request path: no lookups that the plan already made
            cls, func, count = plan
            ctx = ExecutionContext(self.spawn)
            ctx.access = self.stash.get(ACCESS, None)
            if cls is None:  # a top-level on_fetch gets the JavaScript Request, as on Cloudflare
                request = javascript_request(request)
            args = (request, self.env, ctx) if count is None else (request, self.env, ctx)[:count]
            if cls is not None:
                response = await call_as(self, _method_of_new, cls, ctx, self.env, func, args)
            else:
                response = await call_as(self, func, *args)
        if not isinstance(response, Response):
            raise worker_mistake(TypeError(
                f"The worker's fetch handler returned {type(response).__name__}, not a workers.Response: "
                f"return Response(...) (or Response.json(...))"
            ))
        return response

    async def scheduled(self, controller: Any) -> None:
        func, ctx = self._handler("scheduled", "on_scheduled")
        await self.call(func, (controller, self.env, ctx))

    async def queue(self, batch: Any) -> None:
        func, ctx = self._handler("queue", "on_queue")
        await self.call(func, (batch, self.env, ctx))

    async def tail(self, events: list[Any]) -> None:
        func, ctx = self._handler("tail", "on_tail")
        await self.call(func, (events, self.env, ctx))

    async def email(self, message: Any) -> None:
        func, ctx = self._handler("email", "on_email")
        await self.call(func, (message, self.env, ctx))

    def has_handler(self, method: str) -> bool:
        default = self.default
        return bool(
            (default is not None and callable(getattr(default, method, None)))
            or callable(getattr(self.module, f"on_{method}", None))
        )


def _method_of_new(cls: type, ctx: Any, env: Any, func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """``func`` of a fresh ``cls(ctx, env)``, called with ``args``: a handler of the Default entrypoint."""
    return func(cls(ctx, env), *args)
