"""The recorder: where every worker's :class:`~pyflare.kernel.tracing.Tracer` hands its finished invocations.

It does two things with each, neither on the request's own time:
- hands it to the *listeners* at once (``pyflare tail`` streams, tail consumers): each gets a group, the
  finished invocation first, then the sub-invocations that finished inside it;
- queues it for the :class:`~pyflare.observability.store.TraceStore`, and writes what is queued in one
  transaction once the server is idle (no event finished for :data:`FLUSH_IDLE` seconds), or at the latest
  :data:`FLUSH_MAX_DELAY` seconds after the first queued one. A request pays for building a few Python objects,
  not for SQLite and JSON: under a steady load the writing waits for a pause. Every read of the traces writes
  what is queued first. At most :data:`MAX_WAITING` invocations wait (the store keeps no more than that
  anyway); a write that meets another process's lock is tried again later.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from pyflare.kernel.tracing import Invocation, Span
from pyflare.observability.events import log_text, root_attributes
from pyflare.observability.store import MAX_TRACES, LogRow, SpanRow, TraceStore
from pyflare.storage.sqlite import is_busy

log = logging.getLogger("pyflare")

# Real time (not pyflare's clock: this is about the server being idle, not about the worker's time).
FLUSH_IDLE = 0.2  # seconds with no event finishing before the queue is written
FLUSH_MAX_DELAY = 10.0  # seconds a queued trace waits at most, however busy the server
WRITE_CHUNK = 500  # invocations the idle writer writes in one go (one transaction)
MAX_WAITING = MAX_TRACES  # invocations queued at most: older ones would be trimmed from the store anyway

Listener = Callable[[list[Invocation]], None]


# One encoder for every row's attributes (compact; what is not JSON is written as its str()).
_to_json = json.JSONEncoder(default=str, separators=(",", ":"), check_circular=False, ensure_ascii=False).encode


class TraceRecorder:
    """Queues finished invocations for the store (if any) and hands them to listeners."""

    def __init__(self, store: TraceStore | None) -> None:
        self.store = store
        self.listeners: list[Listener] = []
        self._waiting: deque[Invocation] = deque()
        self._first = self._last = 0.0  # when the first queued (and the last) invocation arrived
        self._late_spans: list[SpanRow] = []
        self._late_logs: list[LogRow] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._dropped = 0

    # -- what tracers call ----------------------------------------------------------------------------
    def record(self, inv: Invocation) -> None:
        """A finished invocation (see :class:`~pyflare.kernel.tracing.Tracer`): to the listeners and the store."""
        self.notify(inv)
        if self.store is None:
            return
        waiting = self._waiting
        if len(waiting) >= MAX_WAITING:
            waiting.popleft()
            self._dropped += 1
        waiting.append(inv)
        self._last = time.monotonic()
        if self._timer is None:
            self._schedule()

    def notify(self, inv: Invocation) -> None:
        """A finished invocation, to the listeners only (the sink of a worker whose traces are not kept)."""
        if self.listeners:
            subs = inv.subs
            group = [inv, *[sub for sub in subs if sub.closed]] if subs and inv.top is inv else [inv]
            for listener in self.listeners:
                try:
                    listener(group)
                except Exception as exc:  # noqa: BLE001 - a listener must never fail the request
                    log.error("trace listener failed: %s: %s", type(exc).__name__, exc, exc_info=exc)

    def late(self, inv: Invocation, *, span: Span | None = None, log: Any = None, exception: Any = None) -> None:
        """Something an invocation recorded after it was handed over (work of a ``waitUntil`` that outlived
        it): written on its own, into the same trace."""
        if self.store is None:
            return
        if span is not None:
            self._late_spans.append(self._span_row(inv, span))
        if log is not None:
            self._late_logs.append(self._log_row(inv, log, None))
        if exception is not None:
            self._late_logs.append(self._exception_row(inv, exception))
        self._last = time.monotonic()
        if self._timer is None:
            self._schedule()

    # -- writing ----------------------------------------------------------------------------------------
    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): write at once
            self.flush()
            return
        self._first = time.monotonic()
        self._timer = loop.call_later(FLUSH_IDLE, self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        idle = now - self._last
        if idle >= FLUSH_IDLE or now - self._first >= FLUSH_MAX_DELAY:
            self._timer = None
            self.flush(WRITE_CHUNK)
            if self._waiting and self._timer is None:  # more to write: the next chunk after pending requests
                self._first = now
                self._timer = asyncio.get_running_loop().call_soon(self._tick)  # type: ignore[assignment]
        else:  # still busy: look again once it could have been idle long enough
            self._timer = asyncio.get_running_loop().call_later(FLUSH_IDLE - idle, self._tick)

    def flush(self, limit: int | None = None) -> None:
        """Write everything waiting now (reads of the traces and ``close()`` call it; the timer does otherwise,
        ``limit`` invocations at a time, so a request arriving meanwhile waits for one chunk at most)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        store = self.store
        if store is None or not (self._waiting or self._late_spans or self._late_logs):
            return
        if limit is None or len(self._waiting) <= limit:
            waiting, self._waiting = self._waiting, deque()
        else:
            waiting = deque(self._waiting.popleft() for _ in range(limit))
        spans, logs = self._late_spans, self._late_logs
        self._late_spans, self._late_logs = [], []
        new_traces = 0
        for inv in waiting:
            group = [inv, *(sub for sub in inv.subs if sub.closed)] if inv.top is inv else [inv]
            new_traces += inv.top is inv
            for member in group:
                self._rows(member, spans, logs)
                # Its rows hold what it recorded now. Dropping its spans (each points back at it) and its
                # sub-invocations (each points at its top) breaks the reference cycles, so it is freed at once
                # instead of waiting for the garbage collector's passes (which then ran on every request).
                member.spans = member.subs = ()
        try:
            store.write(spans, logs, new_traces)
        except Exception as exc:
            if not is_busy(exc):
                log.error("writing traces failed: %s: %s", type(exc).__name__, exc)
                return
            # Another process holds the file: keep the rows and try again on the next flush.
            self._late_spans = spans + self._late_spans
            self._late_logs = logs + self._late_logs
            if self._timer is None:
                self._schedule()
            return
        if self._dropped:
            log.warning("%d trace(s) were dropped before they could be written (at most %d wait; the store keeps "
                        "the newest %d)", self._dropped, MAX_WAITING, store.limit)
            self._dropped = 0

    def close(self) -> None:
        self.flush()

    # -- rows -------------------------------------------------------------------------------------------
    def _rows(self, inv: Invocation, spans: list[SpanRow], logs: list[LogRow]) -> None:
        trace_id, worker = inv.trace_id, inv.tracer.worker
        spans.append((trace_id, inv.span_id, inv.parent_id, worker, inv.name, inv.kind, inv.clock_ms,
                      inv.duration_ms, inv.outcome, inv.error, _to_json(root_attributes(inv))))
        names = {inv.span_id: inv.name}
        for span in inv.spans:
            names[span.span_id] = span.name
            spans.append(self._span_row(inv, span))
        for entry in inv.logs:
            logs.append(self._log_row(inv, entry, names.get(entry[3])))
        for entry in inv.exceptions:
            logs.append(self._exception_row(inv, entry))

    @staticmethod
    def _span_row(inv: Invocation, span: Span) -> SpanRow:
        attributes = _to_json(span.attributes) if span.attributes else None
        return (inv.trace_id, span.span_id, span.parent_id, inv.tracer.worker, span.name, span.kind,
                span.start_ms, span.duration_ms, span.outcome, span.error, attributes)

    def _log_row(self, inv: Invocation, entry: Any, operation: str | None) -> LogRow:
        ms, level, args, span_id, source = entry
        return (inv.trace_id, span_id, next(self._seq), ms, level, log_text(args), operation, source)

    def _exception_row(self, inv: Invocation, entry: Any) -> LogRow:
        ms, name, message, stack = entry
        text = stack.rstrip("\n") if stack else f"{name}: {message}"
        return (inv.trace_id, inv.span_id, next(self._seq), ms, "error", text, inv.name, "exception")
