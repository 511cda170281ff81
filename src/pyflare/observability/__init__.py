"""Observability: every event a worker runs, kept as a trace of spans and logs, and the ways to see it.

The recording itself is the kernel's (:mod:`pyflare.kernel.tracing`: invocations, spans, logs, the
``traced`` decorator bindings use). This package is what happens to a finished trace:

- :mod:`.store`: the SQLite file in the state folder (Miniflare's ``spans`` and ``logs`` tables), bounded,
  with a read-only SQL query;
- :mod:`.recorder`: the sink of every worker's tracer: writes in batches off the request path, hands each
  finished invocation to listeners;
- :mod:`.events`: an invocation as Cloudflare's trace item (tail workers, ``pyflare tail --format json``)
  and its root span's attributes;
- :mod:`.traces`: reading back: ``mf.traces``, ``mf.last_trace()``, :class:`~.traces.Trace`;
- :mod:`.live`, :mod:`.tail`, :mod:`.endpoint`: ``pyflare tail``: subscriptions, wrangler's filters and
  printing, and the ``/cdn-cgi/local/observability`` endpoints.

:class:`Observability` puts them together for one :class:`~pyflare.Pyflare` (the composition root builds it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyflare.kernel.stash import StashKey
from pyflare.kernel.tracing import Tracer, capture_logging
from pyflare.observability.live import LiveTail
from pyflare.observability.recorder import TraceRecorder
from pyflare.observability.store import MAX_TRACES, TraceStore
from pyflare.observability.traces import LogRecord, SpanRecord, Trace, Traces

if TYPE_CHECKING:
    from pyflare.observability.endpoint import ObservabilityEndpoint
    from pyflare.storage import Storage

__all__ = ["MAX_TRACES", "OBSERVABILITY", "LogRecord", "Observability", "SpanRecord", "Trace", "Traces"]


class Observability:
    """The traces of one pyflare. ``keep=False`` (traces turned off for every worker) stores nothing and streams
    nothing to ``pyflare tail``: only the tail consumers some workers declare still get their traces."""

    def __init__(self, storage: Storage, clock: Any, *, keep: bool = True,
                 format_exception: Callable[[BaseException], str] | None = None) -> None:
        self.clock = clock
        self.keep = keep
        self.format_exception = format_exception
        self.store = TraceStore(storage)
        self.recorder = TraceRecorder(self.store if keep else None)
        self.live = LiveTail(self.recorder.listeners if keep else None)
        self.traces = Traces(self.recorder, self.store)
        capture_logging()

    def tracer(self, worker: str, *, keep: bool = True) -> Tracer:
        """The tracer of the worker named ``worker`` (put in its runtime's stash under ``TRACER``); with
        ``keep=False`` its traces only reach listeners (its tail consumers), never the store or a tail."""
        if keep:
            return Tracer(worker, self.clock, self.recorder.record, late=self.recorder.late,
                          format_exception=self.format_exception)
        return Tracer(worker, self.clock, self.recorder.notify, format_exception=self.format_exception)

    def endpoint(self, workers: Callable[[], list[str]]) -> ObservabilityEndpoint:
        from pyflare.observability.endpoint import ObservabilityEndpoint

        return ObservabilityEndpoint(self.traces, self.live, workers)

    def close(self) -> None:
        """End live tails and write what is waiting (storage closes after this)."""
        self.live.close()
        self.recorder.close()


# Where the plugins of every worker find the pyflare's Observability (tail consumers listen to it).
OBSERVABILITY = StashKey[Observability]("observability")
