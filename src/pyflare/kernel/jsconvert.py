"""Values crossing between Python and JavaScript, as Pyodide and the Python Workers SDK convert them.

On Cloudflare a Python worker's argument becomes a JavaScript value (``python_to_rpc``: an ``int`` within
±2**53 a number, beyond it a BigInt, ``None`` null, ``bytes`` a Uint8Array, a ``dict`` an object, a ``set``
a Set, a ``datetime`` a Date), and the runtime then converts that value the way each API declares:
``String(x)`` for a string parameter, ``ToNumber(x)`` for a number. Results come back the other way: a
JavaScript number is a Python ``int`` when it is integral and within ±2**53, else a ``float`` (so SQL's
``1.0`` reaches Python as ``1``); a Date is a naive datetime (UTC, the Workers time zone).

JSON goes through JavaScript too: :func:`json_parse` is ``JSON.parse`` (big integers rounded to doubles,
V8's ``SyntaxError`` texts) followed by those number rules, :func:`json_stringify` is ``JSON.stringify``
of what the Python value became (``1.0`` is written ``1``, a BigInt is a ``TypeError``, bytes an object of
indexes). Every binding that takes or returns such values uses these functions.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jserrors import JsException

__all__ = [
    "MAX_SAFE_INTEGER", "BigIntError", "datetime_iso", "is_bigint", "js_number", "js_number_text", "js_string",
    "js_to_number", "json_parse", "json_text", "naive_utc",
]

MAX_SAFE_INTEGER = 2**53  # Pyodide's bound (inclusive) between a JS number and a BigInt, both ways
BIGINT_TO_NUMBER = "Cannot convert a BigInt value to a number"
BIGINT_TO_JSON = "Do not know how to serialize a BigInt"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class BigIntError(TypeError):
    """A Python int beyond ±2**53 became a BigInt where JavaScript wants a number (a ``TypeError`` there)."""


# -- numbers -------------------------------------------------------------------------------------------
def is_bigint(value: Any) -> bool:
    """Whether a Python value reaches JavaScript as a BigInt (an int beyond ±2**53)."""
    return type(value) is int and not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER


def js_number(value: float | int) -> int | float:
    """The Python value Pyodide gives for a JavaScript number (a double): an ``int`` when the double is
    integral and within ±2**53, else a ``float``. Python ints beyond 2**53 are rounded to the double first,
    as they are when they travel as JavaScript numbers (SQL results, JSON)."""
    number = float(value)
    if number.is_integer() and -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:
        return int(number)
    return number


def js_number_text(number: float) -> str:
    """``String(number)`` (ECMAScript Number::toString): ``1`` for 1.0, ``1e+21``, ``1.5e-7``, ``NaN``."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    digits, exponent = _shortest_digits(abs(number))
    k, n = len(digits), exponent  # value = 0.digits * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = f"{mantissa}e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return sign + text


def _shortest_digits(number: float) -> tuple[str, int]:
    """The shortest round-trip digits of a positive float (``repr`` finds them, as V8 does) and n such that
    number = 0.<digits> * 10**n."""
    mantissa, _, exponent_text = repr(number).lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    written = whole + fraction
    significant = written.lstrip("0")
    n = len(whole) + int(exponent_text or 0) - (len(written) - len(significant))
    return significant.rstrip("0") or "0", n


_JS_NUMBER = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_JS_WHITESPACE = " \t\n\r\v\f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" \
                 "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def _string_to_number(text: str) -> float:
    text = text.strip(_JS_WHITESPACE)
    if text == "":
        return 0.0
    lowered = text.lower()
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if lowered.startswith(prefix):
            try:
                return float(int(text[2:], base)) if text[2:] and "_" not in text else math.nan
            except ValueError:
                return math.nan
    if not _JS_NUMBER.fullmatch(text):
        return math.nan
    return float(text.replace("Infinity", "inf"))


def js_to_number(value: Any) -> float:
    """``ToNumber`` of what the Python value becomes in JavaScript (a numeric string converts, ``None`` is
    0, a list or dict is NaN...); a BigInt (an int beyond ±2**53) is :class:`BigIntError`."""
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if type(value) is int or isinstance(value, int) and not isinstance(value, bool):
        if is_bigint(value):
            raise BigIntError(BIGINT_TO_NUMBER)
        return float(value)
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return _string_to_number(value)
    if isinstance(value, datetime):
        return float(_date_ms(value))
    if isinstance(value, (list, bytes, bytearray, memoryview)):
        return _string_to_number(js_string(value))
    return math.nan


# -- strings -------------------------------------------------------------------------------------------
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def js_string(value: Any) -> str:
    """``String(x)`` of what the Python value becomes in JavaScript: how workerd reads a string parameter
    given something else (``1.0`` -> ``"1"``, ``None`` -> ``"null"``, ``[1, 2]`` -> ``"1,2"``, a dict ->
    ``"[object Object]"``)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)  # a number below 2**53 prints whole; a BigInt prints its digits too
    if isinstance(value, float):
        return js_number_text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ",".join(str(b) for b in bytes(value))
    if isinstance(value, (list, tuple)):
        return ",".join("" if item is None else js_string(item) for item in value)
    if isinstance(value, (set, frozenset)):
        return "[object Set]"
    if isinstance(value, datetime):
        utc = value.astimezone(timezone.utc) if value.tzinfo else value
        return (f"{_WEEKDAYS[utc.weekday()]} {_MONTHS[utc.month - 1]} {utc.day:02d} {utc.year:04d} "
                f"{utc:%H:%M:%S} GMT+0000 (Coordinated Universal Time)")
    if isinstance(value, dict):
        return "[object Object]"
    if callable(value):
        return str(value)
    return "[object Object]"


# -- dates ---------------------------------------------------------------------------------------------
def _date_ms(value: datetime) -> int:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return (aware - _EPOCH) // timedelta(milliseconds=1)


def naive_utc(value: datetime) -> datetime:
    """A datetime as Python receives a JavaScript Date: naive, in UTC (the SDK's ``fromtimestamp`` in the
    Workers time zone, UTC)."""
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo is not None else value


# -- JSON ----------------------------------------------------------------------------------------------
def json_text(value: Any, on_circular: Callable[[], Exception]) -> str:
    """``JSON.stringify`` of the JavaScript value a Python value becomes: ``1.0`` is ``1``, ``-0.0`` is
    ``0``, NaN and infinities ``null``, ``1e-05`` is ``0.00001``, bytes an object of indexes, a set ``{}``,
    a datetime its ISO text. An int beyond ±2**53 (a BigInt) is :class:`BigIntError`, a cycle
    ``on_circular()``; a value nested too deeply for Python raises RecursionError."""
    out: list[str] = []
    seen: set[int] = set()

    def write(item: Any) -> None:
        if item is None:
            out.append("null")
        elif item is True:
            out.append("true")
        elif item is False:
            out.append("false")
        elif isinstance(item, str):
            out.append(json.dumps(item, ensure_ascii=False))
        elif isinstance(item, int):
            if is_bigint(item):
                raise BigIntError(BIGINT_TO_JSON)
            out.append(str(int(item)))
        elif isinstance(item, float):
            out.append(js_number_text(item) if math.isfinite(item) else "null")
        elif isinstance(item, datetime):
            out.append(f'"{datetime_iso(item)}"')
        elif isinstance(item, (bytes, bytearray, memoryview)):  # a Uint8Array: an object of its indexes
            out.append("{" + ",".join(f'"{i}":{b}' for i, b in enumerate(bytes(item))) + "}")
        elif isinstance(item, (list, tuple, dict)):
            marker = id(item)
            if marker in seen:
                raise on_circular()
            seen.add(marker)
            if isinstance(item, dict):
                out.append("{")
                for index, (key, element) in enumerate(item.items()):
                    if index:
                        out.append(",")
                    out.append(json.dumps(js_string(key), ensure_ascii=False))
                    out.append(":")
                    write(element)
                out.append("}")
            else:
                out.append("[")
                for index, element in enumerate(item):
                    if index:
                        out.append(",")
                    write(element)
                out.append("]")
            seen.discard(marker)
        elif isinstance(item, (set, frozenset)):  # a Set has no own enumerable properties
            out.append("{}")
        else:
            raise TypeError(f"Object of type {type(item).__name__} is not JSON serializable")

    write(value)
    return "".join(out)


def datetime_iso(value: datetime) -> str:
    """``Date.prototype.toISOString`` (what ``JSON.stringify`` writes for a Date)."""
    ms = _date_ms(value)
    moment = _EPOCH + timedelta(milliseconds=ms)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def json_parse(text: str) -> Any:
    """``JSON.parse(text)`` as a Python worker receives the result: objects as :class:`JsDict`, numbers by
    Pyodide's rule (integral -> ``int``, beyond ±2**53 -> ``float``), invalid JSON a ``SyntaxError`` (a
    :class:`JsException` named so) with V8's message."""
    try:
        return json.loads(
            text, object_hook=JsDict, parse_int=_parse_number, parse_float=_parse_number,
            parse_constant=_refuse_constant,
        )
    except (ValueError, _NotJson):
        raise _syntax_error(text) from None


class _NotJson(Exception):
    pass


def _parse_number(text: str) -> int | float:
    return js_number(float(text))


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)


def _syntax_error(text: str) -> JsException:
    error = JsException(_V8JsonError(text).message())
    error.name = "SyntaxError"
    return error


class _V8JsonError:
    """Finds where JSON text goes wrong and words it as V8's ``JSON.parse`` does."""

    def __init__(self, text: str) -> None:
        # Scanned as JavaScript sees it: UTF-16 code units (a character beyond U+FFFF is two of them).
        self.text = "".join(ch if ord(ch) <= 0xFFFF else _pair(ch) for ch in text)
        self.pos = 0

    def message(self) -> str:
        return _joined(self._message())

    def _message(self) -> str:
        try:
            self._skip()
            self._value()
            self._skip()
            if self.pos < len(self.text):
                return self._at("Unexpected non-whitespace character after JSON", suffix="")
        except _Fail as failure:
            return failure.message
        return "Unexpected end of JSON input"  # unreachable for text Python refused

    def _at(self, what: str, pos: int | None = None, suffix: str = " in JSON") -> str:
        pos = self.pos if pos is None else pos
        before = self.text[:pos]
        line = before.count("\n") + 1
        column = pos - (before.rfind("\n") + 1) + 1
        return f"{what}{suffix} at position {pos} (line {line} column {column})"

    def _fail(self, what: str) -> _Fail:
        return _Fail(self._at(what))

    def _unexpected(self) -> _Fail:
        """A token where no particular one was expected (V8's ReportUnexpectedToken without a message)."""
        if self.pos >= len(self.text):
            return _Fail("Unexpected end of JSON input")
        char = self.text[self.pos]
        if char == '"':
            return self._fail("Unexpected string")
        if char.isdigit() or char == "-":
            return self._fail("Unexpected number")
        source = self.text
        if len(source) < 21:
            return _Fail(f"Unexpected token '{char}', \"{source}\" is not valid JSON")
        start, end = max(0, self.pos - 10), min(len(source), self.pos + 10)
        context = source[start:end]
        lead = "..." if start > 0 else ""
        tail = "..." if end < len(source) else ""
        return _Fail(f"Unexpected token '{char}', {lead}\"{context}\"{tail} is not valid JSON")

    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\n\r":
            self.pos += 1

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _value(self) -> None:
        char = self._peek()
        if char == "{":
            self._object()
        elif char == "[":
            self._array()
        elif char == '"':
            self._string()
        elif char == "-" or char.isdigit():
            self._number()
        else:
            for word in ("true", "false", "null"):
                if self.text.startswith(word, self.pos):
                    self.pos += len(word)
                    return
            raise self._unexpected()

    def _object(self) -> None:
        self.pos += 1
        self._skip()
        if self._peek() == "}":
            self.pos += 1
            return
        while True:
            if self._peek() != '"':
                raise self._fail("Expected property name or '}'")
            self._string()
            self._skip()
            if self._peek() != ":":
                raise self._fail("Expected ':' after property name")
            self.pos += 1
            self._skip()
            self._value()
            self._skip()
            char = self._peek()
            if char == "}":
                self.pos += 1
                return
            if char != ",":
                raise self._fail("Expected ',' or '}' after property value")
            self.pos += 1
            self._skip()
            if self._peek() != '"':
                raise self._fail("Expected double-quoted property name")

    def _array(self) -> None:
        self.pos += 1
        self._skip()
        if self._peek() == "]":
            self.pos += 1
            return
        while True:
            self._value()
            self._skip()
            char = self._peek()
            if char == "]":
                self.pos += 1
                return
            if char != ",":
                raise self._fail("Expected ',' or ']' after array element")
            self.pos += 1
            self._skip()
            if self._peek() == "]":
                raise self._unexpected()

    def _string(self) -> None:
        self.pos += 1
        while True:
            if self.pos >= len(self.text):
                raise _Fail(self._at("Unterminated string"))
            char = self.text[self.pos]
            if char == '"':
                self.pos += 1
                return
            if char == "\\":
                escape = self.text[self.pos + 1 : self.pos + 2]
                if escape == "u":
                    hex_digits = self.text[self.pos + 2 : self.pos + 6]
                    if len(hex_digits) < 4 or any(c not in "0123456789abcdefABCDEF" for c in hex_digits):
                        raise self._fail("Bad Unicode escape")
                    self.pos += 6
                    continue
                if escape not in ('"', "\\", "/", "b", "f", "n", "r", "t"):
                    raise self._fail("Bad escaped character")
                self.pos += 2
                continue
            if ord(char) < 0x20:
                raise self._fail("Bad control character in string literal")
            self.pos += 1

    def _number(self) -> None:
        if self._peek() == "-":
            self.pos += 1
            if not self._peek().isdigit():
                raise self._fail("No number after minus sign")
        if self._peek() == "0":
            self.pos += 1
        else:
            while self._peek().isdigit():
                self.pos += 1
        if self._peek() == ".":
            self.pos += 1
            if not self._peek().isdigit():
                raise self._fail("Unterminated fractional number")
            while self._peek().isdigit():
                self.pos += 1
        if self._peek() in ("e", "E"):
            self.pos += 1
            if self._peek() in ("+", "-"):
                self.pos += 1
            if not self._peek().isdigit():
                raise self._fail("Exponent part is missing a number")
            while self._peek().isdigit():
                self.pos += 1


def _pair(char: str) -> str:
    code = ord(char) - 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))


def _joined(text: str) -> str:
    """UTF-16 code units back into characters (a lone surrogate stays one)."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


class _Fail(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
