"""Every check R2 makes on its inputs, with Cloudflare's exact error texts.

Argument shape mistakes raise ``TypeError`` / :class:`RangeError` (workerd raises them before any
request leaves the worker); limit violations raise the :mod:`errors` R2 reports, prefixed with the method.
Also here: parsing of ranges and conditionals (``onlyIf`` dicts or ``Headers``) and the RFC 7232 test.
"""

from __future__ import annotations

import binascii
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyflare.bindings.r2 import constants as C
from pyflare.bindings.r2 import errors
from pyflare.kernel.jsconvert import js_number_text, js_string, js_to_number
from pyflare.kernel.jsvalues import date_ms, is_number, shown, usv, webidl_int
from pyflare.workers import Headers

# -- how workerd reads an option field of the wrong type ---------------------------------------------


def field_type_error(field: str, struct: str, expected: str) -> TypeError:
    """JSG's TypeError for an options field of the wrong type."""
    return TypeError(
        f"Incorrect type for the '{field}' field on '{struct}': the provided value is not of type '{expected}'."
    )


def _date_field(value: Any, field: str, struct: str) -> int:
    """A ``kj::Date`` field: a datetime or epoch milliseconds (a number); anything else, a string included,
    is refused as workerd refuses it."""
    if isinstance(value, str) or isinstance(value, bool) or not (is_number(value) or hasattr(value, "timestamp")):
        raise field_type_error(field, struct, "date")
    return date_ms(value, f"{struct}.{field}")


# -- keys and metadata ---------------------------------------------------------------------------


def encode_key(key: str) -> bytes:
    """A key as stored: its UTF-8 bytes (lone surrogates kept, as JS strings may hold them)."""
    return key.encode("utf-8", "surrogatepass")


def decode_key(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogatepass")


def key(method: str, value: Any) -> bytes:
    """Check an object key; returns its stored (UTF-8) form. A key that is not a string is read as
    JavaScript writes it (``1`` is ``"1"``); a lone surrogate reaches R2 as invalid UTF-8 and is stored as
    U+FFFD per byte (so ``"a\\ud800"`` names the object ``"a\\ufffd\\ufffd\\ufffd"``). Keys are data: any
    characters are allowed."""
    raw = encode_key(usv(js_string(value)))
    if len(raw) > C.MAX_KEY_SIZE:
        raise errors.InvalidObjectName(method)
    return raw


def _serialised_length(text: str) -> int:
    # R2 counts UTF-16 code units, doubled when any of them is outside Latin-1.
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    return units * 2 if any(ord(ch) >= 256 for ch in text) else units


def custom_metadata(method: str, value: Any, *, given: bool = False) -> dict[str, str]:
    """``customMetadata``: a dict whose values workerd reads as strings (``1`` -> ``"1"``, a list ->
    ``"1,2"``); ``None`` given (JavaScript's null) or anything but a dict is its TypeError."""
    struct = "PutOptions" if method == "put" else "MultipartOptions"
    if value is None and not given:
        return {}
    if not isinstance(value, Mapping):
        raise field_type_error("customMetadata", struct, "object")
    result: dict[str, str] = {}
    size = 0
    for name, item in value.items():
        name, item = usv(js_string(name)), usv(js_string(item))
        result[name] = item
        size += _serialised_length(name) + _serialised_length(item)
    if size > C.MAX_METADATA_SIZE:
        raise errors.MetadataTooLarge(method)
    return result


def http_metadata(method: str, value: Any) -> dict[str, Any]:
    """``httpMetadata`` as a dict (camelCase fields) or Headers; stored with cacheExpiry in epoch ms."""
    if value is None:
        return {}
    result: dict[str, Any] = {}
    if isinstance(value, Headers):
        pairs = {
            "contentType": value.get("content-type"),
            "contentEncoding": value.get("content-encoding"),
            "contentDisposition": value.get("content-disposition"),
            "contentLanguage": value.get("content-language"),
            "cacheControl": value.get("cache-control"),
            "cacheExpiry": value.get("expires"),
        }
    elif isinstance(value, Mapping):
        pairs = {name: value.get(name) for name in C.HTTP_METADATA_FIELDS}  # other keys are ignored, as in JS
    else:
        raise TypeError(f"{method}: httpMetadata must be a dict or a Headers object")
    for name, item in pairs.items():
        if item is None:
            continue
        if name == "cacheExpiry":
            if isinstance(value, Headers):
                result[name] = date_ms(item, f"{method}: httpMetadata.cacheExpiry")
            else:  # workerd wants a Date here: a string is refused
                result[name] = _date_field(item, "cacheExpiry", "HttpMetadata")
        else:
            result[name] = usv(js_string(item))  # read as a string parameter: 5 -> "5"
    return result


# -- checksums -----------------------------------------------------------------------------------


def checksum(options: Mapping[str, Any]) -> tuple[str, str, str, bytes] | None:
    """The one checksum a put() may carry: (field, hashlib name, display name, expected digest)."""
    found: tuple[str, str, str, bytes] | None = None
    for field, algorithm, display, size in C.HASHES:
        value = options.get(field)
        if value is None:
            continue
        if found is not None:
            raise TypeError("You cannot specify multiple hashing algorithms.")
        if isinstance(value, (bytes, bytearray, memoryview)):
            digest = bytes(value)
            if len(digest) != size:
                raise TypeError(f"{display} is {size} bytes, not {len(digest)}")
        elif isinstance(value, str):
            if len(value) != size * 2:
                raise TypeError(f"{display} is {size * 2} hex characters, not {len(value)}")
            try:
                digest = binascii.unhexlify(value)
            except (binascii.Error, ValueError):
                raise TypeError(f"Provided {display} wasn't a valid hex string") from None
        else:
            raise field_type_error(field, "PutOptions", "JsBufferSource or string")
        found = (field, algorithm, display, digest)
    return found


# -- list ----------------------------------------------------------------------------------------


def limit(value: Any) -> int:
    """``limit``: read as workerd reads an int (``"2"`` is 2), then sent as R2's unsigned 32-bit field whose
    default is 0xffffffff, so -1 means no limit, as on Cloudflare."""
    if value is None:
        return C.MAX_LIST_KEYS
    wire = webidl_int(js_to_number(value)) % 2**32
    if wire == 0xFFFFFFFF:
        return C.MAX_LIST_KEYS
    if wire < 1 or wire > C.MAX_LIST_KEYS:
        raise errors.InvalidMaxKeys("list")
    return wire


def include(value: Any) -> tuple[bool, bool]:
    """``include=[...]`` -> (with httpMetadata, with customMetadata)."""
    if value is None:
        return False, False
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise TypeError("list: include must be a list of strings")
    names = list(value)
    for name in names:
        if name not in ("httpMetadata", "customMetadata"):
            raise errors.RangeError(f"Unsupported include value {shown(name)}")
    return "httpMetadata" in names, "customMetadata" in names


def optional_str(method: str, name: str, value: Any) -> str | None:
    """A list option workerd declares as a non-coercible string."""
    if value is None or isinstance(value, str):
        return value
    raise field_type_error(name, "ListOptions", "string")


def delete_keys(value: Any) -> list[bytes]:
    """One key or a list of them (each read as a string, as workerd reads them)."""
    keys = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(keys) > C.MAX_DELETE_KEYS:
        raise errors.InvalidArgument(
            "delete", f"You can delete at most {C.MAX_DELETE_KEYS} keys in one call, not {len(keys)}."
        )
    return [key("delete", k) for k in keys]


def part_number(value: Any) -> int:
    """A part number as workerd reads its int parameter (``"2"`` is 2, ``1.5`` is 1), then range-checked."""
    number = webidl_int(js_to_number(value))
    if not C.MIN_PART_NUMBER <= number <= C.MAX_PART_NUMBER:
        raise TypeError(
            f"Part number must be between {C.MIN_PART_NUMBER} and {C.MAX_PART_NUMBER} (inclusive). "
            f"Actual value was: {number}"
        )
    return number


def storage_class(method: str, value: Any) -> str:
    if value is None:
        return C.STORAGE_CLASS
    if value not in C.STORAGE_CLASSES:
        raise errors.InvalidArgument(method, f"Unsupported storage class {shown(value)}.")
    return value


# -- ranges --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RangeRequest:
    """A requested range before the object's size is known."""

    offset: int | None = None
    length: int | None = None
    suffix: int | None = None
    header: str | None = None


def _whole(name: str, value: Any, message: str) -> int:
    value = js_to_number(value)  # a double field: "2" is 2
    if not math.isfinite(value):
        raise TypeError(f"range.{name} must be a finite number")
    shown_value = js_number_text(value)
    if value < 0:
        raise errors.RangeError(message.format(value=shown_value, rule="must be greater than or equal to 0."))
    if value != int(value):
        raise errors.RangeError(message.format(value=shown_value, rule="must be an integer, not floating point."))
    return int(value)


def range_request(value: Any) -> RangeRequest | None:
    """``range=`` as {offset, length} / {suffix} / a Headers object / a Range header string."""
    if value is None:
        return None
    if isinstance(value, Headers):
        header = value.get("range")
        return RangeRequest(header=header) if header is not None else None
    if not isinstance(value, Mapping):
        raise field_type_error("range", "GetOptions", "Range or Headers")
    offset, length, suffix = value.get("offset"), value.get("length"), value.get("suffix")
    if offset is not None:
        offset = _whole("offset", offset, "Invalid range. Starting offset ({value}) {rule}")
    if length is not None:
        length = _whole("length", length, "Invalid range. Length ({value}) {rule}")
    if suffix is not None:
        if value.get("offset") is not None:
            raise TypeError("Suffix is incompatible with offset.")
        if value.get("length") is not None:
            raise TypeError("Suffix is incompatible with length.")
        if isinstance(suffix, (int, float)) and not isinstance(suffix, bool) and suffix < 0:
            raise errors.RangeError(f"Invalid suffix. Suffix ({suffix}) must be greater than or equal to 0.")
        suffix = _whole("suffix", suffix, "Invalid range. Suffix ({value}) {rule}")
    return RangeRequest(offset=offset, length=length, suffix=suffix)


_RANGE_HEADER = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE | re.ASCII)


def single_byte_range(header: str) -> bool:
    """Whether a Range header asks for exactly one well-formed byte range (the only kind R2 serves)."""
    match = _RANGE_HEADER.match(header)
    return bool(match and (match.group(1) or match.group(2)) and not (
        match.group(1) and match.group(2) and int(match.group(2)) < int(match.group(1))))


def resolve_range(request: RangeRequest | None, size: int) -> tuple[int, int] | None:
    """(offset, length) of the bytes to return, None for the whole object; InvalidRange if unsatisfiable."""
    if request is None:
        return None
    if request.header is not None:
        # One well-formed range is honoured; a malformed header or several ranges give the whole object.
        match = _RANGE_HEADER.match(request.header)
        if not match or (not match.group(1) and not match.group(2)):
            return None
        first, last = match.group(1), match.group(2)
        if not first:
            suffix = int(last)
            if suffix == 0:
                raise errors.InvalidRange("get")
            suffix = min(suffix, size)
            return size - suffix, suffix
        start = int(first)
        end = int(last) if last else size - 1
        if last and end < start:
            return None  # malformed: the whole object
        if start >= size:
            raise errors.InvalidRange("get")
        end = min(end, size - 1)
        return start, end - start + 1
    offset, length = request.offset, request.length
    if request.suffix is not None:
        if request.suffix <= 0:
            raise errors.InvalidRange("get")
        suffix = min(request.suffix, size)
        offset, length = size - suffix, suffix
    if offset is None:
        offset = 0
    if length is None:
        length = size - offset
    if offset > size or length <= 0:
        raise errors.InvalidRange("get")
    return offset, min(length, size - offset)


# -- conditionals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Etag:
    value: str
    kind: str = "strong"  # "strong", "weak" or "wildcard"


@dataclass(frozen=True)
class Conditional:
    etag_matches: tuple[Etag, ...] | None = None
    etag_does_not_match: tuple[Etag, ...] | None = None
    uploaded_before: int | None = None  # epoch ms
    uploaded_after: int | None = None
    seconds_granularity: bool = False


def _etag_list(header: str, name: str) -> tuple[Etag, ...]:
    """Parse an If-Match / If-None-Match header value (RFC 7232 list of entity tags)."""
    tags: list[Etag] = []
    rest = header
    need_comma = False
    while True:
        rest = rest.lstrip(" \t")
        if not rest:
            break
        ch = rest[0]
        if ch == ",":
            rest, need_comma = rest[1:], False
            continue
        if ch == "*":
            if need_comma:
                raise errors.ConditionalHeaderError("Comma was expected to separate etags. Encountered a wildcard character '*' instead.")
            return (Etag("*", "wildcard"),)
        if ch == "W":
            if need_comma:
                raise errors.ConditionalHeaderError(
                    "Comma was expected to separate etags. Encountered a weak quotation character 'W' instead. "
                    "This would otherwise indicate the start of a new weak etag."
                )
            if not rest.startswith('W/"'):
                raise errors.ConditionalHeaderError("Weak etags must start with W/ and their value must be quoted")
            end = rest.find('"', 3)
            if end < 0:
                raise errors.ConditionalHeaderError("Unclosed double quote for Etag")
            tags.append(Etag(rest[3:end], "weak"))
            rest, need_comma = rest[end + 1 :], True
            continue
        if ch == '"':
            if need_comma:
                raise errors.ConditionalHeaderError(
                    "Comma was expected to separate etags. Encountered a double quote character '\"' instead. "
                    "This would otherwise indicate the start of a new strong etag."
                )
            end = rest.find('"', 1)
            if end < 0:
                raise errors.ConditionalHeaderError("Unclosed double quote for Etag")
            tags.append(Etag(rest[1:end]))
            rest, need_comma = rest[end + 1 :], True
            continue
        break
    if not tags:
        raise errors.ConditionalHeaderError(f"Invalid ETag in {name} header")
    return tuple(tags)


def _single_etag(value: Any, name: str) -> tuple[Etag, ...]:
    if not isinstance(value, str):  # a non-coercible string field
        raise field_type_error(name, "Conditional", "string")
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        raise TypeError(f"Conditional ETag should not be wrapped in quotes ({value}).")
    return (Etag("*", "wildcard"),) if value == "*" else (Etag(value),)


def conditional(value: Any) -> Conditional | None:
    """``onlyIf=`` as a dict (etagMatches, etagDoesNotMatch, uploadedBefore, uploadedAfter,
    secondsGranularity) or request headers (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since)."""
    if value is None:
        return None
    if isinstance(value, Mapping) and not isinstance(value, Headers):
        if any(isinstance(k, str) and k.lower().startswith("if-") for k in value):
            value = Headers(value)
    if isinstance(value, Headers):
        if_match, if_none = value.get("if-match"), value.get("if-none-match")
        modified, unmodified = value.get("if-modified-since"), value.get("if-unmodified-since")
        return Conditional(
            etag_matches=_etag_list(if_match, "if-match") if if_match is not None else None,
            etag_does_not_match=_etag_list(if_none, "if-none-match") if if_none is not None else None,
            uploaded_after=date_ms(modified, "If-Modified-Since") if modified is not None else None,
            uploaded_before=date_ms(unmodified, "If-Unmodified-Since") if unmodified is not None else None,
            seconds_granularity=True,
        )
    if not isinstance(value, Mapping):
        raise TypeError("onlyIf must be a dict or a Headers object")
    matches, not_match = value.get("etagMatches"), value.get("etagDoesNotMatch")
    before, after = value.get("uploadedBefore"), value.get("uploadedAfter")
    return Conditional(
        etag_matches=_single_etag(matches, "etagMatches") if matches is not None else None,
        etag_does_not_match=_single_etag(not_match, "etagDoesNotMatch") if not_match is not None else None,
        uploaded_before=_date_field(before, "uploadedBefore", "Conditional") if before is not None else None,
        uploaded_after=_date_field(after, "uploadedAfter", "Conditional") if after is not None else None,
        seconds_granularity=bool(value.get("secondsGranularity", False)),
    )


def _includes(tags: tuple[Etag, ...], etag: str, weak_ok: bool) -> bool:
    for tag in tags:
        if tag.kind == "wildcard":
            return True
        if tag.value == etag and (tag.kind == "strong" or weak_ok):
            return True
    return False


def condition_holds(cond: Conditional, etag: str | None, uploaded_ms: int | None) -> bool:
    """RFC 7232 evaluation as R2 does it; ``etag=None`` means the object does not exist."""
    if etag is None or uploaded_ms is None:
        return cond.etag_matches is None and cond.uploaded_after is None
    if_match = cond.etag_matches is None or _includes(cond.etag_matches, etag, weak_ok=False)
    if_none_match = cond.etag_does_not_match is None or not _includes(cond.etag_does_not_match, etag, weak_ok=True)

    def cut(ms: int) -> int:
        return (ms // 1000) * 1000 if cond.seconds_granularity else ms

    last_modified = cut(uploaded_ms)
    modified_since = (
        cond.uploaded_after is None
        or cut(cond.uploaded_after) < last_modified
        or (cond.etag_does_not_match is not None and if_none_match)
    )
    unmodified_since = (
        cond.uploaded_before is None
        or last_modified < cut(cond.uploaded_before)
        or (cond.etag_matches is not None and if_match)
    )
    return if_match and if_none_match and modified_since and unmodified_since
