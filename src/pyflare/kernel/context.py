"""The worker context: whose code the current task runs (and in which live object), and the one way
pyflare calls into that code.

Worker code reaches its own worker through this context, never through a reference it was handed:
``from workers import env``, ``wait_until``, ``js.Date.now()``, ``js.caches``, where ``fetch()`` goes, and
which compatibility settings a new WebSocket follows. Whatever calls a worker's code (a handler, a Durable
Object method, an RPC call, a workflow run, a WebSocket event, a test helper) does it with :func:`call_as`
(or :func:`running_as` around a block), so the context is set in this one module, as quart's ``ctx.py``
sets its context variables. :data:`current_object` is the live object (``pyflare.objects``) whose event the
task runs, set by the object layer around each event: what the code creates there (a WebSocket it accepts)
belongs to that object.

:func:`fit_args` gives a function only as many positional arguments as it takes, as Cloudflare's runtime
calls ``fetch(request, env, ctx)`` handlers declared with fewer parameters.
"""

from __future__ import annotations

import contextvars
import inspect
import weakref
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pyflare.kernel.clock import Clock
    from pyflare.kernel.stash import Stash

__all__ = ["LiveObjectLike", "RunningWorker", "arity", "call_as", "call_as_sync", "current_object", "current_worker",
           "enter_object", "fit_args", "leave_object", "running_as"]


class RunningWorker(Protocol):
    """What code running as a worker may reach (the runtime's loaded code provides it)."""

    env: Any
    clock: Clock
    stash: Stash  # worker-wide state of the platform: the Cache API, the outbound route, WebSocket settings

    def spawn(self, awaitable: Awaitable[Any], what: str) -> Any: ...


class LiveObjectLike(Protocol):
    """What code running inside a live object may reach of it (``pyflare.objects.LiveObject``)."""

    stash: Stash
    on_evict: list[Callable[[Any], None]]


# The worker whose code runs in this task; None outside any worker.
current_worker: contextvars.ContextVar[Any] = contextvars.ContextVar("pyflare_current_worker", default=None)
# The live object whose event this task runs (set by the object layer); None outside any object.
current_object: contextvars.ContextVar[Any] = contextvars.ContextVar("pyflare_current_object", default=None)

# function -> how many positional arguments it takes (None: any); weak, so reloaded code can go.
_ARITY: weakref.WeakKeyDictionary[Any, int | None] = weakref.WeakKeyDictionary()


def _count_positional(func: Callable[..., Any]) -> int | None:
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


def arity(func: Callable[..., Any]) -> int | None:
    """How many positional arguments ``func`` takes (None: any number); worked out once per function."""
    target = getattr(func, "__func__", None)
    if target is not None:  # a bound method: its function's count, less ``self``
        count = arity(target)
        return None if count is None else max(count - 1, 0)
    try:
        return _ARITY[func]
    except KeyError:
        count = _ARITY[func] = _count_positional(func)
        return count
    except TypeError:  # not weak-referenceable (a builtin, a partial...)
        return _count_positional(func)


def fit_args(func: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``args`` cut to what ``func`` takes."""
    count = arity(func)
    return args if count is None else args[:count]


async def call_as(worker: Any, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``func(*args, **kwargs)`` as code of ``worker`` and await its result if it is awaitable."""
    token = current_worker.set(worker)
    try:
        result = func(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result
    finally:
        current_worker.reset(token)


def call_as_sync(worker: Any, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``func(*args, **kwargs)`` as code of ``worker`` and return what it returns (constructors)."""
    token = current_worker.set(worker)
    try:
        return func(*args, **kwargs)
    finally:
        current_worker.reset(token)


def enter_object(live: Any) -> contextvars.Token[Any]:
    """The object layer's half of the context: an event of ``live`` starts in this task (undo with
    :func:`leave_object`, in the same task)."""
    return current_object.set(live)


def leave_object(token: contextvars.Token[Any]) -> None:
    current_object.reset(token)


@contextmanager
def running_as(worker: Any) -> Iterator[None]:
    """``with running_as(worker):`` the block runs as code of ``worker`` (importing its modules)."""
    token = current_worker.set(worker)
    try:
        yield
    finally:
        current_worker.reset(token)
