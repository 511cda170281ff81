"""pyflare's trace endpoints at ``/cdn-cgi/local/observability`` (local Host/Origin only, like every path under
``/cdn-cgi/``): what ``pyflare tail`` attaches to, and the store's read API.

- ``GET /`` ``{"workers": [...], "limit": N, "tails": N}``: the workers whose traces are recorded here, the
  store's cap and how many tails are attached;
- ``POST /tail`` ``{"workers": [names] | null, "filters": [wrangler's API filters]}``: a stream of JSON lines,
  first ``{"connected": [names]}``, then one trace item per finished invocation that passes the filters
  (wrangler tail's ``TailEventMessage``), until the client leaves or the pyflare stops;
- ``POST /query`` ``{"sql", "params"}`` ``{"columns", "rows"}``: one read-only SELECT/WITH over ``spans``
  and ``logs`` (Miniflare's ``/query``); a refused or failing query answers 400 ``{"error"}``;
- ``POST /clear``: delete every stored trace;
- ``GET /traces?worker=&trigger=&outcome=&status=&search=&since=&until=&limit=``: trace summaries, newest
  first; ``GET /traces/<id>``: one trace's spans and logs.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, Router

from pyflare.observability.live import LiveTail
from pyflare.observability.store import QueryError
from pyflare.observability.tail import FilterError, check_filters
from pyflare.observability.traces import Traces

PATH = "/cdn-cgi/local/observability"
KEEPALIVE = 15.0  # seconds between blank lines on an idle tail stream, so a vanished client is noticed


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise FilterError("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise FilterError("the request body must be a JSON object")
    return body


def summary_filters(params: Any) -> dict[str, Any]:
    """The filters of a trace listing from query parameters (``worker``, ``trigger``, ``outcome``, ``status``,
    ``search``, ``since``, ``until``, ``limit``)."""
    found: dict[str, Any] = {}
    for name in ("worker", "trigger", "outcome", "status", "search"):
        if params.get(name):
            found[name] = params[name]
    for name in ("since", "until"):
        if params.get(name):
            try:
                found[name] = float(params[name])
            except ValueError:
                raise ValueError(f"{name} must be milliseconds since the epoch") from None
    if params.get("limit"):
        if not str(params["limit"]).isdigit():
            raise ValueError("limit must be an integer from 1 to 1000")
        found["limit"] = int(params["limit"])
    return found


def trace_json(trace: Any) -> dict[str, Any]:
    return {"trace_id": trace.trace_id, "spans": [asdict(s) for s in trace.spans],
            "logs": [asdict(entry) for entry in trace.logs]}


class ObservabilityEndpoint:
    """The ASGI app; ``workers()`` names the workers of the pyflare it serves."""

    def __init__(self, traces: Traces, live: LiveTail, workers: Callable[[], list[str]]) -> None:
        self.traces = traces
        self.live = live
        self.workers = workers
        self.router = Router(routes=[
            Route(PATH, self.index, methods=["GET"]),
            Route(PATH + "/", self.index, methods=["GET"]),
            Route(PATH + "/tail", self.tail, methods=["POST"]),
            Route(PATH + "/query", self.query, methods=["POST"]),
            Route(PATH + "/clear", self.clear, methods=["POST"]),
            Route(PATH + "/traces", self.list_traces, methods=["GET"]),
            Route(PATH + "/traces/{trace_id}", self.get_trace, methods=["GET"]),
        ])

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.router(scope, receive, send)

    async def index(self, request: Request) -> Response:
        return JSONResponse({"workers": self.workers(), "limit": self.traces.store.limit,
                             "tails": len(self.live.subscriptions)})

    async def tail(self, request: Request) -> Response:
        try:
            body = await _json_body(request)
            filters = check_filters(body.get("filters", []))
            wanted = body.get("workers")
            if wanted is not None and (not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted)):
                raise FilterError("workers must be a list of worker names, or null for all")
        except FilterError as exc:
            return _error(400, str(exc))
        known = self.workers()
        missing = [w for w in wanted or () if w not in known]
        if missing:
            return _error(404, f"no worker named {', '.join(map(repr, missing))} runs here (workers: "
                               f"{', '.join(known)})")
        subscription = self.live.subscribe(wanted, filters)

        async def lines() -> AsyncIterator[bytes]:
            import asyncio

            try:
                yield (json.dumps({"connected": wanted or known}) + "\n").encode()
                while True:
                    try:
                        item = await asyncio.wait_for(subscription.next(), KEEPALIVE)
                    except asyncio.TimeoutError:
                        yield b"\n"
                        continue
                    if item is None:
                        return
                    if subscription.missed:
                        yield (json.dumps(_overload(subscription.missed)) + "\n").encode()
                        subscription.missed = 0
                    yield (json.dumps(item, default=str) + "\n").encode()
            finally:
                subscription.close()

        return StreamingResponse(lines(), media_type="application/x-ndjson",
                                 headers={"cache-control": "no-store", "x-content-type-options": "nosniff"})

    async def query(self, request: Request) -> Response:
        try:
            body = await _json_body(request)
            columns, rows = self.traces.query_raw(body.get("sql"), body.get("params") or [])
        except (FilterError, QueryError) as exc:
            return _error(400, str(exc))
        return JSONResponse({"columns": columns, "rows": rows})

    async def clear(self, request: Request) -> Response:
        await self.traces.clear()
        return JSONResponse({"success": True})

    async def list_traces(self, request: Request) -> Response:
        try:
            return JSONResponse({"traces": self.traces.summaries(**summary_filters(request.query_params))})
        except ValueError as exc:
            return _error(400, str(exc))

    async def get_trace(self, request: Request) -> Response:
        try:
            trace = await self.traces.get(request.path_params["trace_id"])
        except LookupError as exc:
            return _error(404, str(exc))
        return JSONResponse(trace_json(trace))


def _overload(missed: int) -> dict[str, Any]:
    """wrangler tail's TailInfo item: the client read too slowly and missed items."""
    return {"outcome": "ok", "logs": [], "exceptions": [], "eventTimestamp": None,
            "event": {"type": "overload", "message": f"Tail is sending too many events: {missed} were dropped"}}
