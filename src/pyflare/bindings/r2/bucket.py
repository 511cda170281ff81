"""The R2 binding objects a worker sees: ``env.BUCKET`` (R2Bucket) and multipart uploads.

Thin adapters: they check arguments (validation), call the bucket's semantics (store) and wrap the
results (objects). Options are keyword arguments; a trailing options dict (the JS calling style) is
accepted too.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeVar

from pyflare.bindings.r2 import errors
from pyflare.bindings.r2 import validation as V
from pyflare.bindings.r2.objects import BODY_USED, R2Object, R2ObjectBody
from pyflare.bindings.r2.store import WRITE_CHUNK, BucketStore, decode_cursor
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jsobjects import as_bytes
from pyflare.kernel.jsvalues import js_string, usv
from pyflare.kernel.tracing import traced
from pyflare.storage.errors import StorageError
from pyflare.workers import Blob
from pyflare.workers.host import BodyMixin, blob_data

F = TypeVar("F", bound=Callable[..., Any])


def _options(method: str, options: Mapping[str, Any] | None, kwargs: dict[str, Any], allowed: tuple[str, ...]) -> dict:
    """The options of a call (a dict, keyword arguments, or both); fields R2 does not know are ignored, as
    workerd ignores them."""
    merged: dict[str, Any] = {}
    if options is not None:
        if not isinstance(options, Mapping):
            raise TypeError(f"{method}: options must be a dict")
        merged.update(options)
    merged.update(kwargs)
    return {name: value for name, value in merged.items() if name in allowed}


async def _sliced(data: bytes) -> AsyncIterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(view), WRITE_CHUNK):
        yield bytes(view[start : start + WRITE_CHUNK])


async def _from_async(chunks: Any) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        yield _chunk(chunk)


async def _from_sync(chunks: Any) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield _chunk(chunk)


def _chunk(chunk: Any) -> bytes:
    data = as_bytes(chunk)
    if data is not None:
        return data
    if isinstance(chunk, str):
        return usv(chunk).encode("utf-8")
    raise TypeError(f"a stream given to R2 must yield bytes, not {type(chunk).__name__}")


def value_chunks(value: Any, method: str = "put", cls: str = "R2Bucket") -> AsyncIterator[bytes]:
    """Any value put() accepts as an async stream of bytes: str, bytes, Blob, None, a body or stream (an
    async iterable of bytes); anything else is workerd's TypeError for the parameter."""
    if value is None:
        return _sliced(b"")
    if isinstance(value, str):
        return _sliced(usv(value).encode("utf-8"))
    data = as_bytes(value)  # bytes-like, or an ArrayBuffer / typed array (to_js(data).slice())
    if data is not None:
        return _sliced(data)
    if isinstance(value, Blob):
        return _sliced(blob_data(value))
    if isinstance(value, R2ObjectBody):
        if value.bodyUsed:
            raise TypeError(BODY_USED)
        return _from_async(value.body)
    if isinstance(value, BodyMixin):
        stream = value.body
        if stream is None:
            return _from_sync([])
        if stream.disturbed:
            raise TypeError(BODY_USED)
        return _from_async(stream)
    if hasattr(value, "__aiter__"):
        return _from_async(value)
    raise TypeError(
        f"Failed to execute '{method}' on '{cls}': parameter 2 is not of type "
        "'ReadableStream or ArrayBuffer or ArrayBufferView or string or Blob'."
    )


def _span_attributes(owner: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """An R2 call's span attributes, as workerd's r2-bucket.c++ sets them."""
    bucket = owner if isinstance(owner, R2Bucket) else owner._bucket
    attributes: dict[str, Any] = {"cloudflare.binding.type": "R2", "cloudflare.binding.name": getattr(bucket, "binding", ""),
                                  "cloudflare.r2.bucket": getattr(bucket, "bucket_name", ""),
                                  "cloudflare.r2.operation": _OPERATIONS.get(method, method)}
    if isinstance(owner, R2MultipartUpload):
        attributes["cloudflare.r2.request.key"] = owner.key
        attributes["cloudflare.r2.request.upload_id"] = owner.uploadId
    elif method == "delete" and args:
        keys = args[0] if isinstance(args[0], (list, tuple)) else [args[0]]
        attributes["cloudflare.r2.request.keys"] = ", ".join(map(str, keys))
    elif method == "list":
        options = {**(args[0] if args and isinstance(args[0], Mapping) else {}), **kwargs}
        for name in ("prefix", "cursor", "delimiter", "limit"):
            if options.get(name) is not None:
                attributes[f"cloudflare.r2.request.{name}"] = options[name]
    elif args:
        attributes["cloudflare.r2.request.key"] = str(args[0])
    return attributes


_OPERATIONS = {"head": "HeadObject", "get": "GetObject", "put": "PutObject", "delete": "DeleteObjects",
               "list": "ListObjects", "createMultipartUpload": "CreateMultipartUpload", "uploadPart": "UploadPart",
               "complete": "CompleteMultipartUpload", "abort": "AbortMultipartUpload"}


def _storage_failures(method: str) -> Callable[[F], F]:
    """A failing disk (full, I/O error) reaches the worker as R2's internal error carrying the storage's text,
    as Miniflare adds context to an R2Error: ``put: We encountered an internal error. Please try again.
    (database or disk is full: SQLITE_FULL) (10001)``. What was stored before stays; nothing half-written does."""

    def wrap(operation: F) -> F:
        @functools.wraps(operation)
        async def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return await operation(*args, **kwargs)
            except StorageError as exc:
                raise errors.InternalError(method, f"{errors.InternalError.text} ({exc})") from exc

        return run  # type: ignore[return-value]

    return wrap


@traced("r2", {"uploadPart": "r2_uploadPart", "complete": "r2_completeMultipartUpload",
               "abort": "r2_abortMultipartUpload"}, _span_attributes)
class R2MultipartUpload:
    """An in-progress multipart upload: ``uploadPart``, ``complete``, ``abort``."""

    def __init__(self, store: BucketStore, key: str, upload_id: str, bucket: Any = None) -> None:
        self._store = store
        self._bucket = bucket  # the R2Bucket it came from (named in its spans)
        self.key = key
        self.uploadId = upload_id

    @property
    def upload_id(self) -> str:
        return self.uploadId

    @_storage_failures("uploadPart")
    async def uploadPart(  # noqa: N802 - Cloudflare's name
        self, partNumber: int, value: Any, options: Mapping[str, Any] | None = None, **kwargs: Any  # noqa: N803
    ) -> JsDict:
        """Upload one part; returns ``{partNumber, etag}`` to pass to ``complete``."""
        _options("uploadPart", options, kwargs, ("ssecKey",))
        number = V.part_number(partNumber)
        raw = V.key("uploadPart", self.key)
        chunks = value_chunks(value, "uploadPart", "R2MultipartUpload")
        etag = await self._store.upload_part(raw, self.uploadId, number, chunks)
        return JsDict(partNumber=number, etag=etag)

    upload_part = uploadPart

    @_storage_failures("completeMultipartUpload")
    async def complete(self, uploadedParts: Any) -> R2Object:  # noqa: N803
        """Assemble the listed parts (``[{partNumber, etag}, ...]``) into the object."""
        if isinstance(uploadedParts, (str, bytes, Mapping)) or not hasattr(uploadedParts, "__iter__"):
            raise TypeError("Failed to execute 'complete' on 'R2MultipartUpload': parameter 1 is not of type "
                            "'Array<UploadedPart>'.")
        selected: list[tuple[int, str]] = []
        for part in uploadedParts:
            if not isinstance(part, Mapping):
                raise TypeError("complete: each part must be a dict with partNumber and etag")
            number = part.get("partNumber", part.get("part_number"))
            etag = part.get("etag")
            selected.append((V.part_number(number), str(etag)))
        raw = V.key("completeMultipartUpload", self.key)
        record = await self._store.complete_upload(raw, self.uploadId, selected)
        return R2Object(record)

    @_storage_failures("abortMultipartUpload")
    async def abort(self) -> None:
        """Abort the upload and drop its parts; aborting twice, or after completion, does nothing."""
        raw = V.key("abortMultipartUpload", self.key)
        await self._store.abort_upload(raw, self.uploadId)

    def __repr__(self) -> str:
        return f"R2MultipartUpload(key={self.key!r}, uploadId={self.uploadId[:12]!r}...)"


@traced("r2", {"head": "r2_head", "get": "r2_get", "put": "r2_put", "delete": "r2_delete", "list": "r2_list",
               "createMultipartUpload": "r2_createMultipartUpload"}, _span_attributes)
class R2Bucket:
    """``env.BUCKET``: head, get, put, delete, list, createMultipartUpload, resumeMultipartUpload."""

    def __init__(self, store: BucketStore, *, binding: str = "", bucket_name: str = "") -> None:
        self._store = store
        self.binding = binding
        self.bucket_name = bucket_name

    @_storage_failures("head")
    async def head(self, key: str) -> R2Object | None:
        record = await self._store.head(V.key("head", key))
        return R2Object(record, range={"offset": 0, "length": record.size}) if record else None

    @_storage_failures("get")
    async def get(
        self, key: str, options: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> R2ObjectBody | R2Object | None:
        """The object with its body; None if missing; the object without a body if ``onlyIf`` fails."""
        opts = _options("get", options, kwargs, ("onlyIf", "range", "ssecKey"))
        raw = V.key("get", key)
        only_if = V.conditional(opts.get("onlyIf"))
        requested = V.range_request(opts.get("range"))
        record = await self._store.head(raw)
        if record is None:
            return None
        whole = {"offset": 0, "length": record.size}
        if only_if is not None and not V.condition_holds(only_if, record.etag, record.uploaded):
            return R2Object(record, range=whole)
        resolved = V.resolve_range(requested, record.size)
        offset, length = resolved if resolved is not None else (0, record.size)
        stream = await self._store.open_body(record, offset, length)
        return R2ObjectBody(record, stream, range={"offset": offset, "length": length})

    @_storage_failures("put")
    async def put(
        self, key: str, value: Any, options: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> R2Object | None:
        """Store ``value``; returns the new object, or None when ``onlyIf`` does not hold."""
        opts = _options(
            "put",
            options,
            kwargs,
            ("onlyIf", "httpMetadata", "customMetadata", "md5", "sha1", "sha256", "sha384", "sha512",
             "storageClass", "ssecKey"),
        )
        raw = V.key("put", key)
        only_if = V.conditional(opts.get("onlyIf"))
        checksum = V.checksum(opts)
        http = V.http_metadata("put", opts.get("httpMetadata"))
        custom = V.custom_metadata("put", opts.get("customMetadata"), given="customMetadata" in opts)
        storage_class = V.storage_class("put", opts.get("storageClass"))
        chunks = value_chunks(value)
        record = await self._store.put(
            raw,
            chunks,
            http_metadata=http,
            custom_metadata=custom,
            checksum=checksum,
            only_if=only_if,
            storage_class=storage_class,
        )
        return R2Object(record) if record is not None else None

    @_storage_failures("delete")
    async def delete(self, keys: str | list[str]) -> None:
        """Delete one key or a list of up to 1000; missing keys are ignored."""
        await self._store.delete(V.delete_keys(keys))

    @_storage_failures("list")
    async def list(self, options: Mapping[str, Any] | None = None, **kwargs: Any) -> JsDict:
        """``{objects, truncated, cursor (when truncated), delimitedPrefixes}`` in key order."""
        opts = _options("list", options, kwargs, ("limit", "prefix", "cursor", "delimiter", "startAfter", "include"))
        limit = V.limit(opts.get("limit"))
        prefix = V.optional_str("list", "prefix", opts.get("prefix")) or ""
        delimiter = V.optional_str("list", "delimiter", opts.get("delimiter")) or None
        start_after_text = V.optional_str("list", "startAfter", opts.get("startAfter"))
        cursor = V.optional_str("list", "cursor", opts.get("cursor"))
        with_http, with_custom = V.include(opts.get("include"))
        start_after = V.encode_key(start_after_text) if start_after_text else None
        if cursor:
            after_cursor = decode_cursor(cursor)
            if start_after is None or after_cursor > start_after:
                start_after = after_cursor
        page = await self._store.list(
            prefix=V.encode_key(prefix),
            delimiter=V.encode_key(delimiter) if delimiter else None,
            start_after=start_after,
            limit=limit,
        )
        result = JsDict(
            objects=[R2Object(r, with_http=with_http, with_custom=with_custom) for r in page.objects],
            truncated=page.cursor is not None,
        )
        if page.cursor is not None:
            result["cursor"] = page.cursor
        result["delimitedPrefixes"] = page.prefixes
        return result

    @_storage_failures("createMultipartUpload")
    async def createMultipartUpload(  # noqa: N802 - Cloudflare's name
        self, key: str, options: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> R2MultipartUpload:
        opts = _options("createMultipartUpload", options, kwargs,
                        ("httpMetadata", "customMetadata", "storageClass", "ssecKey"))
        raw = V.key("createMultipartUpload", key)
        http = V.http_metadata("createMultipartUpload", opts.get("httpMetadata"))
        custom = V.custom_metadata("createMultipartUpload", opts.get("customMetadata"),
                                   given="customMetadata" in opts)
        storage_class = V.storage_class("createMultipartUpload", opts.get("storageClass"))
        upload_id = await self._store.create_upload(raw, http, custom, storage_class)
        return R2MultipartUpload(self._store, key, upload_id, self)

    def resumeMultipartUpload(self, key: str, uploadId: str) -> R2MultipartUpload:  # noqa: N802,N803
        """An upload handle for an id from createMultipartUpload (not checked until it is used: an id that
        names no upload is ``NoSuchUpload`` then). workerd takes the id as a string, so any value becomes its
        JavaScript string, as there."""
        return R2MultipartUpload(self._store, key, js_string(uploadId), self)

    create_multipart_upload = createMultipartUpload
    resume_multipart_upload = resumeMultipartUpload

    def __repr__(self) -> str:
        return f"R2Bucket({self.bucket_name!r})"
