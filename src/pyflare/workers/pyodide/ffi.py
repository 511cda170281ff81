"""``pyodide.ffi`` under CPython: values never leave Python, so conversions mostly hand them back.

What code written for Pyodide relies on still holds: ``to_js(bytes)`` gives a ``Uint8Array`` whose
``.buffer`` is an ``ArrayBuffer`` that ``Response`` accepts; ``to_js(d)`` a ``Map`` and
``to_js(d, dict_converter=Object.fromEntries)`` an object with attribute access; ``create_proxy(obj)`` gives a callable proxy with ``destroy()``;
``run_sync(awaitable)`` blocks until the awaitable is done, from synchronous code that pyflare runs off the
event loop (a WSGI app under ``workers.wsgi.fetch``, a handler of an async ``HTMLRewriter``).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jserrors import JsException
from pyflare.kernel.jsobjects import ArrayBuffer, JsArray, JsBuffer, JsMap, JsProxy, JsSet, Uint8Array

T = TypeVar("T")

# The event loop that synchronous worker code running in a helper thread hands awaitables back to.
bridge_loop: contextvars.ContextVar[asyncio.AbstractEventLoop | None] = contextvars.ContextVar(
    "pyflare_bridge_loop", default=None
)


class ConversionError(Exception):
    pass


class JsProxyCallable(JsProxy):
    """What ``create_proxy`` returns: forwards calls and attributes to the Python object until destroyed."""

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_destroyed", False)

    def _live(self) -> Any:
        if self._destroyed:
            raise RuntimeError("Object has already been destroyed")
        return self._target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._live()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live(), name)

    def destroy(self) -> None:
        object.__setattr__(self, "_destroyed", True)

    def unwrap(self) -> Any:
        return self._target

    def __repr__(self) -> str:
        return f"<pyflare proxy of {self._target!r}>"


def unwrap_proxy(value: Any) -> Any:
    return value._live() if isinstance(value, JsProxyCallable) else value


def to_js(value: Any, *_: Any, dict_converter: Callable[[Any], Any] | None = None, depth: int = -1,
          **__: Any) -> Any:
    """Python values as Pyodide's ``to_js`` converts them: bytes-like values become a ``Uint8Array``, lists and
    tuples an ``Array``, sets a ``Set``, dicts a ``Map`` unless ``dict_converter`` says otherwise
    (``dict_converter=js.Object.fromEntries`` gives a plain object), recursively up to ``depth`` levels."""
    if depth == 0:
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Uint8Array(value)
    if isinstance(value, dict) and not isinstance(value, JsProxy):
        converted = {k: to_js(v, dict_converter=dict_converter, depth=depth - 1) for k, v in value.items()}
        if dict_converter is not None:
            return dict_converter(JsArray(JsArray(pair) for pair in converted.items()))
        return JsMap(converted)
    if isinstance(value, (list, tuple)) and not isinstance(value, JsProxy):
        return JsArray(to_js(v, dict_converter=dict_converter, depth=depth - 1) for v in value)
    if isinstance(value, (set, frozenset)) and not isinstance(value, JsProxy):
        return JsSet(value)
    return value


def create_proxy(value: Any, *_: Any, **__: Any) -> JsProxyCallable:
    return JsProxyCallable(value)


def create_once_callable(value: Any, *_: Any, **__: Any) -> JsProxyCallable:
    return JsProxyCallable(value)


def destroy_proxies(proxies: Any) -> None:
    for proxy in proxies:
        if isinstance(proxy, JsProxyCallable):
            proxy.destroy()


# Pyodide's JS null; pyflare's JS-side values use None for it.
jsnull = None


def run_sync(awaitable: Awaitable[T]) -> T:
    """Wait for ``awaitable`` from synchronous code, as Pyodide does with JSPI stack switching.

    pyflare runs such code (a WSGI app, an async HTMLRewriter's handlers) in a helper thread; the
    awaitable runs on the worker's event loop with the caller's context, and this thread waits for it.
    """
    if not inspect.isawaitable(awaitable):
        raise TypeError(f"run_sync() takes an awaitable, not {type(awaitable).__name__}")
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        if inspect.iscoroutine(awaitable):
            awaitable.close()
        raise RuntimeError(
            "run_sync() cannot block pyflare's event loop: await the value instead. run_sync works in "
            "synchronous code that pyflare runs off the loop (a WSGI app under workers.wsgi.fetch)."
        )
    return schedule_on_loop(awaitable).result()


def schedule_on_loop(awaitable: Awaitable[T]) -> Future[T]:
    """From a helper thread: run ``awaitable`` on the worker's event loop, with this thread's context."""
    loop = bridge_loop.get()
    if loop is None or loop.is_closed():
        if inspect.iscoroutine(awaitable):
            awaitable.close()
        raise RuntimeError("run_sync() is only available inside a worker's request (no event loop to run on)")
    done: Future[Any] = Future()
    context = contextvars.copy_context()

    async def runner() -> Any:
        return await awaitable

    def start() -> None:
        task = context.run(loop.create_task, runner())

        def finish(task: asyncio.Task[Any]) -> None:
            if task.cancelled():
                done.cancel()
            elif task.exception() is not None:
                done.set_exception(task.exception())  # type: ignore[arg-type]
            else:
                done.set_result(task.result())

        task.add_done_callback(finish)

    loop.call_soon_threadsafe(start)
    return done


class HelperThread:
    """One dedicated thread for synchronous code that must stay on one thread (lol-html's rewriter),
    with ``run_sync`` reaching the worker's event loop from it."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyflare-sync")

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        token = bridge_loop.set(loop)
        try:
            context = contextvars.copy_context()
        finally:
            bridge_loop.reset(token)
        return await loop.run_in_executor(self._executor, context.run, func, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=False)


async def run_in_thread(func: Callable[..., T], *args: Any) -> T:
    """Run synchronous worker code in a helper thread where ``run_sync`` can reach this event loop."""
    token = bridge_loop.set(asyncio.get_running_loop())
    try:
        return await asyncio.to_thread(func, *args)
    finally:
        bridge_loop.reset(token)


__all__ = [
    "ArrayBuffer",
    "ConversionError",
    "JsBuffer",
    "JsDict",
    "JsException",
    "JsProxy",
    "Uint8Array",
    "create_once_callable",
    "create_proxy",
    "destroy_proxies",
    "jsnull",
    "run_sync",
    "to_js",
]
