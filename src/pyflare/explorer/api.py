"""The explorer's JSON API, at ``/cdn-cgi/local/explorer/api``: Cloudflare's REST paths and envelopes
(``{success, errors, messages, result, result_info}``) over the same binding objects workers use, so
scripts written against Cloudflare's API mostly work here too. Local-only additions (queue messages,
redrive, activity) live beside them under the same envelope.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from pyflare.bindings.r2.objects import utc
from pyflare.explorer.errors import ApiError
from pyflare.explorer.inventory import Inventory

if TYPE_CHECKING:
    from pyflare.explorer.activity import Activity
    from pyflare.observability import Observability

# Miniflare's explorer answers these when local observability is off (resources/observability.ts).
OBSERVABILITY_NOT_ENABLED = 10130
OBSERVABILITY_QUERY_ERROR = 10131

Handler = Callable[[Request], Awaitable[Response]]


def envelope(result: Any, result_info: dict[str, Any] | None = None, status: int = 200) -> JSONResponse:
    body: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return JSONResponse(json.loads(json.dumps(body, default=_jsonable)), status_code=status)


def error_envelope(status: int, message: str, code: int = 10000) -> JSONResponse:
    return JSONResponse({"success": False, "errors": [{"code": code, "message": message}], "messages": [],
                         "result": None}, status_code=status)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def _iso_ms(ms: int | None) -> str | None:
    """Milliseconds since the epoch as Cloudflare's API writes dates (``2026-01-02T03:04:05.678Z``)."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _handled(handler: Handler) -> Handler:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            return error_envelope(exc.status, exc.message, exc.code)
        except (TypeError, ValueError, LookupError) as exc:  # the binding refused the input: say why
            return error_envelope(400, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - R2Error, D1Error, ...: Cloudflare's own text
            return error_envelope(400, str(exc))

    return run


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object")
    return data


def _int_param(request: Request, name: str, default: int, upper: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= upper:
        raise ApiError(400, f"{name} must be an integer between 1 and {upper}")
    return int(raw)


class ExplorerApi:
    """Route handlers; ``inventory`` finds bindings across the workers of one Pyflare."""

    def __init__(self, inventory: Inventory, activity: Activity, observability: Observability | None = None) -> None:
        self.inv = inventory
        self.activity = activity
        self.observability = observability

    def routes(self) -> list[Route]:
        table: list[tuple[str, Handler, list[str]]] = [
            ("/", self.index, ["GET"]),
            ("/local/workers", self.workers, ["GET"]),
            ("/local/activity", self.recent_activity, ["GET"]),
            ("/local/traces", self.traces, ["GET"]),
            ("/local/traces/{trace_id}", self.trace, ["GET"]),
            ("/local/observability/query", self.observability_query, ["POST"]),
            ("/local/observability/clear", self.observability_clear, ["POST"]),
            ("/storage/kv/namespaces", self.kv_namespaces, ["GET"]),
            ("/storage/kv/namespaces/{ns}/keys", self.kv_keys, ["GET"]),
            ("/storage/kv/namespaces/{ns}/values/{key:path}", self.kv_value, ["GET", "PUT", "DELETE"]),
            ("/storage/kv/namespaces/{ns}/metadata/{key:path}", self.kv_metadata, ["GET"]),
            ("/r2/buckets", self.r2_buckets, ["GET"]),
            ("/r2/buckets/{bucket}/objects", self.r2_objects, ["GET"]),
            ("/r2/buckets/{bucket}/objects/{key:path}", self.r2_object, ["GET", "PUT", "DELETE"]),
            ("/d1/database", self.d1_databases, ["GET"]),
            ("/d1/database/{db}", self.d1_database, ["GET"]),
            ("/d1/database/{db}/query", self.d1_query, ["POST"]),
            ("/d1/database/{db}/raw", self.d1_raw, ["POST"]),
            ("/queues", self.queues, ["GET"]),
            ("/queues/{queue}/messages", self.queue_messages, ["GET", "POST"]),
            ("/queues/{queue}/messages/{message}", self.queue_message, ["DELETE"]),
            ("/queues/{queue}/messages/{message}/redrive", self.queue_redrive, ["POST"]),
            ("/vectorize/v2/indexes", self.vectorize_indexes, ["GET"]),
        ]
        table += [
            ("/workers/durable_objects/namespaces", self.do_namespaces, ["GET"]),
            ("/workers/durable_objects/namespaces/{ns}/objects", self.do_objects, ["GET"]),
            ("/workers/durable_objects/namespaces/{ns}/objects/{id}", self.do_object, ["GET"]),
            ("/workers/durable_objects/namespaces/{ns}/query", self.do_query, ["POST"]),
            ("/local/caches", self.caches, ["GET"]),
            ("/local/caches/{name}/entries", self.cache_entries, ["GET", "DELETE"]),
            ("/workflows", self.workflows, ["GET"]),
            ("/workflows/{name}/instances", self.workflow_instances, ["GET", "POST"]),
            ("/workflows/{name}/instances/{id}", self.workflow_instance, ["GET"]),
            ("/workflows/{name}/instances/{id}/status", self.workflow_status, ["PATCH"]),
            ("/workflows/{name}/instances/{id}/events/{type}", self.workflow_event, ["POST"]),
        ]
        return [Route(path, _handled(handler), methods=methods) for path, handler, methods in table]

    # -- overview --------------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        paths = sorted({route.path for route in self.routes()})
        return envelope({"openapi": "3.0.0", "info": {"title": "pyflare local explorer API", "version": "1"},
                         "paths": {p: {} for p in paths}})

    async def workers(self, request: Request) -> Response:
        return envelope(self.inv.workers())

    async def recent_activity(self, request: Request) -> Response:
        after = request.query_params.get("after", "0")
        return envelope(self.activity.since(int(after) if after.isdigit() else 0))

    # -- traces ----------------------------------------------------------------------------------
    def _traces(self) -> Any:
        if self.observability is None or not self.observability.keep:
            raise ApiError(404, "Local observability is not enabled for this dev session.", OBSERVABILITY_NOT_ENABLED)
        return self.observability.traces

    async def traces(self, request: Request) -> Response:
        from pyflare.observability.endpoint import summary_filters

        summaries = self._traces().summaries(**summary_filters(request.query_params))
        return envelope(summaries, {"count": len(summaries)})

    async def trace(self, request: Request) -> Response:
        from pyflare.observability.endpoint import trace_json

        try:
            found = await self._traces().get(request.path_params["trace_id"])
        except LookupError as exc:
            raise ApiError(404, str(exc)) from None
        return envelope(trace_json(found))

    async def observability_query(self, request: Request) -> Response:
        """Miniflare's ``POST /local/observability/query``: read-only SQL over ``spans`` and ``logs``."""
        from pyflare.observability.store import QueryError

        traces = self._traces()
        body = await _json_body(request)
        try:
            columns, rows = traces.query_raw(body.get("sql"), body.get("params") or [])
        except QueryError as exc:
            raise ApiError(400, str(exc), OBSERVABILITY_QUERY_ERROR) from None
        return envelope({"columns": columns, "rows": rows})

    async def observability_clear(self, request: Request) -> Response:
        await self._traces().clear()
        return envelope(None)

    # -- KV --------------------------------------------------------------------------------------
    async def kv_namespaces(self, request: Request) -> Response:
        result = [{"id": ns.id, "title": ns.id, "bindings": ns.bindings} for ns in self.inv.kv_namespaces()]
        return envelope(result, {"count": len(result), "page": 1, "per_page": len(result), "total_count": len(result)})

    async def kv_keys(self, request: Request) -> Response:
        namespace = self.inv.kv(request.path_params["ns"])
        options: dict[str, Any] = {"limit": _int_param(request, "limit", 1000, 1000)}
        if request.query_params.get("prefix"):
            options["prefix"] = request.query_params["prefix"]
        if request.query_params.get("cursor"):
            options["cursor"] = request.query_params["cursor"]
        listed = await namespace.list(**options)
        keys = [dict(key) for key in listed["keys"]]
        return envelope(keys, {"count": len(keys), "cursor": listed.get("cursor", "") or ""})

    async def kv_value(self, request: Request) -> Response:
        namespace = self.inv.kv(request.path_params["ns"])
        key = unquote(request.path_params["key"])
        if request.method == "GET":
            value = await namespace.get(key, type="arrayBuffer")
            if value is None:
                raise ApiError(404, "key not found", 10009)
            return Response(bytes(value), media_type="application/octet-stream")
        if request.method == "DELETE":
            await namespace.delete(key)
            return envelope(None)
        options: dict[str, Any] = {}
        for query_name, option in (("expiration_ttl", "expirationTtl"), ("expiration", "expiration")):
            raw = request.query_params.get(query_name)
            if raw:
                if not raw.isdigit():
                    raise ApiError(400, f"{query_name} must be a whole number of seconds")
                options[option] = int(raw)
        if "metadata" in request.query_params:
            try:
                options["metadata"] = json.loads(request.query_params["metadata"])
            except ValueError:
                raise ApiError(400, "metadata must be JSON") from None
        await namespace.put(key, await request.body(), **options)
        return envelope(None)

    async def kv_metadata(self, request: Request) -> Response:
        namespace = self.inv.kv(request.path_params["ns"])
        found = await namespace.getWithMetadata(unquote(request.path_params["key"]))
        if found["value"] is None:
            raise ApiError(404, "key not found", 10009)
        return envelope(found["metadata"])

    # -- R2 --------------------------------------------------------------------------------------
    async def r2_buckets(self, request: Request) -> Response:
        return envelope({"buckets": [{"name": name, "creation_date": _iso_ms(self.inv.r2_created(name)),
                                      "location": "auto", "bindings": bindings}
                                     for name, bindings in self.inv.r2_names()]})

    async def r2_objects(self, request: Request) -> Response:
        bucket = self.inv.r2(request.path_params["bucket"])
        options: dict[str, Any] = {"limit": _int_param(request, "per_page", 1000, 1000),
                                   "include": ["httpMetadata", "customMetadata"]}
        for name, option in (("prefix", "prefix"), ("delimiter", "delimiter"), ("cursor", "cursor")):
            if request.query_params.get(name):
                options[option] = request.query_params[name]
        listed = await bucket.list(options)
        objects = [{"key": o.key, "size": o.size, "etag": o.etag, "last_modified": utc(o.uploaded).isoformat(),
                    "http_metadata": dict(o.httpMetadata or {}), "custom_metadata": dict(o.customMetadata or {}),
                    "storage_class": o.storageClass} for o in listed["objects"]]
        return envelope(objects, {"cursor": listed.get("cursor", ""), "is_truncated": listed["truncated"],
                                  "delimited": list(listed["delimitedPrefixes"]), "per_page": options["limit"]})

    async def r2_object(self, request: Request) -> Response:
        bucket = self.inv.r2(request.path_params["bucket"])
        key = unquote(request.path_params["key"])
        if request.method == "GET":
            obj = await bucket.get(key)
            if obj is None:
                raise ApiError(404, "The specified key does not exist.", 10007)
            headers = {"etag": obj.httpEtag, "content-length": str(obj.size),
                       "content-disposition": f'attachment; filename="{key.rsplit("/", 1)[-1]}"'}
            media = (obj.httpMetadata or {}).get("contentType") or "application/octet-stream"
            return StreamingResponse(obj.body, media_type=media, headers=headers)
        if request.method == "DELETE":
            await bucket.delete(key)
            return envelope(None)
        http = {"contentType": request.headers["content-type"]} if request.headers.get("content-type") else {}
        stored = await bucket.put(key, request.stream(), httpMetadata=http)
        return envelope({"key": stored.key, "size": stored.size, "etag": stored.etag})

    # -- D1 --------------------------------------------------------------------------------------
    async def d1_databases(self, request: Request) -> Response:
        result = [self.inv.d1_summary(name) for name in self.inv.d1_names()]
        return envelope(result, {"count": len(result), "page": 1, "per_page": len(result), "total_count": len(result)})

    async def d1_database(self, request: Request) -> Response:
        return envelope(self.inv.d1_summary(request.path_params["db"], tables=True))

    async def _d1_run(self, request: Request) -> list[Any]:
        from pyflare.storage.sql import split_statements

        body = await _json_body(request)
        sql, params = body.get("sql"), body.get("params") or []
        if not isinstance(sql, str) or not sql.strip():
            raise ApiError(400, "sql must be a non-empty string", 7400)
        if not isinstance(params, list):
            raise ApiError(400, "params must be a list", 7400)
        statements = split_statements(sql)
        if not statements:
            raise ApiError(400, "No SQL statements detected.", 7500)
        if params and len(statements) > 1:
            raise ApiError(400, "params can only be used with a single statement", 7400)
        store = self.inv.d1(request.path_params["db"])
        return await store.call(store.transaction, [(s, params if i == 0 else ()) for i, s in enumerate(statements)])

    async def d1_query(self, request: Request) -> Response:
        results = await self._d1_run(request)
        return envelope([{"results": [dict(zip(r.columns, row, strict=False)) for row in r.rows],
                          "success": True, "meta": r.meta} for r in results])

    async def d1_raw(self, request: Request) -> Response:
        results = await self._d1_run(request)
        return envelope([{"results": {"columns": r.columns, "rows": r.rows}, "success": True, "meta": r.meta}
                         for r in results])

    # -- Workflows -------------------------------------------------------------------------------
    async def workflows(self, request: Request) -> Response:
        return envelope(self.inv.workflows())

    async def workflow_instances(self, request: Request) -> Response:
        name = request.path_params["name"]
        if request.method == "POST":
            body = await _json_body(request)
            instance_id = body.get("instance_id")
            if instance_id is not None and not isinstance(instance_id, str):
                raise ApiError(400, "instance_id must be a string")
            created = self.inv.workflow_command(name, "create", instance_id, {"params": body.get("params")})
            return envelope({"id": created, "status": "queued"}, status=201)
        instances = self.inv.workflow_instances(name, request.query_params.get("status"))
        return envelope(instances, {"count": len(instances), "page": 1, "per_page": len(instances)})

    async def workflow_instance(self, request: Request) -> Response:
        return envelope(self.inv.workflow_instance(request.path_params["name"], request.path_params["id"]))

    async def workflow_status(self, request: Request) -> Response:
        action = (await _json_body(request)).get("status")
        if action not in ("pause", "resume", "terminate", "restart"):
            raise ApiError(400, "status must be one of pause, resume, terminate, restart")
        name, instance_id = request.path_params["name"], request.path_params["id"]
        self.inv.workflow_command(name, action, instance_id, {})
        return envelope({"status": self.inv.workflow_instance(name, instance_id)["status"]})

    async def workflow_event(self, request: Request) -> Response:
        raw = await request.body()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            raise ApiError(400, "The event payload is not valid JSON") from None
        self.inv.workflow_command(request.path_params["name"], "send_event", request.path_params["id"],
                                  {"type": request.path_params["type"], "payload": payload})
        return envelope(None)

    # -- Durable Objects -------------------------------------------------------------------------
    async def do_namespaces(self, request: Request) -> Response:
        return envelope(self.inv.do_namespaces())

    async def do_objects(self, request: Request) -> Response:
        objects = self.inv.do_objects(request.path_params["ns"])
        return envelope(objects, {"count": len(objects), "cursor": ""})

    async def do_object(self, request: Request) -> Response:
        limit = _int_param(request, "limit", 1000, 10000)
        return envelope(self.inv.do_object(request.path_params["ns"], request.path_params["id"], limit))

    async def do_query(self, request: Request) -> Response:
        body = await _json_body(request)
        sql, params, object_id = body.get("sql"), body.get("params") or [], body.get("objectId")
        if not isinstance(object_id, str) or not isinstance(sql, str) or not sql.strip():
            raise ApiError(400, "objectId and sql must be non-empty strings")
        if not isinstance(params, list):
            raise ApiError(400, "params must be a list")
        return envelope(self.inv.do_query(request.path_params["ns"], object_id, sql, params))

    # -- Cache API (local only: Cloudflare's API has no listing of a zone's cache) ----------------
    async def caches(self, request: Request) -> Response:
        return envelope(self.inv.caches())

    async def cache_entries(self, request: Request) -> Response:
        name = request.path_params["name"]
        if request.method == "DELETE":
            url = request.query_params.get("url")
            if not url:
                raise ApiError(400, "url: which entry to delete (?url=...)")
            if not self.inv.cache_delete(name, url):
                raise ApiError(404, "no such entry in this cache")
            return envelope(None)
        entries = self.inv.cache_entries(name)
        return envelope(entries, {"count": len(entries)})

    # -- Vectorize -------------------------------------------------------------------------------
    async def vectorize_indexes(self, request: Request) -> Response:
        return envelope(await self.inv.vectorize_indexes())

    # -- Queues ----------------------------------------------------------------------------------
    async def queues(self, request: Request) -> Response:
        return envelope(self.inv.queues())

    async def queue_messages(self, request: Request) -> Response:
        queue = request.path_params["queue"]
        if request.method == "POST":
            body = await _json_body(request)
            await self.inv.queue_send(queue, body.get("body"), body.get("content_type", "json"))
            return envelope(None)
        return envelope(self.inv.queue_messages(queue))

    async def queue_message(self, request: Request) -> Response:
        if not self.inv.queue_delete(request.path_params["queue"], request.path_params["message"]):
            raise ApiError(404, "message not found")
        return envelope(None)

    async def queue_redrive(self, request: Request) -> Response:
        target = self.inv.queue_redrive(request.path_params["queue"], request.path_params["message"],
                                        request.query_params.get("to"))
        return envelope({"queue": target})
