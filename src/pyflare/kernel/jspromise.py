"""``JsPromise``: a JavaScript Promise as Pyodide shows it to Python (awaitable, ``then``/``catch``/``finally_``).

A JavaScript API that returns a promise has started its work when it returns, whether or not anyone awaits
it (``writer.write(chunk)`` queues the chunk at once). pyflare's JS-side APIs return a :class:`JsPromise`
over an ``asyncio`` future for the same reason: the work is under way, and ``await`` gives its outcome.
Handlers given to ``then`` run from the event loop once the promise settles, as microtasks do.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from pyflare.kernel.jsobjects import JsProxy

__all__ = ["JsPromise", "settle_from"]


def _loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError("a JavaScript promise needs a running event loop: use it inside a worker's handler "
                           "(or an async test)") from None


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def settle_from(future: asyncio.Future[Any], value: Any) -> None:
    """Resolve ``future`` with ``value``, following it if it is awaitable (a promise resolved with a promise)."""
    if future.done():
        return
    if isinstance(value, JsPromise):
        value = value._future
    if inspect.isawaitable(value):
        inner = asyncio.ensure_future(value)

        def follow(done: asyncio.Future[Any]) -> None:
            if future.done():
                _retrieve(done)
            elif done.cancelled():
                future.cancel()
            elif done.exception() is not None:
                future.set_exception(done.exception())  # type: ignore[arg-type]
            else:
                future.set_result(done.result())

        inner.add_done_callback(follow)
        return
    future.set_result(value)


class JsPromise(JsProxy):
    """A settled-later value: ``await promise``, or ``promise.then(on_value, on_error)``."""

    __slots__ = ("_future",)
    js_type = "Promise"

    def __init__(self, future: asyncio.Future[Any] | None = None) -> None:
        self._future = future if future is not None else _loop().create_future()

    # -- making ------------------------------------------------------------------------------------
    @classmethod
    def of(cls, awaitable: Awaitable[Any]) -> JsPromise:
        """A promise for an awaitable (a coroutine starts running as a task now)."""
        if isinstance(awaitable, JsPromise):
            return awaitable
        return cls(asyncio.ensure_future(awaitable))

    @classmethod
    def resolve(cls, value: Any = None) -> JsPromise:
        if isinstance(value, JsPromise):
            return value
        promise = cls()
        settle_from(promise._future, value)
        return promise

    @classmethod
    def reject(cls, error: Any = None) -> JsPromise:
        promise = cls()
        promise._reject(error)
        return promise

    def _resolve(self, value: Any = None) -> None:
        settle_from(self._future, value)

    def _reject(self, error: Any = None) -> None:
        if self._future.done():
            return
        if not isinstance(error, BaseException):
            from pyflare.kernel.jserrors import JsException

            error = JsException(str(error)) if error is not None else JsException("undefined")
        self._future.set_exception(error)

    def mark_handled(self) -> JsPromise:
        """No warning if this promise rejects and nobody looks (as JS marks some internal promises)."""
        self._future.add_done_callback(_retrieve)
        return self

    # -- using -------------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self._future.done()

    def __await__(self) -> Generator[Any, None, Any]:
        return self._future.__await__()

    def then(self, on_fulfilled: Callable[[Any], Any] | None = None,
             on_rejected: Callable[[BaseException], Any] | None = None) -> JsPromise:
        result = JsPromise()

        def settle(done: asyncio.Future[Any]) -> None:
            if done.cancelled():
                result._future.cancel()
                return
            error = done.exception()
            handler = on_fulfilled if error is None else on_rejected
            if handler is None:
                if error is None:
                    result._resolve(done.result())
                else:
                    result._reject(error)
                return
            try:
                value = handler(done.result() if error is None else error)
            except Exception as exc:  # a throwing handler rejects the derived promise, as in JS
                result._reject(exc)
            else:
                result._resolve(value)

        self._future.add_done_callback(settle)
        return result

    def catch(self, on_rejected: Callable[[BaseException], Any]) -> JsPromise:
        return self.then(None, on_rejected)

    def finally_(self, on_finally: Callable[[], Any]) -> JsPromise:
        def passthrough(value: Any) -> Any:
            on_finally()
            return value

        def rethrow(error: BaseException) -> Any:
            on_finally()
            raise error

        return self.then(passthrough, rethrow)

    def __repr__(self) -> str:
        if not self._future.done():
            return "[object Promise] <pending>"
        return "[object Promise] <settled>"
