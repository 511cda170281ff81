"""R2's errors. workerd turns every R2 failure into ``Error("<method>: <message> (<code>)")``;
pyflare raises :class:`R2Error` subclasses with that exact message, plus ``code`` and ``status``
attributes. Argument mistakes are ``TypeError`` / :class:`RangeError` as in JavaScript."""

from __future__ import annotations

from pyflare.bindings.r2 import constants as C
from pyflare.kernel.jserrors import RangeError as RangeError  # argument errors are the kernel's RangeError


class ConditionalHeaderError(Exception):
    """A malformed If-Match / If-None-Match header (a plain JavaScript ``Error`` on Cloudflare)."""


class R2Error(Exception):
    """An error R2 reported for one call; ``str(error)`` is Cloudflare's text."""

    status = 500
    code = C.INTERNAL_ERROR
    text = "We encountered an internal error. Please try again."

    def __init__(self, method: str, text: str | None = None) -> None:
        self.method = method
        if text is not None:
            self.text = text
        super().__init__(f"{method}: {self.text} ({self.code})")


class InternalError(R2Error):
    pass


class NoSuchKey(R2Error):
    status, code, text = 404, C.NO_SUCH_KEY, "The specified key does not exist."


class EntityTooLarge(R2Error):
    status, code = 400, C.ENTITY_TOO_LARGE
    text = "Your proposed upload exceeds the maximum allowed object size."


class EntityTooSmall(R2Error):
    status, code = 400, C.ENTITY_TOO_SMALL
    text = "Your proposed upload is smaller than the minimum allowed object size."


class MetadataTooLarge(R2Error):
    status, code = 400, C.METADATA_TOO_LARGE
    text = "Your metadata headers exceed the maximum allowed metadata size."


class InvalidObjectName(R2Error):
    status, code, text = 400, C.INVALID_OBJECT_NAME, "The specified object name is not valid."


class InvalidMaxKeys(R2Error):
    status, code, text = 400, C.INVALID_MAX_KEYS, "MaxKeys params must be positive integer <= 1000."


class NoSuchUpload(R2Error):
    status, code, text = 400, C.NO_SUCH_UPLOAD, "The specified multipart upload does not exist."


class InvalidPart(R2Error):
    status, code, text = 400, C.INVALID_PART, "One or more of the specified parts could not be found."


class InvalidArgument(R2Error):
    status, code, text = 400, C.INVALID_ARGUMENT, "Invalid argument."


class PreconditionFailed(R2Error):
    status, code = 412, C.PRECONDITION_FAILED
    text = "At least one of the pre-conditions you specified did not hold."


class BadDigest(R2Error):
    status, code = 400, C.BAD_DIGEST

    def __init__(self, method: str, algorithm: str, provided: bytes, actual: bytes) -> None:
        super().__init__(
            method,
            f"The {algorithm} checksum you specified did not match what we received.\n"
            f"You provided a {algorithm} checksum with value: {provided.hex()}\n"
            f"Actual {algorithm} was: {actual.hex()}",
        )


class InvalidRange(R2Error):
    status, code, text = 416, C.INVALID_RANGE, "The requested range is not satisfiable"


class BadUpload(R2Error):
    status, code, text = 500, C.BAD_UPLOAD, "There was a problem with the multipart upload."


__all__ = [
    "BadDigest",
    "ConditionalHeaderError",
    "BadUpload",
    "EntityTooLarge",
    "EntityTooSmall",
    "InternalError",
    "InvalidArgument",
    "InvalidMaxKeys",
    "InvalidObjectName",
    "InvalidPart",
    "InvalidRange",
    "MetadataTooLarge",
    "NoSuchKey",
    "NoSuchUpload",
    "PreconditionFailed",
    "R2Error",
    "RangeError",
]
