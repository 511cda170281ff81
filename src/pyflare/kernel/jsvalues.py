"""How a Python value looks once it crosses into Cloudflare's runtime: the one mapping every binding's
validation uses, so bad input gets the error Cloudflare gives instead of a Python internal exception.

On Cloudflare's Python Workers a binding argument goes Python -> Pyodide -> JavaScript -> workerd (C++).
Each step has rules that pyflare mirrors here:

- **Strings** reach a binding as workerd's UTF-8 ``kj::String``: V8 writes a lone surrogate as U+FFFD and
  joins a surrogate pair into its character (:func:`usv`). So ``KV.put("\\ud800", v)`` stores the key
  ``"\\ufffd"``, as production does, instead of failing deep inside SQLite.
- **Integers** declared ``int`` in workerd (KV's ``expiration``, ``expirationTtl``, ``cacheTtl``, ``limit``,
  a queue's ``delaySeconds``) are converted as JSG converts them (:func:`webidl_int`): NaN and infinities
  become 0, fractions are truncated, and a value outside 32 bits is a ``TypeError: Value out of range...``.
- **JSON** (KV metadata, queue ``json`` bodies) is written as ``JSON.stringify`` writes it
  (:func:`json_stringify`): compact, NaN and infinities as ``null``, lone surrogates escaped; a cycle is
  ``TypeError: Converting circular structure to JSON`` and a value nested deeper than the stack allows is
  ``RangeError: Maximum call stack size exceeded``.
- **Dates** (R2's ``cacheExpiry``, ``uploadedBefore``...) must be valid ``Date`` values that Python can
  also represent (years 1 to 9999) (:func:`date_ms`), so nothing stored can fail to read back.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Any

from pyflare.kernel.jsdict import JsDict
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
    """``text`` as workerd receives it: lone surrogates replaced by U+FFFD, surrogate pairs joined."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


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
def _plain(value: Any, seen: set[int]) -> Any:
    """A copy of ``value`` JSON can write as JSON.stringify would (non-finite floats become None)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple, dict)):
        marker = id(value)
        if marker in seen:
            raise TypeError(CIRCULAR)
        seen.add(marker)
        try:
            if isinstance(value, dict):
                return {k: _plain(v, seen) for k, v in value.items()}
            return [_plain(v, seen) for v in value]
        finally:
            seen.discard(marker)
    return value


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
        try:
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except ValueError:  # NaN / Infinity, or a cycle: take the slow, exact path
            text = json.dumps(_plain(value, set()), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
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
    """Parse JSON with objects as :class:`JsDict`; RangeError (not RecursionError) if nested too deep."""
    try:
        return json.loads(text, object_hook=JsDict)
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

