"""R2's S3-compatible API, served by ``pyflare dev`` at ``/cdn-cgi/local/r2/s3/<bucket>`` (path-style).

An HTTP adapter over the R2 model (moto's split): ``auth`` verifies SigV4 (header and presigned
URLs, on pyflare's clock), ``body`` spools and checks uploads, ``operations`` maps each S3 operation
onto the same ``R2Bucket`` a worker uses, ``errors`` writes S3's XML errors. A bucket is reachable
only when its config gives it credentials, as wrangler's ``local_dev.experimental_s3_credentials``:

    [[r2_buckets]]
    binding = "BUCKET"
    bucket_name = "uploads"
    local_dev = { experimental_s3_credentials = { accessKeyId = "dev", secretAccessKey = "dev-secret" } }

Operations R2's S3 endpoint recognises but this one does not serve answer 501 NotImplemented with R2's
"<Operation> not implemented" text.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from pyflare.bindings.r2 import errors as r2_errors
from pyflare.bindings.r2.bucket import R2Bucket
from pyflare.bindings.r2.s3 import auth
from pyflare.bindings.r2.s3.auth import Credentials, SignedRequest
from pyflare.bindings.r2.s3.body import read_body
from pyflare.bindings.r2.s3.errors import S3Error, no_such_bucket, not_implemented, route_not_found
from pyflare.bindings.r2.s3.operations import Operations, Reply
from pyflare.kernel.clock import Clock
from pyflare.local import R2_S3_PATH
from pyflare.storage.errors import storage_error

log = logging.getLogger("pyflare")

PATH = R2_S3_PATH
MAX_XML_BODY = 2 * 1024 * 1024

# Every answer lets a page of any origin read it (local development: no bucket CORS policy to configure).
_CORS = [("access-control-allow-origin", "*"), ("access-control-expose-headers", "*")]
_PREFLIGHT_METHODS = "GET, HEAD, PUT, POST, DELETE"

# Subresources R2 recognises and this endpoint does not serve: (method, query parameter) -> operation.
_UNSERVED_OBJECT = {
    ("GET", "tagging"): "GetObjectTagging", ("PUT", "tagging"): "PutObjectTagging",
    ("GET", "acl"): "GetObjectAcl", ("PUT", "acl"): "PutObjectAcl",
    ("GET", "attributes"): "GetObjectAttributes", ("GET", "torrent"): "GetObjectTorrent",
    ("GET", "retention"): "GetObjectRetention", ("PUT", "retention"): "PutObjectRetention",
    ("GET", "legal-hold"): "GetObjectLegalHold", ("PUT", "legal-hold"): "PutObjectLegalHold",
    ("GET", "uploadId"): "ListParts", ("GET", "uploads"): "ListMultipartUploads",
}
_UNSERVED_BUCKET_GET = {
    "uploads": "ListMultipartUploads", "versions": "ListObjectVersions", "policy": "GetBucketPolicy",
    "website": "GetBucketWebsite", "notification": "GetBucketNotificationConfiguration",
    "requestPayment": "GetBucketRequestPayment", "logging": "GetBucketLogging",
    "accelerate": "GetBucketAccelerateConfiguration", "publicAccessBlock": "GetPublicAccessBlock",
    "ownershipControls": "GetBucketOwnershipControls", "acl": "GetBucketAcl", "cors": "GetBucketCors",
    "lifecycle": "GetBucketLifecycleConfiguration", "encryption": "GetBucketEncryption",
    "versioning": "GetBucketVersioning", "tagging": "GetBucketTagging",
}


def _preflight(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """A CORS preflight's answer: the methods the endpoint serves, and the headers the page asks to send.
    Those are echoed rather than answered with ``*``, which does not cover ``Authorization`` (the Fetch
    standard), so an SDK signing in the browser can upload too."""
    requested = headers.get("access-control-request-headers", "").strip()
    return [
        ("access-control-allow-origin", "*"),
        ("access-control-allow-methods", _PREFLIGHT_METHODS),
        ("access-control-allow-headers", requested or "*"),
        ("access-control-max-age", "86400"),
    ]


@dataclass(frozen=True)
class S3Bucket:
    """One configured bucket as the S3 endpoint sees it."""

    bucket: R2Bucket
    credentials: Credentials | None


BucketSource = Callable[[], Mapping[str, S3Bucket]]


class _Request:
    """The parts of an ASGI request the endpoint reads."""

    def __init__(self, scope: dict[str, Any], receive: Any, prefix: str) -> None:
        self.method: str = scope["method"]
        self.headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            self.headers[name] = f"{self.headers[name]},{value}" if name in self.headers else value
        raw_path = scope.get("raw_path") or scope["path"].encode()
        self.raw_path: str = raw_path.decode("latin-1").split("?", 1)[0]
        self.query_pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        self.query: dict[str, str] = {}
        for name, value in self.query_pairs:
            self.query.setdefault(name, value)
        rest = self.raw_path[len(prefix):].lstrip("/")
        bucket, _, key = rest.partition("/")
        self.bucket = unquote(bucket)
        self.key: str | None = unquote(key) if key else None
        self.host = self.headers.get("host", "localhost")
        self.base_url = f"{scope.get('scheme', 'http')}://{self.host}{prefix}"
        self._receive = receive

    def signed(self) -> SignedRequest:
        return SignedRequest(self.method, self.raw_path, self.query_pairs, self.headers, self.host)

    async def stream(self) -> AsyncIterator[bytes]:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise S3Error(400, "IncompleteBody", "The request body terminated unexpectedly")
            yield message.get("body", b"")
            if not message.get("more_body", False):
                return

    async def read(self, limit: int = MAX_XML_BODY) -> bytes:
        data = bytearray()
        async for chunk in self.stream():
            data += chunk
            if len(data) > limit:
                raise S3Error(400, "MaxMessageLengthExceeded", "Your request was too big.")
        return bytes(data)


class S3Endpoint:
    """The ASGI app behind ``/cdn-cgi/local/r2/s3``, over the buckets ``buckets()`` returns by name."""

    def __init__(self, buckets: BucketSource, clock: Clock, prefix: str = PATH) -> None:
        self.buckets = buckets
        self.clock = clock
        self.prefix = prefix

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        request = _Request(scope, receive, self.prefix)
        if request.method == "OPTIONS":
            await self._send(send, Reply(204, _preflight(request.headers)), head=True)
            return
        try:
            reply = await self._handle(request)
        except S3Error as exc:
            reply = Reply(exc.status, [("content-type", "application/xml")], exc.body())
        except r2_errors.R2Error as exc:
            error = S3Error.from_r2(exc)
            reply = Reply(error.status, [("content-type", "application/xml")], error.body())
        except (TypeError, ValueError) as exc:  # R2's argument checks: the caller's mistake, said plainly
            error = S3Error(400, "InvalidArgument", str(exc))
            reply = Reply(400, [("content-type", "application/xml")], error.body())
        except Exception as exc:  # pyflare's own failure (a full disk while spooling the body...): S3's 500
            log.error("S3 %s %s failed: %s", request.method, request.raw_path, exc, exc_info=exc)
            text = r2_errors.InternalError.text
            failure = storage_error(exc)
            error = S3Error(500, "InternalError", f"{text} ({failure})" if failure is not None else text)
            reply = Reply(500, [("content-type", "application/xml")], error.body())
        await self._send(send, reply, head=request.method == "HEAD")

    @staticmethod
    async def _send(send: Any, reply: Reply, *, head: bool) -> None:
        headers = list(reply.headers or [])
        named = {name for name, _ in headers}
        # Each CORS header once: a browser refuses "Access-Control-Allow-Origin: *, *" (two of them).
        headers += [(name, value) for name, value in _CORS if name not in named]
        body = reply.body
        if isinstance(body, bytes):
            if not any(name == "content-length" for name, _ in headers) and reply.status not in (204, 304):
                headers.append(("content-length", str(len(body))))
        raw = [(name.encode("latin-1"), value.encode("latin-1", "replace")) for name, value in headers]
        await send({"type": "http.response.start", "status": reply.status, "headers": raw})
        if isinstance(body, bytes) or head:
            await send({"type": "http.response.body", "body": b"" if head or not isinstance(body, bytes) else body})
            return
        async for chunk in body:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    # -- routing ---------------------------------------------------------------------------------
    async def _handle(self, request: _Request) -> Reply:
        buckets = self.buckets()
        if not request.bucket:
            return self._list_buckets(request, buckets)
        entry = buckets.get(request.bucket)
        if entry is None or entry.credentials is None:
            raise no_such_bucket()  # local credentials are per bucket: existence is reported first
        signed = request.signed()
        if (
            request.key is None and request.method == "POST" and "delete" not in request.query
            and not auth.has_authentication(signed)
        ):
            raise S3Error(501, "NotImplemented", "Presigned post requests are not yet implemented not implemented")
        verified = auth.verify(signed, entry.credentials, self.clock.time())
        # Credentials are per bucket: they reach the buckets configured with them, and no other (a
        # CopyObject or UploadPartCopy source included).
        granted = {name: item.bucket for name, item in buckets.items() if item.credentials == entry.credentials}
        others = frozenset(name for name, item in buckets.items() if item.credentials is not None) - set(granted)
        operations = Operations(granted, others)
        if request.key is None:
            return await self._bucket_operation(request, operations)
        return await self._object_operation(request, operations, verified.payload_sha256)

    def _list_buckets(self, request: _Request, buckets: Mapping[str, S3Bucket]) -> Reply:
        if request.method not in ("GET", "HEAD"):
            raise route_not_found()
        signed = request.signed()
        last_error: S3Error | None = None
        for credentials in {entry.credentials for entry in buckets.values() if entry.credentials is not None}:
            try:
                auth.verify(signed, credentials, self.clock.time())
            except S3Error as exc:
                last_error = exc
                continue
            names = [name for name, entry in buckets.items() if entry.credentials == credentials]
            return Operations({}).list_buckets(names)
        raise last_error or S3Error(401, "Unauthorized", "Unauthorized")

    async def _bucket_operation(self, request: _Request, operations: Operations) -> Reply:
        method, query = request.method, request.query
        if method == "HEAD":
            operations.bucket(request.bucket)
            return Reply(200)
        if method == "GET":
            for name in query:
                if name in _UNSERVED_BUCKET_GET:
                    raise not_implemented(_UNSERVED_BUCKET_GET[name])
            operations.bucket(request.bucket)
            if "location" in query:
                return operations.get_bucket_location()
            return await operations.list_objects(request.bucket, query)
        if method == "POST" and "delete" in query:
            return await operations.delete_objects(request.bucket, await request.read())
        if method == "POST":
            return Reply(200)
        if method in ("PUT", "DELETE"):
            # Local buckets come from the config; they cannot be created or deleted over S3.
            raise not_implemented("CreateBucket" if method == "PUT" else "DeleteBucket")
        raise route_not_found()

    async def _object_operation(self, request: _Request, operations: Operations, payload_sha256: str | None) -> Reply:
        method, query, headers = request.method, request.query, request.headers
        bucket, key = request.bucket, request.key
        assert key is not None
        for name in query:
            operation = _UNSERVED_OBJECT.get((method, name))
            if operation is not None:
                raise not_implemented(operation)
        if method in ("GET", "HEAD"):
            if "partNumber" in query:  # R2 serves single parts; the binding cannot
                raise not_implemented("partNumber")
            return await operations.get_object(bucket, key, headers, query, head=method == "HEAD")
        if method == "PUT":
            if "uploadId" in query and "x-amz-copy-source" in headers:
                return await operations.upload_part_copy(bucket, key, query, headers)
            if "x-amz-copy-source" in headers:
                return await operations.copy_object(bucket, key, headers)
            body = await read_body(request.stream(), headers, payload_sha256)
            try:
                if "uploadId" in query:
                    return await operations.upload_part(bucket, key, query, body)
                return await operations.put_object(bucket, key, headers, body)
            finally:
                body.close()
        if method == "POST":
            if "uploads" in query:
                return await operations.create_multipart_upload(bucket, key, headers)
            if "uploadId" in query:
                return await operations.complete_multipart_upload(
                    bucket, key, query, await request.read(), request.base_url
                )
            raise route_not_found()
        if method == "DELETE":
            if "uploadId" in query:
                return await operations.abort_multipart_upload(bucket, key, query)
            return await operations.delete_object(bucket, key)
        raise route_not_found()


__all__ = ["PATH", "Credentials", "S3Bucket", "S3Endpoint"]
