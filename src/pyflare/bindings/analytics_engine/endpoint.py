"""``POST /cdn-cgi/local/analytics_engine/sql``: the SQL API (``.../accounts/<id>/analytics_engine/sql``) on
the local data points. The body is the query; the answer is in the query's FORMAT (JSON by default). A query
the local dialect cannot run answers 400 with a text naming what is not supported."""

from __future__ import annotations

from typing import Any

from pyflare.bindings.analytics_engine.sql import SqlError, run_query
from pyflare.bindings.analytics_engine.store import DataPointStore
from pyflare.runtime.respond import plain, send_plain

MAX_QUERY_BYTES = 1024 * 1024


class SqlEndpoint:
    def __init__(self, store: DataPointStore) -> None:
        self.store = store

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["method"] not in ("POST", "GET"):
            await send_plain(send, *plain(405, "Method Not Allowed: POST the query as the body"))
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > MAX_QUERY_BYTES:
                await send_plain(send, *plain(413, "Query too long"))
                return
            if not message.get("more_body", False):
                break
        if scope["method"] == "GET" and not body:
            from urllib.parse import parse_qs

            body = parse_qs(scope.get("query_string", b"").decode()).get("query", [""])[0].encode()
        try:
            result = run_query(self.store, body.decode("utf-8"))
        except (SqlError, UnicodeDecodeError) as exc:
            await send_plain(send, *plain(400, str(exc)))
            return
        content_type, text = result.body()
        data = text.encode()
        await send_plain(send, 200, [(b"content-type", content_type.encode()), (b"content-length", b"%d" % len(data))],
                         data)
