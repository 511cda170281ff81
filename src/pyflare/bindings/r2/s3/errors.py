"""S3's XML error documents, and the mapping from R2's errors to S3's codes and statuses."""

from __future__ import annotations

from xml.sax.saxutils import escape

from pyflare.bindings.r2 import errors as r2_errors

# R2's error classes are named after S3's codes; only the HTTP status differs for some.
_S3_STATUS = {"NoSuchUpload": 404, "NoSuchKey": 404, "InvalidRange": 416, "PreconditionFailed": 412}


class S3Error(Exception):
    """An S3 error answer: status, Code, Message and any extra fields, in R2's XML form."""

    def __init__(self, status: int, code: str, message: str, extra: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra or {}

    def body(self) -> bytes:
        # R2's <Error> documents carry no xmlns, and escape ' as &apos;.
        entities = {"'": "&apos;", '"': "&quot;"}
        extra = "".join(f"<{k}>{escape(v, entities)}</{k}>" for k, v in self.extra.items())
        return (
            '<?xml version="1.0" encoding="UTF-8"?><Error>'
            f"<Code>{self.code}</Code><Message>{escape(self.message, entities)}</Message>{extra}</Error>"
        ).encode()

    @classmethod
    def from_r2(cls, error: r2_errors.R2Error) -> S3Error:
        code = type(error).__name__
        if code in ("R2Error", "InternalError"):
            return cls(500, "InternalError", error.text)
        if code == "BadUpload":
            code = "InvalidPart"
        return cls(_S3_STATUS.get(code, error.status), code, error.text)


def no_such_bucket() -> S3Error:
    return S3Error(404, "NoSuchBucket", "The specified bucket does not exist.")


def not_implemented(operation: str) -> S3Error:
    return S3Error(501, "NotImplemented", f"{operation} not implemented")


def route_not_found() -> S3Error:
    return S3Error(404, "RouteNotFound", "No route matches this url.")


def invalid_argument(message: str) -> S3Error:
    return S3Error(400, "InvalidArgument", message)


def malformed_xml() -> S3Error:
    return S3Error(400, "MalformedXML",
                   "The XML you provided was not well-formed or did not validate against our published schema.")
