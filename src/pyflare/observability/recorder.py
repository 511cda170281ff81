"""The recorder: where every worker's :class:`~pyflare.kernel.tracing.Tracer` hands its finished invocations.

It does two things with each, neither on the request's own time:
- hands it to the *listeners* at once (``pyflare tail`` streams, tail consumers): each gets a group, the
  finished invocation first, then the sub-invocations that finished inside it;
- queues it for the :class:`~pyflare.observability.store.TraceStore` and writes what is queued in one
  transaction :data:`FLUSH_DELAY` seconds later (sooner when :data:`FLUSH_BATCH` invocations wait), so a
  request pays for building a few Python objects, not for SQLite. A write that meets another process's lock
  is tried again on the next flush; nothing is written while nobody serves requests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable
from typing import Any

from pyflare.kernel.tracing import Invocation, Span
from pyflare.observability.events import log_text, root_attributes
from pyflare.observability.store import LogRow, SpanRow, TraceStore
from pyflare.storage.sqlite import is_busy

log = logging.getLogger("pyflare")

FLUSH_DELAY = 0.05  # seconds between a trace finishing and its write
FLUSH_BATCH = 500  # invocations waiting that make the write happen at once
MAX_WAITING = 50_000  # invocations kept while the file stays locked; older ones are dropped past this

Listener = Callable[[list[Invocation]], None]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


class TraceRecorder:
    """Queues finished invocations for the store (if any) and hands them to listeners."""

    def __init__(self, store: TraceStore | None) -> None:
        self.store = store
        self.listeners: list[Listener] = []
        self._waiting: list[Invocation] = []
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
        self._waiting.append(inv)
        if len(self._waiting) > MAX_WAITING:
            del self._waiting[0]
            self._dropped += 1
        self._schedule(len(self._waiting) >= FLUSH_BATCH)

    def notify(self, inv: Invocation) -> None:
        """A finished invocation, to the listeners only (the sink of a worker whose traces are not kept)."""
        if self.listeners:
            group = [inv, *(sub for sub in inv.subs if sub.closed)] if inv.top is inv else [inv]
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
        self._schedule(False)

    # -- writing ----------------------------------------------------------------------------------------
    def _schedule(self, now: bool) -> None:
        if self._timer is not None and not now:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): write at once
            self.flush()
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_soon(self.flush) if now else loop.call_later(FLUSH_DELAY, self.flush)

    def flush(self) -> None:
        """Write everything waiting now (tests and ``close()`` call it; the timer does otherwise)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        store = self.store
        if store is None or not (self._waiting or self._late_spans or self._late_logs):
            return
        waiting, self._waiting = self._waiting, []
        spans, logs = self._late_spans, self._late_logs
        self._late_spans, self._late_logs = [], []
        new_traces = 0
        for inv in waiting:
            group = [inv, *(sub for sub in inv.subs if sub.closed)] if inv.top is inv else [inv]
            new_traces += inv.top is inv
            for member in group:
                self._rows(member, spans, logs)
        try:
            store.write(spans, logs, new_traces)
        except Exception as exc:
            if not is_busy(exc):
                log.error("writing traces failed: %s: %s", type(exc).__name__, exc)
                return
            # Another process holds the file: keep the rows and try again on the next flush.
            self._late_spans = spans + self._late_spans
            self._late_logs = logs + self._late_logs
            self._schedule(False)
            return
        if self._dropped:
            log.warning("%d trace(s) were dropped while the trace store was locked by another process", self._dropped)
            self._dropped = 0

    def close(self) -> None:
        self.flush()

    # -- rows -------------------------------------------------------------------------------------------
    def _rows(self, inv: Invocation, spans: list[SpanRow], logs: list[LogRow]) -> None:
        trace_id, worker = inv.trace_id, inv.tracer.worker
        spans.append((trace_id, inv.span_id, inv.parent_id, worker, inv.name, inv.kind, _ms(inv.clock_ms),
                      _ms(inv.duration_ms), inv.outcome, inv.error, json.dumps(root_attributes(inv), default=str)))
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
        attributes = json.dumps(span.attributes, default=str) if span.attributes else None
        return (inv.trace_id, span.span_id, span.parent_id, inv.tracer.worker, span.name, span.kind,
                _ms(span.start_ms), _ms(span.duration_ms), span.outcome, span.error, attributes)

    def _log_row(self, inv: Invocation, entry: Any, operation: str | None) -> LogRow:
        ms, level, args, span_id, source = entry
        return (inv.trace_id, span_id, next(self._seq), _ms(ms), level, log_text(args), operation, source)

    def _exception_row(self, inv: Invocation, entry: Any) -> LogRow:
        ms, name, message, stack = entry
        text = stack.rstrip("\n") if stack else f"{name}: {message}"
        return (inv.trace_id, inv.span_id, next(self._seq), _ms(ms), "error", text, inv.name, "exception")
