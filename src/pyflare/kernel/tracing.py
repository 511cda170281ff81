"""Traces: what every event a worker runs did (its spans) and said (its logs), recorded as it runs.

An *invocation* is one event of one worker (a request, a cron run, a queue batch, an alarm, an RPC call, a
WebSocket message, a workflow step attempt, an email): the root span of that worker's work, holding its logs
(``print``, ``logging``, ``console.*``) and uncaught exceptions. Inside it, *spans* time what the code asked
of the platform (a KV read, a D1 query, an outbound ``fetch``...). An invocation another worker's span
started (a service binding call, a Durable Object request) is a *sub-invocation*: it joins the caller's
trace, under the span that called it, as on Cloudflare's Workers traces.

Recording goes through one context variable, :data:`current_span`: whoever calls into worker code for an
event wraps the call in :func:`invocation`; bindings declare which methods are spans with the class decorator
:func:`traced` (the binding method boundary); logs go to the current span's invocation. With no tracer in the
running worker's stash (traces turned off) or outside any event, each of these costs one context-variable
read. Nothing here writes anywhere: a finished trace goes to the worker's :class:`Tracer`'s ``sink``
(``pyflare.observability`` stores it off the request path and streams it to ``pyflare tail``).

Times: an invocation's start is the one clock's time (the ``Date.now()`` the worker sees); durations and the
offsets of spans inside it are measured with ``time.perf_counter`` (a manual clock stands still in tests,
real work still takes time).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import itertools
import logging
import random
import sys
from collections.abc import Callable
from time import perf_counter
from typing import Any, TypeVar

from pyflare.kernel.stash import StashKey

__all__ = ["MAX_LOG_BYTES", "MAX_SPANS", "TRACER", "Invocation", "Span", "Tracer", "current_span",
           "capture_logging", "extend", "invocation", "log", "record_exception", "span", "traced", "traced_print"]

# Cloudflare keeps 256 KB of log events per invocation (changelog 2025-04-07, "Capture up to 256 KB of log
# events in each Workers Invocation"); what comes after is dropped and the trace item is marked truncated.
MAX_LOG_BYTES = 256 * 1024
# Spans kept per invocation (pyflare's own bound: a loop of a million KV reads must not hold a million spans).
MAX_SPANS = 1000

# The span whose work this task runs: an invocation or a span inside one; None outside any traced event.
current_span: contextvars.ContextVar[Span | None] = contextvars.ContextVar("pyflare_current_span", default=None)

_random = random.Random()  # ids only: seeded from the OS once, no entropy read per id


def _new_id(bits: int) -> str:
    return f"{_random.getrandbits(bits):0{bits // 4}x}"


_process_prefix = _new_id(32)
_trace_numbers = itertools.count(1)


def _new_trace_id() -> str:
    """32 hex digits, as W3C trace ids: this process's random prefix, a counter, random digits. Ids made one
    after the other sort one after the other, so the trace store appends to its indexes instead of touching
    a random page of them per trace (which made writing traces several times dearer)."""
    return f"{_process_prefix}{next(_trace_numbers):012x}{_random.getrandbits(48):012x}"


def _appended(items: Any, item: Any) -> list[Any]:
    """``items`` (a list, or the empty tuple an invocation starts with) with ``item`` added."""
    if items:
        items.append(item)
        return items  # type: ignore[no-any-return]
    return [item]


class Span:
    """One timed operation inside an invocation (or the invocation itself: see :class:`Invocation`)."""

    __slots__ = ("attributes", "duration_ms", "error", "invocation", "kind", "name", "outcome", "parent_id",
                 "span_id", "started")

    def __init__(self, invocation: Invocation, parent_id: str | None, name: str, kind: str,
                 attributes: dict[str, Any] | None) -> None:
        self.invocation = invocation
        self.span_id = _new_id(64)
        self.parent_id = parent_id
        self.name = name
        self.kind = kind
        self.attributes = attributes
        self.started = perf_counter()
        self.duration_ms: float | None = None  # None while it runs
        self.outcome: str | None = None
        self.error: str | None = None

    @property
    def start_ms(self) -> float:
        """When it started, in milliseconds since the epoch on pyflare's clock."""
        inv = self.invocation
        return inv.clock_ms + (self.started - inv.started) * 1000

    def set_attribute(self, name: str, value: Any) -> None:
        if self.attributes is None:
            self.attributes = {}
        self.attributes[name] = value

    def end(self, error: BaseException | None = None) -> None:
        """Close the span (with ``error``: as failed)."""
        if self.duration_ms is not None:
            return
        self.duration_ms = (perf_counter() - self.started) * 1000
        if error is not None:
            self.outcome = "error"
            self.error = f"{type(error).__name__}: {error}"
            self.set_attribute("error.type", type(error).__name__)
        else:
            self.outcome = "ok"
        inv = self.invocation
        if inv.closed:  # ended after its invocation was written (work of a waitUntil): write it on its own
            inv.tracer.late(inv, span=self)


class Invocation(Span):
    """The root span of one event of one worker, with its logs and exceptions.

    ``trigger`` is what Cloudflare's ``faas.trigger`` / handler type names (``fetch``, ``scheduled``, ``queue``,
    ``alarm``, ``jsrpc``, ``websocket``, ``workflow``, ``email``, ``tail``); ``event`` is the trace item's
    ``event`` (a dict, or a function building it when the trace is written). The invocation ends when its
    handler returns and the work it handed to ``waitUntil`` has finished.
    """

    __slots__ = ("_token", "_top", "clock_ms", "closed", "entrypoint", "event", "exceptions", "handler_done",
                 "log_bytes", "logs", "pending", "spans", "status", "subs", "trace_id", "tracer", "trigger", "truncated")

    def __init__(self, tracer: Tracer, trigger: str, name: str, kind: str, *, parent: Span | None,
                 event: Any = None, attributes: dict[str, Any] | None = None, entrypoint: str | None = None) -> None:
        top = parent.invocation.top if parent is not None else None
        # Span's fields, set here rather than through Span.__init__: this runs once per request. Its
        # ``invocation`` (and a top-level one's ``top``) is itself, given by a property, not stored: a reference to
        # itself would make every invocation a reference cycle, freed only by the garbage collector's passes.
        self.span_id = f"{_random.getrandbits(64):016x}"
        self.parent_id = parent.span_id if parent is not None else None
        self.name = name
        self.kind = kind
        self.attributes = attributes
        self.started = perf_counter()
        self.duration_ms = self.outcome = self.error = None
        self.tracer = tracer
        self.trigger = trigger
        self.event = event
        self.entrypoint = entrypoint
        # A sub-invocation is placed on its trace's timeline (the clock may stand still: a manual clock in tests).
        self.clock_ms = top.now_ms() if top is not None else tracer.clock.time() * 1000
        self.trace_id = top.trace_id if top is not None else _new_trace_id()
        self._top = top
        self.subs: list[Invocation] | tuple[()] = ()  # on the top invocation: every sub-invocation of the trace
        # Lists start as the shared empty tuple and become lists when something is added: an event that logs
        # nothing and calls nothing allocates none (fewer objects for the garbage collector to scan while its
        # trace waits to be written).
        if top is not None:
            top.subs = _appended(top.subs, self)
        self.spans: list[Span] | tuple[()] = ()
        self.logs: list[tuple[float, str, list[Any], str | None, str]] | tuple[()] = ()  # (ms, level, args, span, source)
        self.exceptions: list[tuple[float, str, str, str | None]] | tuple[()] = ()  # (ms, name, message, stack)
        self.log_bytes = 0
        self.truncated = False
        self.status: int | None = None
        self.pending = 0  # waitUntil work still running
        self.handler_done = False
        self.closed = False

    @property  # type: ignore[override]
    def invocation(self) -> Invocation:
        return self

    @property
    def top(self) -> Invocation:
        """The trace's top-level invocation (itself, unless it is a sub-invocation)."""
        return self._top if self._top is not None else self

    # -- inside -------------------------------------------------------------------------------------
    def open_span(self, parent: Span, name: str, kind: str, attributes: dict[str, Any] | None) -> Span | None:
        if len(self.spans) >= MAX_SPANS:
            self.truncated = True
            return None
        child = Span(self, parent.span_id, name, kind, attributes)
        self.spans = _appended(self.spans, child)
        return child

    def now_ms(self) -> float:
        return self.clock_ms + (perf_counter() - self.started) * 1000

    def add_log(self, level: str, args: list[Any], span_id: str | None, source: str) -> None:
        size = sum(len(a) if isinstance(a, str) else 16 for a in args)
        if self.log_bytes + size > MAX_LOG_BYTES:
            self.truncated = True
            return
        self.log_bytes += size
        entry = (self.now_ms(), level, args, span_id, source)
        self.logs = _appended(self.logs, entry)
        if self.closed:
            self.tracer.late(self, log=entry)

    def add_exception(self, exc: BaseException) -> None:
        message = str(exc)
        stack = self.tracer.format_exception(exc) if self.tracer.format_exception is not None else None
        size = len(message) + len(stack or "")
        if self.log_bytes + size > MAX_LOG_BYTES:
            self.truncated = True
            return
        self.log_bytes += size
        entry = (self.now_ms(), type(exc).__name__, message, stack)
        self.exceptions = _appended(self.exceptions, entry)
        if self.closed:
            self.tracer.late(self, exception=entry)

    # -- the handler's side -------------------------------------------------------------------------
    def __enter__(self) -> Invocation:
        self._token = current_span.set(self)
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        current_span.reset(self._token)
        if exc is not None:
            self.fail(exc)
        self.finish_handler()

    def fail(self, exc: BaseException, outcome: str = "exception") -> None:
        """The handler threw ``exc`` (recorded as an uncaught exception)."""
        if self.outcome is None or self.outcome == "ok":
            self.outcome = outcome
            self.error = f"{type(exc).__name__}: {exc}"
        if outcome == "exception":
            self.add_exception(exc)

    def cancel(self) -> None:
        """The client went away before the handler finished (``canceled``)."""
        if self.outcome is None:
            self.outcome = "canceled"

    def finish_handler(self) -> None:
        self.handler_done = True
        if self.outcome is None:
            self.outcome = "ok"
        if self.pending == 0:
            self._close()

    def hold(self, task: Any) -> None:
        """``task`` (work handed to ``waitUntil``) keeps the invocation open until it finishes."""
        if self.closed:
            return
        self.pending += 1
        task.add_done_callback(self._released)

    def _released(self, task: Any) -> None:
        self.pending -= 1
        if not task.cancelled() and task.exception() is not None:
            self.add_exception(task.exception())
        if self.pending == 0 and self.handler_done:
            self._close()

    def _close(self) -> None:
        if self.closed:
            return
        self.duration_ms = (perf_counter() - self.started) * 1000
        self.closed = True
        self.tracer.finished(self)


# -- a worker's tracer --------------------------------------------------------------------------------
class _NotTraced:
    """The context manager :func:`invocation` returns when nothing is traced: it gives ``None``."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


NOT_TRACED = _NotTraced()


class Tracer:
    """Records one worker's invocations and hands each finished trace to ``sink``.

    ``sink(invocation)`` receives a top-level invocation once it (and every sub-invocation that finished
    before it) is done, and a sub-invocation that finishes after its top-level one on its own. ``late(inv,
    span=, log=)`` receives what an invocation recorded after it was handed over.
    """

    def __init__(self, worker: str, clock: Any, sink: Callable[[Invocation], None], *,
                 late: Callable[..., None] | None = None,
                 format_exception: Callable[[BaseException], str] | None = None) -> None:
        self.worker = worker
        self.clock = clock
        self.sink = sink
        self._late = late
        self.format_exception = format_exception

    def invocation(self, trigger: str, name: str, kind: str | None = None, *, event: Any = None,
                   attributes: dict[str, Any] | None = None, entrypoint: str | None = None,
                   detached: bool = False) -> Invocation:
        """A new invocation of this worker; a sub-invocation of the current span unless ``detached`` (an event
        the platform starts by itself: a cron run, a queue batch, an alarm...)."""
        parent = None if detached else current_span.get()
        return Invocation(self, trigger, name, kind or trigger, parent=parent, event=event, attributes=attributes,
                          entrypoint=entrypoint)

    def finished(self, inv: Invocation) -> None:
        top = inv.top
        if inv is top or top.closed:
            self.sink(inv)

    def late(self, inv: Invocation, **what: Any) -> None:
        if self._late is not None:
            self._late(inv, **what)


TRACER = StashKey[Tracer]("tracer")


def invocation(worker: Any, trigger: str, name: str, kind: str | None = None, *, event: Any = None,
               attributes: dict[str, Any] | None = None, entrypoint: str | None = None,
               detached: bool = False) -> Any:
    """``with invocation(worker, "fetch", "GET /") as inv:`` an event of ``worker`` (its code: a
    ``WorkerCode``, whose stash holds the worker's :class:`Tracer`); ``inv`` is None when traces are off."""
    stash = getattr(worker, "stash", None)
    tracer = stash.get(TRACER, None) if stash is not None else None
    if tracer is None:
        return NOT_TRACED
    return tracer.invocation(trigger, name, kind, event=event, attributes=attributes, entrypoint=entrypoint,
                             detached=detached)


def extend(task: Any) -> None:
    """Keep the current invocation open until ``task`` (an asyncio task handed to ``waitUntil``) finishes."""
    current = current_span.get()
    if current is not None and hasattr(task, "add_done_callback"):
        current.invocation.hold(task)


# -- spans around the platform's operations -------------------------------------------------------------
class _SpanScope:
    __slots__ = ("span", "token")

    def __init__(self, span: Span) -> None:
        self.span = span

    def __enter__(self) -> Span:
        self.token = current_span.set(self.span)
        return self.span

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        current_span.reset(self.token)
        self.span.end(exc)


def span(name: str, kind: str, attributes: dict[str, Any] | Callable[[], dict[str, Any]] | None = None) -> Any:
    """``with span("fetch", "fetch", {...}) as s:`` a span inside the current invocation (``s`` is None when
    nothing is traced); ``attributes`` may be a function, called only when the span is recorded."""
    parent = current_span.get()
    if parent is None:
        return NOT_TRACED
    child = parent.invocation.open_span(parent, name, kind, attributes() if callable(attributes) else attributes)
    return NOT_TRACED if child is None else _SpanScope(child)


Attributes = Callable[[Any, str, tuple[Any, ...], dict[str, Any]], dict[str, Any]]
C = TypeVar("C", bound=type)


def traced(kind: str, spans: dict[str, str], attributes: Attributes | None = None) -> Callable[[C], C]:
    """Class decorator for a binding: each method named in ``spans`` runs in a span of that name (Cloudflare's
    span names: ``{"get": "kv_get", ...}``) of ``kind`` when a trace is active. ``attributes(self, method,
    args, kwargs)`` gives the span's attributes (``cloudflare.binding.name``, ``db.query.text``...)."""

    def decorate(cls: C) -> C:
        for method_name, span_name in spans.items():
            method = cls.__dict__.get(method_name)
            if method is None:
                raise AttributeError(f"{cls.__name__} has no method {method_name!r} to trace")
            wrapped = _traced_method(method, method_name, span_name, kind, attributes)
            for name, value in list(cls.__dict__.items()):  # the method and its aliases (send_batch = sendBatch)
                if value is method:
                    setattr(cls, name, wrapped)
        return cls

    return decorate


def _traced_method(method: Callable[..., Any], method_name: str, span_name: str, kind: str,
                   attributes: Attributes | None) -> Callable[..., Any]:
    def open_span(self: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Span | None:
        parent = current_span.get()
        if parent is None:
            return None
        attrs = attributes(self, method_name, args, kwargs) if attributes is not None else None
        return parent.invocation.open_span(parent, span_name, kind, attrs)

    if inspect.iscoroutinefunction(method):
        @functools.wraps(method)
        async def traced_coroutine(self: Any, *args: Any, **kwargs: Any) -> Any:
            if current_span.get() is None:  # the common case when tracing is off: one read, no more
                return await method(self, *args, **kwargs)
            child = open_span(self, args, kwargs)
            if child is None:
                return await method(self, *args, **kwargs)
            token = current_span.set(child)
            try:
                result = await method(self, *args, **kwargs)
            except BaseException as exc:
                current_span.reset(token)
                child.end(exc)
                raise
            current_span.reset(token)
            child.end()
            return result

        return traced_coroutine

    @functools.wraps(method)
    def traced_function(self: Any, *args: Any, **kwargs: Any) -> Any:
        # A synchronous method (Durable Object storage, SQL): the span is the call; what it returns (a settled
        # awaitable, a cursor) is handed back untouched.
        if current_span.get() is None:
            return method(self, *args, **kwargs)
        child = open_span(self, args, kwargs)
        if child is None:
            return method(self, *args, **kwargs)
        try:
            result = method(self, *args, **kwargs)
        except BaseException as exc:
            child.end(exc)
            raise
        child.end()
        return result

    return traced_function


# -- logs -------------------------------------------------------------------------------------------------
def log(level: str, args: list[Any], source: str = "console") -> None:
    """Record a log line of the running invocation: ``level`` as Cloudflare's tail names it (``debug``,
    ``info``, ``log``, ``warn``, ``error``), ``args`` the values logged (``console.log``'s arguments)."""
    current = current_span.get()
    if current is not None:
        current.invocation.add_log(level, args, current.span_id, source)


def record_exception(exc: BaseException) -> None:
    """Record ``exc`` as an uncaught exception of the running invocation (a handler the platform ran failed)."""
    current = current_span.get()
    if current is not None:
        current.invocation.add_exception(exc)


_print = print


def traced_print(*args: Any, sep: str | None = " ", end: str | None = "\n", file: Any = None,
                 flush: bool = False) -> None:
    """``print`` for worker code: prints, and records the line as a ``log`` (stdout) or ``error`` (stderr) of
    the running invocation, as a Python Worker's output reaches Cloudflare's logs."""
    _print(*args, sep=sep, end=end, file=file, flush=flush)
    current = current_span.get()
    if current is None:
        return
    if file is None or file is sys.stdout:
        level = "log"
    elif file is sys.stderr:
        level = "error"
    else:  # written to a file or a buffer: not output
        return
    text = (" " if sep is None else sep).join(str(a) for a in args)
    current.invocation.add_log(level, [text], current.span_id, "print")


_LEVELS = ((logging.ERROR, "error"), (logging.WARNING, "warn"), (logging.INFO, "info"))


def _record_log(record: logging.LogRecord) -> None:
    current = current_span.get()
    if current is None or record.name == "pyflare" or record.name.startswith("pyflare."):
        return
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken log call must not break the worker
        message = str(record.msg)
    if record.exc_info and record.exc_info[1] is not None:
        message += f"\n{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
    level = next((name for at, name in _LEVELS if record.levelno >= at), "debug")
    current.invocation.add_log(level, [message], current.span_id, "logging")


_capturing = False


def capture_logging() -> None:
    """Record what the worker's code logs with :mod:`logging` (at the levels its loggers let through) in the
    running invocation, once per process. The hook is the log record factory, not a handler, so logging
    behaves as before (Python's last-resort handler still prints when nothing is configured); it costs one
    context-variable read per record outside traces. pyflare's own loggers (``pyflare``, and ``pyflare.worker``
    behind ``console``, which records itself) are left out."""
    global _capturing
    if _capturing:
        return
    _capturing = True
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        _record_log(record)
        return record

    logging.setLogRecordFactory(factory)
