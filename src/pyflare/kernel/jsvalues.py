"""How a Python value looks once it crosses into Cloudflare's runtime: the one mapping every binding's
validation uses, so bad input gets the error Cloudflare gives instead of a Python internal exception.

On Cloudflare's Python Workers a binding argument goes Python -> Pyodide -> JavaScript -> workerd (C++).
Each step has rules that pyflare mirrors here:

- **Strings** reach a binding as workerd's UTF-8 ``kj::String``: V8 joins a surrogate pair into its
  character and writes a lone surrogate as three invalid bytes, which read back as three U+FFFD
  (:func:`usv`); a KV key holding one cannot be URL-decoded by the KV service (:func:`has_lone_surrogate`).
- **Integers** declared ``int`` in workerd (KV's ``expiration``, ``expirationTtl``, ``cacheTtl``, ``limit``,
  a queue's ``delaySeconds``) are converted as JSG converts them (:func:`webidl_int`): NaN and infinities
  become 0, fractions are truncated, and a value outside 32 bits is a ``TypeError: Value out of range...``.
- **JSON** (KV metadata, queue ``json`` bodies) is written as ``JSON.stringify`` writes what the Python value
  becomes in JavaScript (:func:`json_stringify`, :mod:`pyflare.kernel.jsconvert`): compact, ``1.0`` as ``1``,
  NaN and infinities as ``null``, an int beyond 2**53 a ``TypeError``, lone surrogates escaped; a cycle is
  ``TypeError: Converting circular structure to JSON`` and a value nested deeper than the stack allows is
  ``RangeError: Maximum call stack size exceeded``.
- **Dates** (R2's ``cacheExpiry``, ``uploadedBefore``...) must be valid ``Date`` values that Python can
  also represent (years 1 to 9999) (:func:`date_ms`), so nothing stored can fail to read back.
"""

from __future__ import annotations

import email.utils
import math
import re
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Any

from pyflare.kernel.jsconvert import json_parse as _json_parse
from pyflare.kernel.jsconvert import json_text
from pyflare.kernel.jserrors import RangeError
from pyflare.kernel.jsobjects import js_string as string_of

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
OUT_OF_RANGE = f"Value out of range. Must be between {INT32_MIN} and {INT32_MAX} (inclusive)."
CIRCULAR = "Converting circular structure to JSON"
STACK_OVERFLOW = "Maximum call stack size exceeded"

# The epoch milliseconds of 0001-01-01 and 9999-12-31T23:59:59.999 UTC: the dates Python can hold.
MIN_DATE_MS = -62135596800000
MAX_DATE_MS = 253402300799999

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_MILLISECOND = timedelta(milliseconds=1)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
MAX_JSON_DEPTH = 256  # levels of arrays/objects in stored JSON (metadata, queue bodies)


# -- strings ---------------------------------------------------------------------------------------
def usv(text: str) -> str:
    """``text`` as workerd stores it and hands it back: surrogate pairs joined into their character, and a
    lone surrogate written as its three UTF-8-style bytes (V8 writes WTF-8), which read back as three
    U+FFFD (so a KV value ``"a\\ud800b"`` reads back as ``"a\\ufffd\\ufffd\\ufffdb"``, as on Cloudflare)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        return joined.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def usv_string(text: str) -> str:
    """WebIDL's USVString conversion, which web APIs apply to the strings they take (``TextEncoder``, ``URL``,
    ``URLSearchParams``): surrogate pairs joined into their character, each lone surrogate one U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a surrogate that is not half of a pair (workerd sends it as invalid UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        try:
            joined.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return False


def shown(value: Any) -> str:
    """``value`` as an error text quotes it; a value too deeply nested to print shows as JavaScript's
    ``[object Object]`` / ``[object Array]`` instead of raising RecursionError from inside the error."""
    try:
        return str(value)
    except RecursionError:
        return "[object Object]" if isinstance(value, dict) else "[object Array]"


def js_string(value: Any) -> str:
    """What JSG makes of a Python value passed where workerd declares a string: ``String(v)`` of the value
    Pyodide hands over (None is ``undefined``, 1.0 is ``"1"``, 1e-7 is ``"1e-7"``, a big int a BigInt's digits,
    a JS value its ``toString()``; a set or a dict is a PyProxy, whose ``toString()`` is Python's ``str()``),
    as well-formed Unicode."""
    if isinstance(value, str):
        return usv(value)
    try:
        return usv(string_of(value))
    except RecursionError:
        return usv(shown(value))


# -- numbers ---------------------------------------------------------------------------------------
def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def webidl_int(value: float | int) -> int:
    """A JavaScript number converted to a C++ ``int`` as JSG converts it (callers pass numbers only)."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return 0
        value = math.trunc(value)
    if not INT32_MIN <= value <= INT32_MAX:
        raise TypeError(OUT_OF_RANGE)
    return int(value)


# -- JSON ------------------------------------------------------------------------------------------
def _nesting(text: str) -> int:
    """How deeply the arrays and objects of a JSON text nest."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(1 if ch in "[{" else -1 for ch in brackets), default=0)


def json_stringify(value: Any) -> str:
    """``JSON.stringify(value)`` as UTF-8-safe text; TypeError for what JSON cannot hold.

    Values nested more than :data:`MAX_JSON_DEPTH` levels are refused with a RangeError, so everything
    stored can be parsed again wherever it is read.
    """
    try:
        text = json_text(value, lambda: TypeError(CIRCULAR))
    except RecursionError:
        raise RangeError(STACK_OVERFLOW) from None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates in strings: JSON.stringify escapes them
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if len(text) > 2 * MAX_JSON_DEPTH and _nesting(text) > MAX_JSON_DEPTH:
        raise RangeError(STACK_OVERFLOW)
    return text


def json_parse(text: str | bytes) -> Any:
    """``JSON.parse`` as a Python worker gets the result (:func:`pyflare.kernel.jsconvert.json_parse`: objects
    as :class:`JsDict`, numbers by Pyodide's rule, V8's ``SyntaxError``); RangeError if nested too deep."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        return _json_parse(text)
    except RecursionError:
        raise RangeError(STACK_OVERFLOW) from None


# -- dates -----------------------------------------------------------------------------------------
def date_ms(value: Any, what: str) -> int:
    """A date (datetime, epoch milliseconds, ISO-8601 or HTTP date string) as epoch milliseconds.

    Anything that is not a valid date, or is beyond what Python's ``datetime`` can hold, is a TypeError
    naming ``what``: it is refused before anything is stored.
    """
    ms: int | None = None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        ms = (value - datetime(1970, 1, 1, tzinfo=timezone.utc)) // _MILLISECOND
    elif is_number(value):
        if isinstance(value, float) and not math.isfinite(value):
            raise TypeError(f"{what} must be a valid date, got {shown(value)}")
        ms = math.trunc(value)
    elif isinstance(value, str):
        try:
            return date_ms(datetime.fromisoformat(value.replace("Z", "+00:00")), what)
        except ValueError:
            pass
        try:
            return date_ms(email.utils.parsedate_to_datetime(value), what)
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    if ms is None:
        raise TypeError(f"{what} must be a date (datetime, epoch milliseconds or a date string), got {shown(value)}")
    if not MIN_DATE_MS <= ms <= MAX_DATE_MS:
        raise TypeError(f"{what} must be a date between the years 1 and 9999, got {shown(value)}")
    return ms


def datetime_from_ms(ms: Any) -> datetime | None:
    """A stored epoch-milliseconds date as a UTC datetime; None if what is stored is not a usable date."""
    if not is_number(ms) or not (MIN_DATE_MS <= ms <= MAX_DATE_MS):
        return None
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + int(ms) * _MILLISECOND

