"""The S3 operations, each a translation between an S3 request and calls on the R2 binding (the same
``R2Bucket`` a worker uses, so objects, etags, multipart rules and limits are R2's)."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote
from xml.etree import ElementTree as ET

from pyflare.bindings.r2 import errors as r2_errors
from pyflare.bindings.r2 import validation as V
from pyflare.bindings.r2.bucket import R2Bucket
from pyflare.bindings.r2.http import (
    R2_STORAGE_CLASS,
    S3_STORAGE_CLASS,
    failed_condition_status,
    object_headers,
)
from pyflare.bindings.r2.objects import R2Object, R2ObjectBody, utc
from pyflare.bindings.r2.s3.body import SpooledBody
from pyflare.bindings.r2.s3.errors import S3Error, invalid_argument, malformed_xml, no_such_bucket
from pyflare.workers import Headers

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_HTTP_METADATA_HEADERS = (
    ("content-type", "contentType"),
    ("content-language", "contentLanguage"),
    ("content-disposition", "contentDisposition"),
    ("cache-control", "cacheControl"),
    ("expires", "cacheExpiry"),
)
_RESPONSE_OVERRIDES = ("content-type", "content-language", "expires", "cache-control", "content-disposition",
                       "content-encoding")


@dataclass
class Reply:
    """An S3 answer: status, headers, and a body (bytes, or a stream of an object's bytes)."""

    status: int = 200
    headers: list[tuple[str, str]] | None = None
    body: bytes | AsyncIterator[bytes] = b""


def iso8601(when: dt.datetime) -> str:
    when = utc(when)
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def xml_reply(root: ET.Element, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Reply:
    body = b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return Reply(status, [("content-type", "application/xml"), *(headers or [])], body)


def element(tag: str, text: Any = None, *, root: bool = False) -> ET.Element:
    node = ET.Element(tag, {"xmlns": NS} if root else {})
    if text is not None:
        node.text = str(text).lower() if isinstance(text, bool) else str(text)
    return node


def child(parent: ET.Element, tag: str, text: Any = None) -> ET.Element:
    node = element(tag, text)
    parent.append(node)
    return node


def parse_xml(data: bytes) -> ET.Element:
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise malformed_xml() from None
    for node in root.iter():  # drop namespaces: clients send S3's, or none
        node.tag = node.tag.rsplit("}", 1)[-1]
    return root


# -- metadata ------------------------------------------------------------------------------------


def http_metadata_from(headers: Mapping[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for header, field in _HTTP_METADATA_HEADERS:
        value = headers.get(header)
        if value is None:
            continue
        if field == "cacheExpiry":  # R2 keeps a date: an Expires header that is not one is dropped
            try:
                meta[field] = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError, OverflowError):
                pass
            continue
        meta[field] = value
    encoding = ", ".join(
        part.strip() for part in headers.get("content-encoding", "").split(",") if part.strip() and
        part.strip() != "aws-chunked"
    )
    if encoding:
        meta["contentEncoding"] = encoding
    return meta


def custom_metadata_from(headers: Mapping[str, str]) -> dict[str, str]:
    return {name[len("x-amz-meta-"):]: value for name, value in headers.items() if name.startswith("x-amz-meta-")}


def _metadata_headers(obj: R2Object) -> list[tuple[str, str]]:
    headers = object_headers(obj)
    if not any(name == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/octet-stream"))
    headers += [(f"x-amz-meta-{name}", value) for name, value in (obj.customMetadata or {}).items()]
    storage = S3_STORAGE_CLASS.get(obj.storageClass)
    if storage and storage != "STANDARD":
        headers.append(("x-amz-storage-class", storage))
    return headers


def object_options(headers: Mapping[str, str]) -> dict[str, Any]:
    """R2 put / createMultipartUpload options from an upload's headers: metadata and storage class."""
    options: dict[str, Any] = {
        "httpMetadata": http_metadata_from(headers),
        "customMetadata": custom_metadata_from(headers),
    }
    storage_class = headers.get("x-amz-storage-class")
    if storage_class is not None:
        if storage_class not in R2_STORAGE_CLASS:
            raise S3Error(400, "InvalidStorageClass", "The storage class you specified is not valid")
        options["storageClass"] = R2_STORAGE_CLASS[storage_class]
    return options


# -- the operations ------------------------------------------------------------------------------


class Operations:
    """S3 over the R2 buckets one request's credentials reach (by bucket name).

    ``others`` names the buckets served with other credentials: naming one (a copy's source) is
    ``401 Unauthorized``, as in Miniflare; a bucket not served over S3 at all is ``NoSuchBucket``."""

    def __init__(self, buckets: Mapping[str, R2Bucket], others: frozenset[str] = frozenset()) -> None:
        self.buckets = buckets
        self.others = others

    def bucket(self, name: str) -> R2Bucket:
        bucket = self.buckets.get(name)
        if bucket is None:
            if name in self.others:
                raise S3Error(401, "Unauthorized", "Unauthorized")
            raise no_such_bucket()
        return bucket

    # -- service and bucket level ----------------------------------------------------------------
    def list_buckets(self, names: list[str]) -> Reply:
        root = element("ListAllMyBucketsResult", root=True)
        owner = child(root, "Owner")
        child(owner, "ID", "pyflare")
        child(owner, "DisplayName", "pyflare")
        listed = child(root, "Buckets")
        for name in sorted(names):
            entry = child(listed, "Bucket")
            child(entry, "Name", name)
            child(entry, "CreationDate", "1970-01-01T00:00:00.000Z")
        return xml_reply(root)

    @staticmethod
    def get_bucket_location() -> Reply:
        return xml_reply(element("LocationConstraint", "auto", root=True))

    async def list_objects(self, bucket_name: str, query: Mapping[str, str]) -> Reply:
        bucket = self.bucket(bucket_name)
        v2 = query.get("list-type") == "2"
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter") or None
        encode = query.get("encoding-type") == "url"
        if query.get("encoding-type") not in (None, "url"):
            raise invalid_argument("Invalid Encoding Method specified in Request")
        try:
            max_keys = int(query.get("max-keys", "1000"))
        except ValueError:
            raise invalid_argument("Provided max-keys not an integer or within integer range") from None
        if max_keys < 0:
            raise invalid_argument("Argument maxKeys must be an integer between 0 and 2147483647")
        max_keys = min(max_keys, 1000)
        options: dict[str, Any] = {"prefix": prefix, "include": ["httpMetadata", "customMetadata"]}
        if delimiter:
            options["delimiter"] = delimiter
        if v2:
            token = query.get("continuation-token")
            if token:
                options["cursor"] = token
            if query.get("start-after"):
                options["startAfter"] = query["start-after"]
        elif query.get("marker"):
            options["startAfter"] = query["marker"]
        if max_keys:
            options["limit"] = max_keys
            page = await bucket.list(options)
        else:
            page = {"objects": [], "delimitedPrefixes": [], "truncated": False}

        def text(value: str) -> str:
            return quote(value, safe="/") if encode else value

        root = element("ListBucketResult", root=True)
        child(root, "Name", bucket_name)
        child(root, "Prefix", text(prefix))
        if v2:
            if query.get("continuation-token"):
                child(root, "ContinuationToken", query["continuation-token"])
            if query.get("start-after"):
                child(root, "StartAfter", text(query["start-after"]))
            child(root, "KeyCount", len(page["objects"]) + len(page["delimitedPrefixes"]))
        else:
            child(root, "Marker", text(query.get("marker", "")))
        child(root, "MaxKeys", max_keys)
        if delimiter:
            child(root, "Delimiter", text(delimiter))
        if encode:
            child(root, "EncodingType", "url")
        child(root, "IsTruncated", bool(page["truncated"]))
        if page["truncated"]:
            if v2:
                child(root, "NextContinuationToken", page["cursor"])
            else:
                last = max([o.key for o in page["objects"]] + list(page["delimitedPrefixes"]))
                child(root, "NextMarker", text(last))
        fetch_owner = not v2 or query.get("fetch-owner") == "true"
        for obj in page["objects"]:
            contents = child(root, "Contents")
            child(contents, "Key", text(obj.key))
            child(contents, "LastModified", iso8601(obj.uploaded))
            child(contents, "ETag", obj.httpEtag)
            child(contents, "Size", obj.size)
            child(contents, "StorageClass", S3_STORAGE_CLASS.get(obj.storageClass, "STANDARD"))
            if fetch_owner:
                owner = child(contents, "Owner")
                child(owner, "ID", "pyflare")
                child(owner, "DisplayName", "pyflare")
        for common in page["delimitedPrefixes"]:
            child(child(root, "CommonPrefixes"), "Prefix", text(common))
        return xml_reply(root)

    async def delete_objects(self, bucket_name: str, data: bytes) -> Reply:
        bucket = self.bucket(bucket_name)
        request = parse_xml(data)
        if request.tag != "Delete":
            raise malformed_xml()
        quiet = (request.findtext("Quiet") or "").strip().lower() == "true"
        keys = [node.findtext("Key") for node in request.findall("Object")]
        if not keys or any(key is None for key in keys):
            raise malformed_xml()
        if len(keys) > 1000:
            raise malformed_xml()
        root = element("DeleteResult", root=True)
        valid: list[str] = []
        for key in keys:
            assert key is not None
            try:
                V.key("delete", key)
            except r2_errors.R2Error as exc:
                error = child(root, "Error")
                child(error, "Key", key)
                child(error, "Code", type(exc).__name__)
                child(error, "Message", exc.text)
                continue
            valid.append(key)
        if valid:
            await bucket.delete(valid)
        if not quiet:
            for key in valid:
                child(child(root, "Deleted"), "Key", key)
        return xml_reply(root)

    # -- objects ---------------------------------------------------------------------------------
    async def get_object(
        self, bucket_name: str, key: str, headers: Mapping[str, str], query: Mapping[str, str], head: bool
    ) -> Reply:
        bucket = self.bucket(bucket_name)
        meta = await bucket.head(key)
        if meta is None:
            if head:
                raise S3Error(404, "NoSuchKey", "")
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.")
        status = failed_condition_status(headers, meta.etag, int(utc(meta.uploaded).timestamp() * 1000))
        if status == 412:
            raise S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
        reply_headers = _metadata_headers(meta)
        if status == 304:
            return Reply(304, [h for h in reply_headers if h[0] in ("etag", "last-modified")])
        range_header = headers.get("range")
        options: dict[str, Any] = {"onlyIf": {"etagMatches": meta.etag}}
        if range_header is not None:
            options["range"] = Headers({"range": range_header})  # as a worker passes request headers
        try:
            obj = await bucket.get(key, options)
        except r2_errors.InvalidRange:
            raise S3Error(416, "InvalidRange", "The requested range is not satisfiable") from None
        if not isinstance(obj, R2ObjectBody):  # replaced between head and get: answer as of now
            return await self.get_object(bucket_name, key, headers, query, head)
        reply_headers = _metadata_headers(obj)
        for name in _RESPONSE_OVERRIDES:
            override = query.get(f"response-{name}")
            if override is not None:
                reply_headers = [h for h in reply_headers if h[0] != name] + [(name, override)]
        offset, length = obj.range["offset"], obj.range["length"]
        status = 200
        if range_header is not None and V.single_byte_range(range_header):
            status = 206
            reply_headers.append(("content-range", f"bytes {offset}-{offset + length - 1}/{obj.size}"))
        reply_headers.append(("content-length", str(length)))
        if head:
            await obj.body.aclose()
            return Reply(status, reply_headers, b"")
        return Reply(status, reply_headers, obj.body)

    async def put_object(self, bucket_name: str, key: str, headers: Mapping[str, str], body: SpooledBody) -> Reply:
        bucket = self.bucket(bucket_name)
        options = object_options(headers)
        conditional = {name: headers[name] for name in ("if-match", "if-none-match") if name in headers}
        if conditional:
            options["onlyIf"] = conditional
        result = await bucket.put(key, body.chunks(), options)
        if result is None:
            raise S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
        return Reply(200, [("etag", result.httpEtag)])

    async def _copy_source(
        self, headers: Mapping[str, str], range_header: str | None = None
    ) -> R2ObjectBody:
        source = unquote(headers["x-amz-copy-source"]).split("?", 1)[0].lstrip("/")
        source_bucket, _, source_key = source.partition("/")
        if not source_key:
            raise invalid_argument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
        bucket = self.bucket(source_bucket)
        only_if = {
            name[len("x-amz-copy-source-"):]: headers[name]
            for name in ("x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match",
                         "x-amz-copy-source-if-modified-since", "x-amz-copy-source-if-unmodified-since")
            if name in headers
        }
        options: dict[str, Any] = {}
        if only_if:
            options["onlyIf"] = only_if
        if range_header:
            options["range"] = Headers({"range": range_header})  # as a worker passes request headers
        try:
            obj = await bucket.get(source_key, options)
        except r2_errors.InvalidRange:
            raise S3Error(416, "InvalidRange", "The requested range is not satisfiable") from None
        if obj is None:
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.")
        if not isinstance(obj, R2ObjectBody):
            raise S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
        return obj

    async def copy_object(self, bucket_name: str, key: str, headers: Mapping[str, str]) -> Reply:
        bucket = self.bucket(bucket_name)
        source = await self._copy_source(headers)
        directive = headers.get("x-amz-metadata-directive", "COPY").upper()
        if directive not in ("COPY", "REPLACE"):
            raise invalid_argument("Unknown metadata directive.")
        if directive == "REPLACE":
            http, custom = http_metadata_from(headers), custom_metadata_from(headers)
        else:
            http, custom = dict(source.httpMetadata or {}), dict(source.customMetadata or {})
        result = await bucket.put(key, source.body, httpMetadata=http, customMetadata=custom)
        assert result is not None
        root = element("CopyObjectResult", root=True)
        child(root, "LastModified", iso8601(result.uploaded))
        child(root, "ETag", result.httpEtag)
        return xml_reply(root)

    async def delete_object(self, bucket_name: str, key: str) -> Reply:
        await self.bucket(bucket_name).delete(key)
        return Reply(204)

    # -- multipart -------------------------------------------------------------------------------
    async def create_multipart_upload(self, bucket_name: str, key: str, headers: Mapping[str, str]) -> Reply:
        bucket = self.bucket(bucket_name)
        options = object_options(headers)
        upload = await bucket.createMultipartUpload(key, options)
        root = element("InitiateMultipartUploadResult", root=True)
        child(root, "Bucket", bucket_name)
        child(root, "Key", key)
        child(root, "UploadId", upload.uploadId)
        return xml_reply(root)

    @staticmethod
    def _part_number(query: Mapping[str, str]) -> int:
        raw = query.get("partNumber", "")
        if not raw.isdigit() or not 1 <= int(raw) <= 10000:
            raise invalid_argument("Part number must be an integer between 1 and 10000, inclusive")
        return int(raw)

    async def upload_part(
        self, bucket_name: str, key: str, query: Mapping[str, str], body: SpooledBody
    ) -> Reply:
        upload = self.bucket(bucket_name).resumeMultipartUpload(key, query["uploadId"])
        part = await upload.uploadPart(self._part_number(query), body.chunks())
        return Reply(200, [("etag", f'"{part["etag"]}"')])

    async def upload_part_copy(
        self, bucket_name: str, key: str, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> Reply:
        number = self._part_number(query)
        upload = self.bucket(bucket_name).resumeMultipartUpload(key, query["uploadId"])
        source = await self._copy_source(headers, headers.get("x-amz-copy-source-range"))
        part = await upload.uploadPart(number, source.body)
        root = element("CopyPartResult", root=True)
        child(root, "LastModified", iso8601(source.uploaded))
        child(root, "ETag", f'"{part["etag"]}"')
        return xml_reply(root)

    async def complete_multipart_upload(
        self, bucket_name: str, key: str, query: Mapping[str, str], data: bytes, base_url: str
    ) -> Reply:
        upload = self.bucket(bucket_name).resumeMultipartUpload(key, query["uploadId"])
        request = parse_xml(data)
        if request.tag != "CompleteMultipartUpload":
            raise malformed_xml()
        parts = []
        for node in request.findall("Part"):
            number, etag = node.findtext("PartNumber"), node.findtext("ETag")
            if number is None or etag is None or not number.strip().isdigit():
                raise malformed_xml()
            parts.append({"partNumber": int(number), "etag": etag.strip().strip('"')})
        if not parts:
            raise malformed_xml()
        result = await upload.complete(parts)
        root = element("CompleteMultipartUploadResult", root=True)
        child(root, "Location", f"{base_url}/{bucket_name}/{quote(key)}")
        child(root, "Bucket", bucket_name)
        child(root, "Key", key)
        child(root, "ETag", result.httpEtag)
        return xml_reply(root)

    async def abort_multipart_upload(self, bucket_name: str, key: str, query: Mapping[str, str]) -> Reply:
        await self.bucket(bucket_name).resumeMultipartUpload(key, query["uploadId"]).abort()
        return Reply(204)

