"""What a finished invocation looks like from outside: Cloudflare's trace item (what a tail worker's
``tail(events)`` receives, and what ``wrangler tail --format json`` prints), and the attributes of its root
span in the trace store (Cloudflare's Workers traces names: ``faas.trigger``, ``http.request.method``,
``cloudflare.outcome``...).

The ``event`` of a trace item, by trigger (workerd's ``TraceItem`` event infos, wrangler's ``TailEventMessage``):
``fetch`` ``{"request": {"url", "method", "headers", "cf"}, "response": {"status"}}``; ``scheduled`` ``{"cron",
"scheduledTime"}`` (ms); ``alarm`` ``{"scheduledTime"}`` (ISO date); ``queue`` ``{"queue", "batchSize"}``;
``jsrpc`` ``{"rpcMethod"}``; ``websocket`` ``{"getWebSocketEvent": {"webSocketEventType", ...}}``; ``email``
``{"mailFrom", "rcptTo", "rawSize"}``; ``tail`` ``{"consumedEvents": [{"scriptName"}]}``; and pyflare's own
``workflow`` ``{"workflow", "instanceId", "step", "attempt"}`` (a step attempt of a Workflow instance).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from pyflare.kernel.tracing import Invocation

# Cloudflare's faas.trigger of each kind of event ("the trigger that your Worker was invoked by (e.g., http,
# cron, queue, email)", Workers traces: spans and attributes).
FAAS_TRIGGER = {"fetch": "http", "scheduled": "cron", "queue": "queue", "email": "email", "alarm": "alarm",
                "jsrpc": "jsrpc", "websocket": "websocket", "workflow": "workflow", "tail": "tail"}

# The request headers whose values a root span keeps as attributes (http.request.header.<name>).
KEPT_HEADERS = ("content-type", "content-length", "accept", "accept-encoding", "user-agent", "cf-connecting-ip")


def text_of(value: Any) -> str:
    """One logged value as a JavaScript developer reads it: objects and arrays as JSON, null, true/false."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return repr(value)
    return str(value)


def log_text(args: list[Any]) -> str:
    return " ".join(text_of(a) for a in args)


def event_of(inv: Invocation) -> dict[str, Any] | None:
    """The trace item's ``event`` (built now if the invocation was given a function for it)."""
    event = inv.event
    if callable(event):
        event = inv.event = event()
    if inv.trigger == "fetch" and isinstance(event, dict) and inv.status is not None:
        event = {**event, "response": {"status": inv.status}}
    return event


def trace_item(inv: Invocation) -> dict[str, Any]:
    """The invocation as Cloudflare's ``TraceItem`` (JSON-ready): what ``tail()`` handlers and ``pyflare tail
    --format json`` get."""
    item: dict[str, Any] = {
        "outcome": inv.outcome or "unknown",
        "scriptName": inv.tracer.worker,
        "diagnosticsChannelEvents": [],
        "exceptions": [{"name": name, "message": message, "timestamp": int(ms), **({"stack": stack} if stack else {})}
                       for ms, name, message, stack in inv.exceptions],
        "logs": [{"message": args, "level": level, "timestamp": int(ms)} for ms, level, args, _span, _source in inv.logs],
        "eventTimestamp": int(inv.clock_ms),
        "event": event_of(inv),
        "executionModel": execution_model(inv),
        "truncated": inv.truncated,
        "wallTime": int(inv.duration_ms or 0),
        "cpuTime": 0,  # not measured locally: work of many requests interleaves on one thread
    }
    if inv.entrypoint:
        item["entrypoint"] = inv.entrypoint
    return item


def execution_model(inv: Invocation) -> str:
    """workerd's ``executionModel``: ``durableObject`` for an event of a Durable Object, ``workflow`` for a
    Workflow step, else ``stateless``."""
    if inv.trigger == "workflow":
        return "workflow"
    stateful = inv.attributes is not None and inv.attributes.get("cloudflare.execution_model") == "stateful"
    return "durableObject" if stateful else "stateless"


def root_attributes(inv: Invocation) -> dict[str, Any]:
    """The attributes of an invocation's root span in the trace store."""
    attributes: dict[str, Any] = {
        "faas.trigger": FAAS_TRIGGER.get(inv.trigger, "other"),
        "cloudflare.handler_type": inv.trigger,
        "cloudflare.script_name": inv.tracer.worker,
        "cloudflare.outcome": inv.outcome,
        "cloudflare.wall_time": round(inv.duration_ms, 3) if inv.duration_ms is not None else None,
    }
    if inv.entrypoint:
        attributes["cloudflare.entrypoint"] = inv.entrypoint
    if inv.truncated:
        attributes["cloudflare.truncated"] = True
    event = event_of(inv)
    if isinstance(event, dict):
        attributes.update(_event_attributes(inv.trigger, event))
    if inv.status is not None:
        attributes["http.response.status_code"] = inv.status
    if inv.attributes:
        attributes.update(inv.attributes)
    return attributes


def _event_attributes(trigger: str, event: dict[str, Any]) -> dict[str, Any]:
    if trigger == "fetch":
        request = event.get("request") or {}
        url = request.get("url", "")
        parts = urlsplit(url)
        found: dict[str, Any] = {"http.request.method": request.get("method"), "url.full": url, "url.path": parts.path,
                                 "url.scheme": parts.scheme, "server.address": parts.hostname}
        if parts.query:
            found["url.query"] = parts.query
        headers = request.get("headers") or {}
        for name in KEPT_HEADERS:
            if name in headers:
                found["user_agent.original" if name == "user-agent" else f"http.request.header.{name}"] = headers[name]
        return found
    if trigger == "scheduled":
        return {"faas.cron": event.get("cron"), "cloudflare.scheduled_time": event.get("scheduledTime")}
    if trigger == "alarm":
        return {"cloudflare.scheduled_time": event.get("scheduledTime")}
    if trigger == "queue":
        return {"cloudflare.queue.name": event.get("queue"), "cloudflare.queue.batch_size": event.get("batchSize")}
    if trigger == "jsrpc":
        return {"cloudflare.jsrpc.method": event.get("rpcMethod")}
    if trigger == "email":
        return {"cloudflare.email.from": event.get("mailFrom"), "cloudflare.email.to": event.get("rcptTo"),
                "cloudflare.email.size": event.get("rawSize")}
    if trigger == "workflow":
        return {"cloudflare.workflow.name": event.get("workflow"), "cloudflare.workflow.instance_id":
                event.get("instanceId"), "cloudflare.workflow.step": event.get("step"),
                "cloudflare.workflow.attempt": event.get("attempt")}
    if trigger == "tail":
        return {"cloudflare.trace.count": len(event.get("consumedEvents") or ())}
    return {}
