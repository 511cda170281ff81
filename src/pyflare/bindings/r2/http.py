"""R2 objects over plain HTTP: the headers an object is served with, and which status a failed
conditional request gets. Shared by the S3 endpoint and the public-bucket endpoint, so both answer
ranges and conditionals the same way over the one R2 model."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping

from pyflare.bindings.r2 import validation as V
from pyflare.bindings.r2.objects import R2Object, utc
from pyflare.workers import Headers

# R2 sorts S3 storage classes under its own names.
S3_STORAGE_CLASS = {"Standard": "STANDARD", "InfrequentAccess": "STANDARD_IA"}
R2_STORAGE_CLASS = {v: k for k, v in S3_STORAGE_CLASS.items()}

_PRECONDITIONS = ("if-match", "if-unmodified-since")
_VALIDATORS = ("if-none-match", "if-modified-since")
_CONDITIONAL = _PRECONDITIONS + _VALIDATORS


def http_date(ms: int) -> str:
    return email.utils.formatdate(ms / 1000, usegmt=True)


def object_headers(obj: R2Object) -> list[tuple[str, str]]:
    """Content-Type and the rest of httpMetadata, ETag, Last-Modified, Accept-Ranges."""
    headers: dict[str, str] = {}
    obj.writeHttpMetadata(headers)
    headers["etag"] = obj.httpEtag
    headers["last-modified"] = http_date(int(utc(obj.uploaded).timestamp() * 1000))
    headers["accept-ranges"] = "bytes"
    return list(headers.items())


def failed_condition_status(request_headers: Mapping[str, str], etag: str, uploaded_ms: int) -> int | None:
    """None when the request's conditional headers hold; else 412 (a precondition failed) or 304
    (a cache validator failed), in RFC 7232 section 6's order. Malformed conditionals are ignored
    as HTTP servers do."""
    present = {name: request_headers[name] for name in _CONDITIONAL if request_headers.get(name) is not None}
    if not present:
        return None
    try:
        preconditions = {k: v for k, v in present.items() if k in _PRECONDITIONS}
        if preconditions:
            cond = V.conditional(Headers(preconditions))
            if cond is not None and not V.condition_holds(cond, etag, uploaded_ms):
                return 412
        cond = V.conditional(Headers(present))
    except Exception:  # the etag parser raises plain Exception; an unparsable validator is ignored
        return None
    if cond is not None and not V.condition_holds(cond, etag, uploaded_ms):
        return 304
    return None
