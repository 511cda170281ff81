"""Reading traces back: ``mf.traces`` (:class:`Traces`), the :class:`Trace` tests assert on, and the
filtered listing the explorer and its API use.

    trace = await mf.last_trace()
    assert trace.status == 200 and trace.touched("KV") and trace.logged("cache miss")
    slow = await mf.traces.list(worker="users", trigger="fetch", outcome="error", search="timeout")
    rows = await mf.traces.query("SELECT name, duration_ms FROM spans WHERE kind = ?", ["d1"])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyflare.observability.recorder import TraceRecorder
from pyflare.observability.store import QueryError, TraceStore

TRACES_OFF = "traces are turned off (Pyflare(traces=False), --no-traces or [pyflare] traces = false)"

SPAN_COLUMNS = ("trace_id, span_id, parent_id, service, name, kind, start_ms, duration_ms, outcome, error, "
                "attributes")
LOG_COLUMNS = "trace_id, span_id, seq, ts_ms, level, message, operation, source"

# Words :meth:`Trace.touched` accepts for each kind of span, besides the kind itself and the binding's name.
KIND_WORDS = {
    "kv": ("kv", "workers kv", "kv_namespace"),
    "d1": ("d1", "database"),
    "r2": ("r2", "bucket"),
    "queue": ("queue", "queues"),
    "do": ("do", "durable object", "durable_object", "durable objects", "durable_object_namespace"),
    "do_storage": ("do", "durable object", "durable_object", "durable objects", "durable object storage", "storage"),
    "cache": ("cache", "caches"),
    "fetch": ("fetch", "outbound", "subrequest"),
    "service": ("service", "services", "service binding"),
    "workflow": ("workflow", "workflows"),
    "ratelimit": ("ratelimit", "rate limit", "ratelimits"),
    "vectorize": ("vectorize", "vector index"),
}


@dataclass
class SpanRecord:
    """One span of a stored trace (a row of ``spans``; ``attributes`` parsed)."""

    trace_id: str
    span_id: str
    parent_id: str | None
    worker: str | None
    name: str
    kind: str
    start_ms: float
    duration_ms: float | None
    outcome: str | None
    error: str | None
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def is_invocation(self) -> bool:
        """The root span of a worker's event (the trace's top one, or a sub-invocation's)."""
        return "cloudflare.handler_type" in self.attributes

    @classmethod
    def of(cls, row: dict[str, Any]) -> SpanRecord:
        return cls(row["trace_id"], row["span_id"], row["parent_id"], row["service"], row["name"], row["kind"],
                   row["start_ms"], row["duration_ms"], row["outcome"], row["error"],
                   json.loads(row["attributes"]) if row["attributes"] else {})


@dataclass
class LogRecord:
    """One log line of a stored trace (a row of ``logs``)."""

    trace_id: str
    span_id: str | None
    seq: int
    ts_ms: float
    level: str
    message: str
    operation: str | None
    source: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> LogRecord:
        return cls(**{k: row[k] for k in ("trace_id", "span_id", "seq", "ts_ms", "level", "message", "operation",
                                           "source")})


@dataclass
class Trace:
    """One stored trace: its spans (the top invocation first, then by start) and its logs (in order)."""

    trace_id: str
    spans: list[SpanRecord]
    logs: list[LogRecord]

    @property
    def root(self) -> SpanRecord:
        return next(s for s in self.spans if s.parent_id is None)

    @property
    def worker(self) -> str | None:
        return self.root.worker

    @property
    def trigger(self) -> str:
        """``fetch``, ``scheduled``, ``queue``, ``alarm``, ``jsrpc``, ``websocket``, ``workflow``, ``email``..."""
        return str(self.root.attributes.get("cloudflare.handler_type"))

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def outcome(self) -> str | None:
        return self.root.outcome

    @property
    def status(self) -> int | None:
        """The HTTP status of a fetch event's response."""
        return self.root.attributes.get("http.response.status_code")

    @property
    def duration_ms(self) -> float | None:
        return self.root.duration_ms

    @property
    def invocations(self) -> list[SpanRecord]:
        """The root span of every worker's event in the trace (the top one, then sub-invocations)."""
        return [s for s in self.spans if s.is_invocation]

    @property
    def exceptions(self) -> list[LogRecord]:
        return [entry for entry in self.logs if entry.source == "exception"]

    @property
    def messages(self) -> list[str]:
        """The text of every log line (uncaught exceptions included), in order."""
        return [entry.message for entry in self.logs]

    def logged(self, text: str, *, level: str | None = None) -> bool:
        """Did the trace log a line containing ``text`` (at ``level``, if given)?"""
        return any(text in entry.message and (level is None or entry.level == level) for entry in self.logs)

    def spans_of(self, what: str) -> list[SpanRecord]:
        """The spans (not invocations) that touched ``what``: a kind (``"KV"``, ``"D1"``, ``"R2"``, ``"queue"``,
        ``"Durable Object"``, ``"cache"``, ``"fetch"``, ``"service"``...), a binding's name (``"USERS"``) or a
        span name (``"kv_get"``); case does not matter."""
        wanted = what.lower()
        found = []
        for span in self.spans:
            if span.is_invocation:
                continue
            names = {span.kind, span.name.lower(), *KIND_WORDS.get(span.kind, ())}
            binding = span.attributes.get("cloudflare.binding.name")
            if binding:
                names.add(str(binding).lower())
            if wanted in names:
                found.append(span)
        return found

    def touched(self, what: str) -> bool:
        """Did anything in the trace use ``what`` (see :meth:`spans_of`)?"""
        return bool(self.spans_of(what))

    def __repr__(self) -> str:
        status = f" {self.status}" if self.status is not None else ""
        return (f"<Trace {self.trace_id} {self.worker} {self.name}{status} {self.outcome} "
                f"({len(self.spans)} spans, {len(self.logs)} logs)>")


class Traces:
    """The traces of a pyflare (``mf.traces``); every read first writes what is waiting."""

    def __init__(self, recorder: TraceRecorder, store: TraceStore) -> None:
        self.recorder = recorder
        self.store = store

    @property
    def kept(self) -> bool:
        """False when traces are turned off: nothing is stored, every listing is empty."""
        return self.recorder.store is not None

    def _store(self) -> TraceStore:
        if not self.kept:
            raise QueryError(TRACES_OFF)
        self.recorder.flush()
        return self.store

    async def last(self, *, worker: str | None = None, trigger: str | None = None) -> Trace | None:
        """The newest trace (of ``worker``, with a top event of ``trigger``), or None."""
        found = await self.list(worker=worker, trigger=trigger, limit=1)
        return found[0] if found else None

    async def get(self, trace_id: str) -> Trace:
        """The trace with this id; LookupError if there is none (any more)."""
        if not self.kept:
            raise LookupError(TRACES_OFF)
        store = self._store()
        spans = [SpanRecord.of(r) for r in store.rows(
            f"SELECT {SPAN_COLUMNS} FROM spans WHERE trace_id = ? ORDER BY parent_id IS NOT NULL, start_ms", (trace_id,))]
        if not spans or all(s.parent_id is not None for s in spans):
            raise LookupError(f"no trace {trace_id!r} (the store keeps the newest {store.limit:,})")
        logs = [LogRecord.of(r) for r in store.rows(
            f"SELECT {LOG_COLUMNS} FROM logs WHERE trace_id = ? ORDER BY ts_ms, seq", (trace_id,))]
        return Trace(trace_id, spans, logs)

    async def list(self, *, worker: str | None = None, trigger: str | None = None, outcome: str | None = None,
                   status: int | str | None = None, search: str | None = None, since: float | None = None,
                   until: float | None = None, limit: int = 50) -> list[Trace]:
        """The newest traces first, filtered (see :meth:`summaries`)."""
        rows = self.summaries(worker=worker, trigger=trigger, outcome=outcome, status=status, search=search,
                              since=since, until=until, limit=limit)
        return [await self.get(row["trace_id"]) for row in rows]

    def summaries(self, *, worker: str | None = None, trigger: str | None = None, outcome: str | None = None,
                  status: int | str | None = None, search: str | None = None, since: float | None = None,
                  until: float | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """One row per trace, newest first: its top span with its worker, name, trigger, outcome, status, start,
        duration and counts of spans, logs and errors. Filters: ``worker`` (any invocation in the trace),
        ``trigger`` (``fetch``, ``scheduled``...), ``outcome`` (``ok``, ``error`` (anything else), or an exact
        one: ``exception``, ``canceled``), ``status`` (``404``, or a class: ``"5xx"``), ``search`` (text in a
        log line, a span's name, error or the URL), ``since``/``until`` (ms since the epoch)."""
        if not self.kept:
            return []
        where = ["s.parent_id IS NULL"]
        params: list[Any] = []
        if worker:
            where.append("s.trace_id IN (SELECT trace_id FROM spans WHERE service = ?)")
            params.append(worker)
        if trigger:
            where.append("json_extract(s.attributes, '$.\"cloudflare.handler_type\"') = ?")
            params.append(trigger)
        if outcome == "error":
            where.append("s.outcome <> 'ok'")
        elif outcome:
            where.append("s.outcome = ?")
            params.append(outcome)
        if status not in (None, ""):
            text = str(status).lower()
            code = "json_extract(s.attributes, '$.\"http.response.status_code\"')"
            if len(text) == 3 and text.endswith("xx") and text[0].isdigit():
                where.append(f"{code} / 100 = ?")
                params.append(int(text[0]))
            elif text.isdigit():
                where.append(f"{code} = ?")
                params.append(int(text))
            else:
                raise ValueError(f"status must be a code (404) or a class (5xx), not {status!r}")
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append("(s.trace_id IN (SELECT trace_id FROM logs WHERE message LIKE ? ESCAPE '\\') OR "
                         "s.trace_id IN (SELECT trace_id FROM spans WHERE name LIKE ? ESCAPE '\\' OR "
                         "error LIKE ? ESCAPE '\\' OR json_extract(attributes, '$.\"url.full\"') LIKE ? ESCAPE '\\'))")
            params += [pattern] * 4
        if since is not None:
            where.append("s.start_ms >= ?")
            params.append(since)
        if until is not None:
            where.append("s.start_ms <= ?")
            params.append(until)
        if not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise ValueError("limit must be an integer from 1 to 1000")
        params.append(limit)
        return self._store().rows(
            "SELECT s.trace_id, s.service AS worker, s.name, s.kind, s.start_ms, s.duration_ms, s.outcome, s.error, "
            "json_extract(s.attributes, '$.\"cloudflare.handler_type\"') AS trigger, "
            "json_extract(s.attributes, '$.\"http.response.status_code\"') AS status, "
            "(SELECT COUNT(*) FROM spans c WHERE c.trace_id = s.trace_id) AS span_count, "
            "(SELECT COUNT(*) FROM logs l WHERE l.trace_id = s.trace_id) AS log_count, "
            "(SELECT COUNT(*) FROM spans e WHERE e.trace_id = s.trace_id AND e.outcome <> 'ok') AS error_count, "
            "(SELECT group_concat(DISTINCT w.service) FROM spans w WHERE w.trace_id = s.trace_id) AS workers "
            f"FROM spans s WHERE {' AND '.join(where)} ORDER BY s.start_ms DESC LIMIT ?", params)

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run one read-only SELECT/WITH over the ``spans`` and ``logs`` tables; rows as dicts."""
        columns, rows = self.query_raw(sql, params)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def query_raw(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[list[Any]]]:
        """:meth:`query` as (column names, rows): what the endpoints answer (QueryError if refused)."""
        return self._store().query(sql, params)

    async def clear(self) -> None:
        """Delete every stored trace."""
        if self.kept:
            self._store().clear()
