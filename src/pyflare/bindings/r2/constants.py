"""R2's limits and fixed values, as named numbers (production Cloudflare's, see docs/r2.md)."""

from __future__ import annotations

MAX_KEY_SIZE = 1024  # bytes of UTF-8
MAX_METADATA_SIZE = 2048  # custom metadata, counted as R2 counts it (see validation.metadata_size)
MAX_VALUE_SIZE = 5 * 1024**3 - 5 * 1024**2  # 5 GiB - 5 MiB, one put or one part
MAX_LIST_KEYS = 1000
MAX_DELETE_KEYS = 1000
MIN_PART_SIZE = 5 * 1024**2  # every part but the last of a multipart upload
MIN_PART_NUMBER = 1
MAX_PART_NUMBER = 10000
STORAGE_CLASS = "Standard"
STORAGE_CLASSES = ("Standard", "InfrequentAccess")

# The hash algorithms put() accepts, as (option name, hashlib name, display name, digest size).
HASHES: tuple[tuple[str, str, str, int], ...] = (
    ("md5", "md5", "MD5", 16),
    ("sha1", "sha1", "SHA-1", 20),
    ("sha256", "sha256", "SHA-256", 32),
    ("sha384", "sha384", "SHA-384", 48),
    ("sha512", "sha512", "SHA-512", 64),
)

HTTP_METADATA_FIELDS = (
    "contentType",
    "contentLanguage",
    "contentDisposition",
    "contentEncoding",
    "cacheControl",
    "cacheExpiry",
)

# Multipart upload states in the metadata database.
UPLOAD_IN_PROGRESS = 0
UPLOAD_COMPLETED = 1
UPLOAD_ABORTED = 2

# Error codes R2 reports ("v4 codes").
INTERNAL_ERROR = 10001
NO_SUCH_KEY = 10007
ENTITY_TOO_LARGE = 100100
ENTITY_TOO_SMALL = 10011
METADATA_TOO_LARGE = 10012
INVALID_OBJECT_NAME = 10020
INVALID_MAX_KEYS = 10022
NO_SUCH_UPLOAD = 10024
INVALID_PART = 10025
INVALID_ARGUMENT = 10029
PRECONDITION_FAILED = 10031
BAD_DIGEST = 10037
INVALID_RANGE = 10039
BAD_UPLOAD = 10048
