"""The ``step`` object a Workflow's ``run(self, event, step)`` receives: the Python SDK's decorator API.

``@step.do(...)`` turns an async function into a step; awaiting the decorated function runs it through the
engine (stored result, retries, timeout) once, and later awaits return the same result. Which signature
``step.do`` has is Cloudflare's choice, made from the compatibility date and flags:

- with ``python_workflows_implicit_dependencies`` (implied from 2026-02-25):
  ``step.do(name=None, *, concurrent=False, config=None)``; the name defaults to the function's name and
  every parameter must name an earlier step (whose result it receives) or be ``ctx``;
- before that: ``step.do(name, depends=None, concurrent=False, config=None)``; ``depends`` lists earlier
  steps whose results fill the non-``ctx`` parameters in order.

``concurrent=True`` resolves the dependencies at the same time instead of one after another. ``ctx`` is
``{"step": {"name", "count"}, "attempt", "config"}``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["WorkflowStep"]

_CTX = object()  # stands for the ctx parameter in a dependency list


class WorkflowStep:
    def __init__(self, engine_step: Any, *, implicit_dependencies: bool) -> None:
        self._engine_step = engine_step
        self._memoized: dict[str, Any] = {}
        self._in_flight: dict[str, asyncio.Future[Any]] = {}
        self.step_closures: dict[str, Callable[[], Awaitable[Any]]] = {}
        self.do: Callable[..., Callable[[Callable[..., Any]], Callable[[], Awaitable[Any]]]] = (
            self._do_implicit if implicit_dependencies else self._do_legacy
        )

    # -- the two signatures of step.do -------------------------------------------------------------
    def _do_legacy(self, name: str, depends: list[Any] | None = None, concurrent: bool = False,
                   config: dict[str, Any] | None = None) -> Callable[[Callable[..., Any]], Callable[[], Awaitable[Any]]]:
        return self._decorator(name, depends, concurrent, config, implicit=False)

    def _do_implicit(self, name: str | None = None, *, concurrent: bool = False,
                     config: dict[str, Any] | None = None) -> Callable[[Callable[..., Any]], Callable[[], Awaitable[Any]]]:
        return self._decorator(name, None, concurrent, config, implicit=True)

    def _decorator(self, name: str | None, depends: list[Any] | None, concurrent: bool,
                   config: dict[str, Any] | None, *, implicit: bool) -> Callable[[Callable[..., Any]], Callable[[], Awaitable[Any]]]:
        def decorate(func: Callable[..., Any]) -> Callable[[], Awaitable[Any]]:
            step_name = func.__name__ if name is None else name

            async def run_step() -> Any:
                dependencies = self._dependencies(func, depends, implicit)
                results = await self._resolve_all(dependencies, concurrent)
                return await self._call(step_name, config, func, results)

            run_step._step_name = step_name  # type: ignore[attr-defined]
            run_step.__name__ = getattr(func, "__name__", "step")
            self.step_closures[step_name] = run_step
            return run_step

        return decorate

    def _dependencies(self, func: Callable[..., Any], depends: list[Any] | None, implicit: bool) -> list[Any]:
        params = list(inspect.signature(func).parameters.values())
        if implicit:
            found: list[Any] = []
            for param in params:
                if param.name in self.step_closures:
                    found.append(self.step_closures[param.name])
                elif param.name == "ctx":
                    found.append(_CTX)
                else:
                    raise TypeError(f"Received unexpected parameter {param.name}")
            return found
        non_ctx = [p for p in params if p.name != "ctx"]
        if depends is None and non_ctx:
            raise TypeError(f"Step has {len(non_ctx)} non-ctx parameter(s) but no 'depends' list provided")
        if depends is not None and len(depends) != len(non_ctx):
            raise TypeError(
                f"Step declares {len(non_ctx)} non-ctx parameter(s) but 'depends' has {len(depends)} item(s)"
            )
        remaining = iter(depends or [])
        return [_CTX if p.name == "ctx" else next(remaining) for p in params]

    async def _resolve_all(self, dependencies: list[Any], concurrent: bool) -> list[Any]:
        if concurrent:
            return list(await asyncio.gather(*(self._resolve(dep) for dep in dependencies)))
        return [await self._resolve(dep) for dep in dependencies]

    async def _resolve(self, dependency: Any) -> Any:
        if dependency is _CTX:
            return _CTX
        step_name = getattr(dependency, "_step_name", None)
        if step_name is None:
            raise TypeError(f"depends must list steps (functions decorated with @step.do), not {dependency!r}")
        if step_name in self._memoized:
            return self._memoized[step_name]
        if step_name in self._in_flight:
            return await self._in_flight[step_name]
        return await dependency()

    async def _call(self, name: str, config: dict[str, Any] | None, func: Callable[..., Any], results: list[Any]) -> Any:
        async def callback(ctx: Any) -> Any:
            value = func(*(ctx if r is _CTX else r for r in results))
            if inspect.isawaitable(value):
                value = await value
            return value

        task = asyncio.ensure_future(self._engine_step.do(name, config, callback))
        self._in_flight[name] = task
        try:
            result = await task
            self._memoized[name] = result
        finally:
            self._in_flight.pop(name, None)
        return result

    # -- sleeping and waiting ----------------------------------------------------------------------
    async def sleep(self, name: str, duration: Any) -> None:
        """Sleep for ``duration``: milliseconds, or a string such as ``"10 seconds"`` or ``"1 day"``."""
        await self._engine_step.sleep(name, duration)

    async def sleep_until(self, name: str, timestamp: Any) -> None:
        """Sleep until a datetime (or epoch milliseconds, as the engine reads a number)."""
        await self._engine_step.sleep_until(name, timestamp)

    async def wait_for_event(self, name: str, event_type: str, /, timeout: Any = "24 hours") -> Any:
        """Wait for ``send_event({"type": event_type, ...})``; returns ``{payload, type, timestamp}``."""
        return await self._engine_step.wait_for_event(name, event_type, timeout)
