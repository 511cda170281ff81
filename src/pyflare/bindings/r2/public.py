"""Public bucket access, as an r2.dev URL serves it: ``GET/HEAD /cdn-cgi/local/r2/public/<bucket>/<key>``.

Every configured bucket is readable here by its bucket_name (locally there is no access setting to
honour). One range per request (a malformed, inverted or multiple range is 400; an unsatisfiable one
416); If-Match / If-Unmodified-Since failures are 412, If-None-Match / If-Modified-Since 304.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from pyflare.bindings.r2.bucket import R2Bucket
from pyflare.bindings.r2.http import failed_condition_status, object_headers
from pyflare.bindings.r2.objects import R2ObjectBody, utc
from pyflare.local import R2_PUBLIC_PATH
from pyflare.workers import Headers

PATH = R2_PUBLIC_PATH
_RANGE = re.compile(r"^bytes=(?:(\d+)-(\d+)?|-(\d+))$")
_CORS = [(b"access-control-allow-origin", b"*"), (b"access-control-expose-headers", b"*")]


class PublicBucketEndpoint:
    """The ASGI app behind ``/cdn-cgi/local/r2/public``, over the buckets ``buckets()`` returns by name."""

    def __init__(self, buckets: Callable[[], Mapping[str, R2Bucket]], prefix: str = PATH) -> None:
        self.buckets = buckets
        self.prefix = prefix

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        status, headers, body = await self._answer(scope)
        raw = [(k.encode("latin-1"), v.encode("latin-1", "replace")) for k, v in headers] + _CORS
        await send({"type": "http.response.start", "status": status, "headers": raw})
        if body is None:
            await send({"type": "http.response.body", "body": b""})
            return
        async for chunk in body:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def _answer(self, scope: dict[str, Any]) -> tuple[int, list[tuple[str, str]], Any]:
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        bucket_name, _, key = raw_path[len(self.prefix):].lstrip("/").partition("/")
        bucket = self.buckets().get(unquote(bucket_name))
        empty = [("content-length", "0")]
        if bucket is None or not key:
            return 404, empty, None
        if scope["method"] not in ("GET", "HEAD"):
            return 401, empty, None
        key = unquote(key)
        request_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        range_header = request_headers.get("range")
        start: int | None = None
        if range_header is not None:
            match = _RANGE.match(range_header)
            if match is None or (match.group(2) and int(match.group(1)) > int(match.group(2))):
                return 400, empty, None
            if match.group(3) is not None and int(match.group(3)) == 0:
                return 416, empty, None
            start = int(match.group(1)) if match.group(1) is not None else None
        meta = await bucket.head(key)
        if meta is None:
            return 404, empty, None
        failed = failed_condition_status(request_headers, meta.etag, int(utc(meta.uploaded).timestamp() * 1000))
        headers = object_headers(meta)
        if failed == 412:
            return 412, empty, None
        if failed == 304:
            return 304, headers, None
        if range_header is not None and (meta.size == 0 or (start is not None and start >= meta.size)):
            return 416, empty, None
        options: dict[str, Any] = {"onlyIf": {"etagMatches": meta.etag}}
        if range_header is not None:
            options["range"] = Headers({"range": range_header})  # as a worker passes request headers
        obj = await bucket.get(key, options)
        if not isinstance(obj, R2ObjectBody):  # replaced meanwhile: answer for the new object
            return await self._answer(scope)
        headers = object_headers(obj)
        offset, length = obj.range["offset"], obj.range["length"]
        status = 200
        if range_header is not None:
            status = 206
            headers.append(("content-range", f"bytes {offset}-{offset + length - 1}/{obj.size}"))
        headers.append(("content-length", str(length)))
        if scope["method"] == "HEAD":
            await obj.body.aclose()
            return status, headers, None
        return status, headers, obj.body
