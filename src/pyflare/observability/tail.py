"""``pyflare tail``'s filters and printing, as ``wrangler tail``'s (packages/wrangler/src/tail: filters.ts,
printing.ts).

The command line's filters become wrangler's API filters (:func:`api_filters`: ``{"sampling_rate"}``,
``{"outcome": [...]}`` (``--status error`` broadens to every failure outcome), ``{"method": [...]}``,
``{"header": {"key", "query"}}``, ``{"client_ip": [...]}``, ``{"query": text}``), which the dev server applies
to each trace item before sending it (:func:`matches`). Items print as wrangler prints them
(:func:`pretty_lines`), or as JSON, one trace item per event.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from pyflare.observability.events import log_text

# wrangler: "error" is every outcome that is a failure.
ERROR_OUTCOMES = ("exception", "exceededCpu", "exceededMemory", "unknown")
LOCAL_ADDRESSES = ("127.0.0.1", "::1", "localhost")

SAMPLING_RATE_ERROR = ("A sampling rate must be between 0 and 1 in order to have any effect.\n"
                       "For example, a sampling rate of 0.25 means 25% of events will be logged.")


class FilterError(ValueError):
    """A filter the command line (or a client of the tail endpoint) got wrong."""


def api_filters(*, status: list[str] | None = None, header: str | None = None, method: list[str] | None = None,
                search: str | None = None, sampling_rate: float | None = None,
                client_ip: list[str] | None = None) -> list[dict[str, Any]]:
    """wrangler's translateCLICommandToFilterMessage: the command line's filters as API filters."""
    filters: list[dict[str, Any]] = []
    if sampling_rate:
        if sampling_rate <= 0 or sampling_rate >= 1:
            raise FilterError(SAMPLING_RATE_ERROR)
        filters.append({"sampling_rate": sampling_rate})
    if status:
        outcomes: list[str] = []
        for word in status:
            for outcome in {"ok": ("ok",), "canceled": ("canceled",), "error": ERROR_OUTCOMES}.get(word, ()):
                if outcome not in outcomes:
                    outcomes.append(outcome)
        filters.append({"outcome": outcomes})
    if method:
        filters.append({"method": list(method)})
    if header:
        key, _, query = header.partition(":")
        filters.append({"header": {"key": key.strip(), **({"query": query.strip()} if query else {})}})
    if client_ip:
        filters.append({"client_ip": list(client_ip)})
    if search:
        filters.append({"query": search})
    return filters


def check_filters(filters: Any) -> list[dict[str, Any]]:
    """API filters a client sent, checked (each a dict with one known key)."""
    if not isinstance(filters, list) or not all(isinstance(f, dict) and len(f) == 1 for f in filters):
        raise FilterError("filters must be a list of objects, each with one of sampling_rate, outcome, method, "
                          "header, client_ip, query")
    for entry in filters:
        (key, value), = entry.items()
        if key == "sampling_rate":
            if not isinstance(value, (int, float)) or not 0 < value < 1:
                raise FilterError(SAMPLING_RATE_ERROR)
        elif key in ("outcome", "method", "client_ip"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise FilterError(f"{key} must be a list of strings")
        elif key == "header":
            if not isinstance(value, dict) or not isinstance(value.get("key"), str):
                raise FilterError('header must be {"key": name, "query": value (optional)}')
        elif key == "query":
            if not isinstance(value, str):
                raise FilterError("query must be a string")
        else:
            raise FilterError(f"unknown filter {key!r}")
    return filters


def _request(item: dict[str, Any]) -> dict[str, Any] | None:
    event = item.get("event")
    return event.get("request") if isinstance(event, dict) else None


def matches(filters: list[dict[str, Any]], item: dict[str, Any]) -> bool:
    """Does the trace item pass every filter (as Cloudflare's tail applies them)?"""
    for entry in filters:
        (key, value), = entry.items()
        request = _request(item)
        if key == "sampling_rate":
            if random.random() >= value:  # noqa: S311 - sampling, not secrecy
                return False
        elif key == "outcome":
            if item.get("outcome") not in value:
                return False
        elif key == "method":
            if request is None or str(request.get("method", "")).upper() not in {m.upper() for m in value}:
                return False
        elif key == "header":
            headers = {k.lower(): v for k, v in ((request or {}).get("headers") or {}).items()}
            found = headers.get(value["key"].lower())
            if found is None or (value.get("query") is not None and found != value["query"]):
                return False
        elif key == "client_ip":
            headers = (request or {}).get("headers") or {}
            address = headers.get("cf-connecting-ip", "")
            allowed = {LOCAL_ADDRESSES[0] if ip == "self" else ip for ip in value}
            if "self" in value:
                allowed.update(LOCAL_ADDRESSES)
            if address not in allowed:
                return False
        elif key == "query":
            texts = [log_text(entry["message"]) for entry in item.get("logs", ())]
            texts += [f"{e.get('name')}: {e.get('message')}" for e in item.get("exceptions", ())]
            if not any(value in text for text in texts):
                return False
    return True


# -- printing -------------------------------------------------------------------------------------------
OUTCOMES = {"ok": "Ok", "canceled": "Canceled", "exceededCpu": "Exceeded CPU Limit",
            "exceededMemory": "Exceeded Memory Limit", "exception": "Exception Thrown"}


def _when(ms: Any) -> str:
    """A time as JavaScript's ``toLocaleString()`` shows it in en-US (``6/1/2026, 9:05:00 AM``)."""
    try:
        moment = datetime.datetime.fromtimestamp(float(ms) / 1000)
    except (TypeError, ValueError, OverflowError, OSError):
        try:
            moment = datetime.datetime.fromisoformat(str(ms).replace("Z", "+00:00")).astimezone()
        except ValueError:
            return str(ms)
    hour = moment.hour % 12 or 12
    return f"{moment.month}/{moment.day}/{moment.year}, {hour}:{moment:%M:%S} {'AM' if moment.hour < 12 else 'PM'}"


def headline(item: dict[str, Any]) -> str:
    """The first line wrangler prints for a trace item."""
    event = item.get("event") or {}
    if "message" in event and "type" in event:  # a notice about the tail itself (wrangler's TailInfo)
        return str(event["message"])
    outcome = OUTCOMES.get(item.get("outcome", ""), "Unknown")
    when = _when(item.get("eventTimestamp"))
    if "cron" in event:
        return f'"{event["cron"]}" @ {_when(event.get("scheduledTime"))} - {outcome}'
    if "request" in event:
        request = event["request"]
        return f"{str(request.get('method', '')).upper()} {request.get('url')} - {outcome} @ {when}"
    if "mailFrom" in event:
        return f"Email from:{event['mailFrom']} to:{event.get('rcptTo')} size:{event.get('rawSize')} @ {when} - {outcome}"
    if "scheduledTime" in event:
        return f"Alarm @ {_when(event['scheduledTime'])} - {outcome}"
    if "consumedEvents" in event:
        scripts = ",".join(sorted({str(e.get("scriptName")) for e in event["consumedEvents"] if e.get("scriptName")}))
        return f"Tailing {scripts} - {outcome} @ {when}"
    if "queue" in event:
        size = event.get("batchSize", 0)
        return f"Queue {event['queue']} ({size} message{'' if size == 1 else 's'}) - {outcome} @ {when}"
    if "rpcMethod" in event:
        return f"{item.get('entrypoint') or 'default'}.{event['rpcMethod']} - {outcome} @ {when}"
    if "getWebSocketEvent" in event:  # pyflare: wrangler prints hibernatable WebSocket events as unknown
        kind = event["getWebSocketEvent"].get("webSocketEventType", "message")
        return f"WebSocket {kind} - {outcome} @ {when}"
    if "workflow" in event:  # pyflare's own: a step attempt of a Workflow instance
        return (f'Workflow {event["workflow"]} {event.get("instanceId")} step "{event.get("step")}" attempt '
                f"{event.get('attempt')} - {outcome} @ {when}")
    return f"Unknown Event - {outcome} @ {when}"


def pretty_lines(item: dict[str, Any], *, worker_prefix: bool = False) -> tuple[list[str], list[str]]:
    """What ``pyflare tail --format pretty`` prints for a trace item: (stdout lines, stderr lines)."""
    first = headline(item)
    if worker_prefix:
        first = f"[{item.get('scriptName')}] {first}"
    out = [first]
    out += [f"  ({entry.get('level')}) {log_text(entry.get('message') or [])}" for entry in item.get("logs", ())]
    err = []
    for exc in item.get("exceptions", ()):
        line = f"{exc.get('name')}: {exc.get('message')}"
        err.append(f"{line}\n{exc['stack'].rstrip()}" if exc.get("stack") else line)
    return out, err
