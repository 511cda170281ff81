"""The JavaScript language's own globals as Python code reaches them through Pyodide's ``js`` module.

``Object``, ``Array``, ``Map``, ``Set``, ``WeakMap``/``WeakSet``/``WeakRef``/``FinalizationRegistry``,
``JSON``, ``Math``, ``Number``, ``String``, ``Boolean``, ``Symbol``, ``BigInt``, ``Date``, ``Promise``, the
error constructors, the typed arrays and ``ArrayBuffer``/``DataView``, and the global functions
(``parseInt``, ``encodeURIComponent``...). Values follow Pyodide's conversions: a whole JS number reaches
Python as an ``int``, ``undefined``/``null`` as ``None``, an array as a :class:`~pyflare.kernel.jsobjects.JsArray`,
a plain object as a :class:`~pyflare.kernel.jsdict.JsDict`.
"""

from __future__ import annotations

import functools
import json
import math
import random
import re
import struct
import weakref
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote

from pyflare.kernel.jsdate import JsDate
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jserrors import JsException, RangeError
from pyflare.kernel.jsobjects import (
    JsArray,
    JsMap,
    JsProxy,
    JsSet,
    js_call,
    js_number,
    js_string,
    js_value,
)
from pyflare.kernel.jspromise import JsPromise
from pyflare.workers.pyodide.ffi import unwrap_proxy

MAX_SAFE_INTEGER = 2**53 - 1
Date = JsDate


# -- conversions JavaScript makes --------------------------------------------------------------------
def to_number(value: Any) -> float | int:
    """JavaScript's ``Number(value)``."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, JsDate):
        return value.getTime()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0
        try:
            if re.fullmatch(r"[+-]?(Infinity)", text):
                return math.inf if not text.startswith("-") else -math.inf
            if re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
                return int(text, 16)
            if re.fullmatch(r"0[oO][0-7]+", text):
                return int(text, 8)
            if re.fullmatch(r"0[bB][01]+", text):
                return int(text, 2)
            if not re.fullmatch(r"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)", text):
                return math.nan
            return js_value(float(text))
        except ValueError:
            return math.nan
    if isinstance(value, list):
        return to_number(value[0]) if len(value) == 1 else (0 if not value else math.nan)
    return math.nan


def truthy(value: Any) -> bool:
    """JavaScript's ``Boolean(value)``: only undefined/null, false, 0, NaN and "" are false."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def _result(number: float) -> float | int:
    return js_value(number)


# -- Object, Array, Map, Set ---------------------------------------------------------------------------
def own_entries(value: Any) -> list[tuple[str, Any]]:
    """The own enumerable string-keyed properties of a value, as ``Object.entries`` lists them."""
    value = unwrap_proxy(value)
    if isinstance(value, JsProxy):
        return value._own_entries()
    if isinstance(value, dict):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(value)]
    if isinstance(value, str):
        return [(str(i), ch) for i, ch in enumerate(value)]
    entries = getattr(value, "object_entries", None)
    if callable(entries):  # a JS-side object of pyflare's (WebSocketPair)
        return [(str(k), v) for k, v in entries()]
    if value is None:
        raise TypeError("Cannot convert undefined or null to object")
    return []


def _pairs(entries: Any) -> Iterable[tuple[Any, Any]]:
    entries = unwrap_proxy(entries)
    if isinstance(entries, dict):
        return list(entries.items())
    out = []
    for entry in entries:
        if isinstance(entry, (str, bytes)) or not hasattr(entry, "__iter__"):
            raise TypeError(f"Iterator value {js_string(entry)} is not an entry object")
        items = list(entry)
        out.append((items[0] if items else None, items[1] if len(items) > 1 else None))
    return out


class Object:
    """``js.Object``: building and reading plain objects (:class:`~pyflare.kernel.jsdict.JsDict`)."""

    @staticmethod
    def new(value: Any = None) -> Any:
        return JsDict() if value is None else value

    @staticmethod
    def fromEntries(entries: Any) -> JsDict:  # noqa: N802 - JS names
        return JsDict((js_string(k) if not isinstance(k, str) else k, v) for k, v in _pairs(entries))

    @staticmethod
    def keys(value: Any) -> JsArray:
        return JsArray(k for k, _ in own_entries(value))

    @staticmethod
    def values(value: Any) -> JsArray:
        return JsArray(v for _, v in own_entries(value))

    @staticmethod
    def entries(value: Any) -> JsArray:
        return JsArray(JsArray(pair) for pair in own_entries(value))

    @staticmethod
    def assign(target: Any, *sources: Any) -> Any:
        target = unwrap_proxy(target)
        for source in sources:
            if source is None:
                continue
            for key, value in own_entries(source):
                if isinstance(target, dict):
                    target[key] = value
                else:
                    setattr(target, key, value)
        return target

    @staticmethod
    def create(proto: Any = None, *_: Any) -> JsDict:
        return JsDict()

    @staticmethod
    def freeze(value: Any) -> Any:
        return value

    @staticmethod
    def isFrozen(value: Any) -> bool:  # noqa: N802
        return not isinstance(value, (dict, list, JsProxy))

    @staticmethod
    def getOwnPropertyNames(value: Any) -> JsArray:  # noqa: N802
        return Object.keys(value)

    @staticmethod
    def hasOwn(value: Any, key: Any) -> bool:  # noqa: N802
        return (key if isinstance(key, str) else js_string(key)) in dict(own_entries(value))

    @staticmethod
    def is_(a: Any, b: Any) -> bool:
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        if isinstance(a, (int, float, str, bool)) or a is None:
            return type(a) is type(b) and a == b
        return a is b


class Array:
    """``js.Array``: ``Array.new(3)``, ``Array.new(1, 2)``, ``Array.isArray``, ``Array.of``, ``Array.from_``."""

    @staticmethod
    def new(*items: Any) -> JsArray:
        if len(items) == 1 and isinstance(items[0], (int, float)) and not isinstance(items[0], bool):
            length = items[0]
            if length < 0 or length != int(length) or length > 2**32 - 1:
                raise RangeError("Invalid array length")
            return JsArray([None] * int(length))
        return JsArray(items)

    @staticmethod
    def isArray(value: Any) -> bool:  # noqa: N802
        return isinstance(value, (list, tuple))

    @staticmethod
    def of(*items: Any) -> JsArray:
        return JsArray(items)

    @staticmethod
    def from_(items: Any, map_fn: Callable[..., Any] | None = None) -> JsArray:
        items = unwrap_proxy(items)
        if isinstance(items, dict) and "length" in items:  # an array-like {length: n}
            values = [items.get(str(i), items.get(i)) for i in range(int(items["length"]))]
        elif isinstance(items, (int, float)) or items is None:
            values = []
        else:
            values = list(items)
        if map_fn is not None:
            values = [js_call(map_fn, v, i) for i, v in enumerate(values)]
        return JsArray(values)


class Map:
    """``js.Map``: ``Map.new()`` or ``Map.new(pairs)``; a :class:`~pyflare.kernel.jsobjects.JsMap`."""

    @staticmethod
    def new(entries: Any = None) -> JsMap:
        result = JsMap()
        if entries is not None:
            for key, value in _pairs(entries):
                result[key] = value
        return result

    @staticmethod
    def groupBy(items: Iterable[Any], callback: Callable[..., Any]) -> JsMap:  # noqa: N802
        groups = JsMap()
        for i, item in enumerate(items):
            groups.setdefault(js_call(callback, item, i), JsArray()).append(item)
        return groups


class Set:
    """``js.Set``: ``Set.new()`` or ``Set.new(iterable)``; a :class:`~pyflare.kernel.jsobjects.JsSet`."""

    @staticmethod
    def new(values: Any = None) -> JsSet:
        return JsSet(unwrap_proxy(values) or ())


def _weak_key(key: Any, what: str) -> Any:
    if key is None or isinstance(key, (int, float, str, bool)):
        raise TypeError(f"Invalid value used {what}")
    return key


def _same(value: Any) -> Any:
    return value


class _WeakMapObject(JsProxy):
    """Entries keyed by the key's identity; a key Python can weakly reference is dropped once it is gone,
    one it cannot (a dict, a list) is held while the map lives."""

    __slots__ = ("_entries",)
    js_type = "WeakMap"

    def __init__(self) -> None:
        self._entries: dict[int, tuple[Callable[[], Any], Any]] = {}

    def _find(self, key: Any) -> tuple[Callable[[], Any], Any] | None:
        entry = self._entries.get(id(key))
        return entry if entry is not None and entry[0]() is key else None

    def set(self, key: Any, value: Any) -> _WeakMapObject:
        key = _weak_key(key, "as weak map key")
        entries, marker = self._entries, id(key)
        ref: Callable[[], Any]
        try:
            ref = weakref.ref(key, lambda _: entries.pop(marker, None))
        except TypeError:
            ref = functools.partial(_same, key)
        entries[marker] = (ref, value)
        return self

    def get(self, key: Any) -> Any:
        entry = self._find(key)
        return None if entry is None else entry[1]

    def has(self, key: Any) -> bool:
        return self._find(key) is not None

    def delete(self, key: Any) -> bool:
        if self._find(key) is None:
            return False
        del self._entries[id(key)]
        return True


class WeakMap:
    """``js.WeakMap``: object keys, by identity, held weakly where Python allows."""

    @staticmethod
    def new(entries: Any = None) -> _WeakMapObject:
        result = _WeakMapObject()
        for key, value in _pairs(entries or []):
            result.set(key, value)
        return result


class _WeakSetObject(JsProxy):
    __slots__ = ("_map",)
    js_type = "WeakSet"

    def __init__(self) -> None:
        self._map = WeakMap.new()

    def add(self, value: Any) -> _WeakSetObject:
        _weak_key(value, "in weak set")
        self._map.set(value, True)
        return self

    def has(self, value: Any) -> bool:
        return self._map.has(value)

    def delete(self, value: Any) -> bool:
        return self._map.delete(value)


class WeakSet:
    @staticmethod
    def new(values: Any = None) -> _WeakSetObject:
        result = _WeakSetObject()
        for value in values or ():
            result.add(value)
        return result


class _WeakRefObject(JsProxy):
    __slots__ = ("_ref",)
    js_type = "WeakRef"

    def __init__(self, target: Any) -> None:
        _weak_key(target, "as weak reference target")
        try:
            self._ref: Callable[[], Any] = weakref.ref(target)
        except TypeError:  # not weak-referenceable: held strongly
            self._ref = lambda: target

    def deref(self) -> Any:
        return self._ref()


class WeakRef:
    @staticmethod
    def new(target: Any) -> _WeakRefObject:
        return _WeakRefObject(target)


class _Registry(JsProxy):
    __slots__ = ("_callback", "_tokens")
    js_type = "FinalizationRegistry"

    def __init__(self, callback: Callable[[Any], Any]) -> None:
        self._callback = callback
        self._tokens: dict[int, list[weakref.finalize]] = {}  # type: ignore[type-arg]

    def register(self, target: Any, held: Any = None, token: Any = None) -> None:
        finalizer = weakref.finalize(target, self._callback, held)
        if token is not None:
            self._tokens.setdefault(id(token), []).append(finalizer)

    def unregister(self, token: Any) -> bool:
        finalizers = self._tokens.pop(id(token), [])
        for finalizer in finalizers:
            finalizer.detach()
        return bool(finalizers)


class FinalizationRegistry:
    @staticmethod
    def new(callback: Callable[[Any], Any]) -> _Registry:
        return _Registry(callback)


# -- JSON -----------------------------------------------------------------------------------------------
def _syntax_error(message: str) -> JsException:
    error = JsException(message)
    error.name = "SyntaxError"
    return error


def _from_json_number(text: str) -> float | int:
    return js_value(float(text))


def _to_js_structure(value: Any) -> Any:
    if isinstance(value, list):
        return JsArray(_to_js_structure(v) for v in value)
    if isinstance(value, dict):
        return JsDict((k, _to_js_structure(v)) for k, v in value.items())
    return value


def json_parse(text: Any, reviver: Callable[..., Any] | None = None) -> Any:
    """``JSON.parse``: objects as JsDict, arrays as JsArray, whole numbers as int; errors are SyntaxErrors."""
    text = js_string(text) if not isinstance(text, str) else text
    try:
        value = json.loads(text, parse_float=_from_json_number, parse_int=_from_json_number,
                           parse_constant=_bad_constant)
    except json.JSONDecodeError as exc:
        if not text.strip() or exc.pos >= len(text):
            raise _syntax_error("Unexpected end of JSON input") from None
        shown = text if len(text) <= 30 else text[:30] + '"...'
        raise _syntax_error(f'Unexpected token \'{text[exc.pos]}\', "{shown}" is not valid JSON') from None
    except RecursionError:
        raise RangeError("Maximum call stack size exceeded") from None
    value = _to_js_structure(value)
    if reviver is not None:
        holder = JsDict({"": value})
        return _revive(holder, "", reviver)
    return value


def _bad_constant(name: str) -> Any:
    raise json.JSONDecodeError("bad constant", name, 0)


def _revive(holder: Any, key: Any, reviver: Callable[..., Any]) -> Any:
    value = holder[key]
    if isinstance(value, dict):
        for k in list(value):
            revived = _revive(value, k, reviver)
            if revived is None:
                del value[k]
            else:
                value[k] = revived
    elif isinstance(value, list):
        for i in range(len(value)):
            value[i] = _revive(value, i, reviver)
    return js_call(reviver, str(key) if not isinstance(key, str) else key, value)


def json_stringify(value: Any, replacer: Any = None, space: Any = None) -> str | None:
    """``JSON.stringify`` as V8 writes it (JS numbers, ``toJSON``, undefined members left out)."""
    indent = ""
    if isinstance(space, (int, float)) and not isinstance(space, bool):
        indent = " " * max(0, min(10, int(space)))
    elif isinstance(space, str):
        indent = space[:10]
    allowed = None
    if isinstance(replacer, (list, tuple)):
        allowed = [js_string(k) if not isinstance(k, str) else k for k in replacer]
        replacer = None
    writer = _JsonWriter(replacer, allowed, indent)
    return writer.write(JsDict({"": value}), "", value, "")


_SKIP: Any = object()


class _JsonWriter:
    def __init__(self, replacer: Callable[..., Any] | None, allowed: list[str] | None, indent: str) -> None:
        self.replacer, self.allowed, self.indent = replacer, allowed, indent
        self.stack: list[int] = []

    def write(self, holder: Any, key: Any, value: Any, prefix: str) -> Any:
        value = unwrap_proxy(value)
        to_json = getattr(value, "toJSON", None) if not isinstance(value, dict) else None
        if callable(to_json):
            value = to_json(key)
        if self.replacer is not None:
            value = js_call(self.replacer, key, value)
        if value is None:  # pyflare's None is JavaScript's null (Pyodide's jsnull is None here)
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if isinstance(value, int):
            if abs(value) > 2**53:  # Pyodide hands such an int to JavaScript as a BigInt
                raise TypeError("Do not know how to serialize a BigInt")
            return str(value)
        if isinstance(value, float):
            return js_number(value) if math.isfinite(value) else "null"
        if isinstance(value, str):
            return json.dumps(value, ensure_ascii=False)
        if callable(value) and not isinstance(value, (JsProxy, dict, list)):
            return _SKIP
        if id(value) in self.stack:
            raise TypeError("Converting circular structure to JSON")
        self.stack.append(id(value))
        try:
            inner = prefix + self.indent
            if isinstance(value, (list, tuple)):
                parts = []
                for i, item in enumerate(value):
                    written = self.write(value, str(i), item, inner)
                    parts.append("null" if written is _SKIP else written)
                return self._wrap("[", "]", parts, prefix, inner)
            if isinstance(value, (JsMap, JsSet)):  # no enumerable properties: "{}", as in JavaScript
                entries = []
            elif isinstance(value, dict):
                entries = list(value.items())
            else:
                entries = own_entries(value)
            parts = []
            for k, item in entries:
                k = js_string(k) if not isinstance(k, str) else k
                if self.allowed is not None and k not in self.allowed:
                    continue
                written = self.write(value, k, item, inner)
                if written is _SKIP:
                    continue
                separator = ": " if self.indent else ":"
                parts.append(json.dumps(k, ensure_ascii=False) + separator + written)
            return self._wrap("{", "}", parts, prefix, inner)
        finally:
            self.stack.pop()

    def _wrap(self, open_: str, close: str, parts: list[str], prefix: str, inner: str) -> str:
        if not parts:
            return open_ + close
        if not self.indent:
            return open_ + ",".join(parts) + close
        return open_ + "\n" + inner + (",\n" + inner).join(parts) + "\n" + prefix + close


class JSON:
    """``js.JSON``: ``parse(text, reviver)`` and ``stringify(value, replacer, space)``."""

    parse = staticmethod(json_parse)

    @staticmethod
    def stringify(value: Any, replacer: Any = None, space: Any = None) -> str | None:
        result = json_stringify(value, replacer, space)
        return None if result is _SKIP else result


# -- Math, Number, String, Boolean, BigInt, Symbol -----------------------------------------------------
def _math(func: Callable[..., float]) -> Callable[..., float | int]:
    def call(*args: Any) -> float | int:
        numbers = [float(to_number(a)) for a in args]
        try:
            return _result(func(*numbers))
        except (ValueError, OverflowError):
            return math.nan

    return call


def _js_round(x: float) -> float:
    return x if not math.isfinite(x) else float(math.floor(x + 0.5))


def _min_max(pick: Callable[..., float], empty: float) -> Callable[..., float | int]:
    def call(*args: Any) -> float | int:
        numbers = [float(to_number(a)) for a in args]
        if any(math.isnan(n) for n in numbers):
            return math.nan
        return _result(pick(numbers) if numbers else empty)

    return call


class Math:
    """``js.Math``: JavaScript's math functions and constants (``Math.round`` rounds halves up, as in JS)."""

    E, LN2, LN10, LOG2E, LOG10E = math.e, math.log(2), math.log(10), 1 / math.log(2), 1 / math.log(10)
    PI, SQRT2, SQRT1_2 = math.pi, math.sqrt(2), math.sqrt(0.5)
    abs = staticmethod(_math(abs))
    ceil = staticmethod(_math(lambda x: float(math.ceil(x)) if math.isfinite(x) else x))
    floor = staticmethod(_math(lambda x: float(math.floor(x)) if math.isfinite(x) else x))
    trunc = staticmethod(_math(lambda x: float(math.trunc(x)) if math.isfinite(x) else x))
    round = staticmethod(_math(_js_round))
    sign = staticmethod(_math(lambda x: x if x == 0 or math.isnan(x) else math.copysign(1.0, x)))
    sqrt = staticmethod(_math(lambda x: math.sqrt(x) if x >= 0 else math.nan))
    cbrt = staticmethod(_math(lambda x: math.copysign(abs(x) ** (1 / 3), x)))
    pow = staticmethod(_math(lambda x, y: math.pow(x, y)))
    exp = staticmethod(_math(math.exp))
    expm1 = staticmethod(_math(math.expm1))
    log = staticmethod(_math(lambda x: math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)))
    log2 = staticmethod(_math(lambda x: math.log2(x) if x > 0 else (-math.inf if x == 0 else math.nan)))
    log10 = staticmethod(_math(lambda x: math.log10(x) if x > 0 else (-math.inf if x == 0 else math.nan)))
    log1p = staticmethod(_math(math.log1p))
    sin, cos, tan = staticmethod(_math(math.sin)), staticmethod(_math(math.cos)), staticmethod(_math(math.tan))
    asin, acos, atan = staticmethod(_math(math.asin)), staticmethod(_math(math.acos)), staticmethod(_math(math.atan))
    sinh, cosh, tanh = staticmethod(_math(math.sinh)), staticmethod(_math(math.cosh)), staticmethod(_math(math.tanh))
    asinh, acosh, atanh = (staticmethod(_math(math.asinh)), staticmethod(_math(math.acosh)),
                           staticmethod(_math(math.atanh)))
    atan2 = staticmethod(_math(math.atan2))
    hypot = staticmethod(_math(lambda *xs: math.hypot(*xs)))
    fround = staticmethod(_math(lambda x: struct.unpack("f", struct.pack("f", x))[0]))
    max = staticmethod(_min_max(max, -math.inf))
    min = staticmethod(_min_max(min, math.inf))

    @staticmethod
    def random() -> float:
        return random.random()

    @staticmethod
    def imul(a: Any, b: Any) -> int:
        result = (int(to_number(a)) * int(to_number(b))) & 0xFFFFFFFF
        return result - (1 << 32) if result >= 1 << 31 else result

    @staticmethod
    def clz32(x: Any) -> int:
        value = int(to_number(x)) & 0xFFFFFFFF
        return 32 - value.bit_length()


def parse_int(text: Any, radix: Any = None) -> float | int:
    """``parseInt``: the leading integer of a string in base ``radix`` (2-36; 16 for 0x), else NaN."""
    text = js_string(text).strip()
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-") if text[:1] in "+-" else text
    base = int(to_number(radix)) if radix is not None else 0
    if base == 0:
        base = 10
        if text[:2].lower() == "0x":
            text, base = text[2:], 16
    elif base == 16 and text[:2].lower() == "0x":
        text = text[2:]
    if not 2 <= base <= 36:
        return math.nan
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"[:base]
    end = 0
    while end < len(text) and text[end].lower() in digits:
        end += 1
    if end == 0:
        return math.nan
    return _result(float(sign * int(text[:end], base))) if end > 15 else sign * int(text[:end], base)


def parse_float(text: Any) -> float | int:
    """``parseFloat``: the leading decimal number of a string, else NaN."""
    text = js_string(text).strip()
    match = re.match(r"[+-]?(Infinity|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)", text)
    if not match:
        return math.nan
    token = match.group(0)
    if token.lstrip("+-") == "Infinity":
        return -math.inf if token.startswith("-") else math.inf
    return _result(float(token))


class Number:
    """``js.Number``: ``Number(x)`` converts as JavaScript does; the static helpers and constants."""

    MAX_SAFE_INTEGER, MIN_SAFE_INTEGER = MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER
    EPSILON, MAX_VALUE, MIN_VALUE = 2.0**-52, 1.7976931348623157e308, 5e-324
    NaN, POSITIVE_INFINITY, NEGATIVE_INFINITY = math.nan, math.inf, -math.inf
    parseInt = staticmethod(parse_int)  # noqa: N815
    parseFloat = staticmethod(parse_float)  # noqa: N815

    def __new__(cls, value: Any = 0) -> Any:  # type: ignore[misc]
        return to_number(value)

    @staticmethod
    def isInteger(value: Any) -> bool:  # noqa: N802
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())

    @staticmethod
    def isSafeInteger(value: Any) -> bool:  # noqa: N802
        return Number.isInteger(value) and abs(value) <= MAX_SAFE_INTEGER

    @staticmethod
    def isFinite(value: Any) -> bool:  # noqa: N802
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    @staticmethod
    def isNaN(value: Any) -> bool:  # noqa: N802
        return isinstance(value, float) and math.isnan(value)


class String:
    """``js.String``: ``String(x)`` converts as JavaScript does; ``fromCharCode``, ``fromCodePoint``."""

    def __new__(cls, value: Any = "") -> Any:  # type: ignore[misc]
        return js_string(value)

    @staticmethod
    def fromCharCode(*codes: Any) -> str:  # noqa: N802
        units = [int(to_number(c)) & 0xFFFF for c in codes]
        return b"".join(u.to_bytes(2, "little") for u in units).decode("utf-16-le", "surrogatepass")

    @staticmethod
    def fromCodePoint(*points: Any) -> str:  # noqa: N802
        out = []
        for point in points:
            number = to_number(point)
            if not isinstance(number, int) or not 0 <= number <= 0x10FFFF:
                raise RangeError(f"Invalid code point {js_string(point)}")
            out.append(chr(number))
        return "".join(out)


class Boolean:
    """``js.Boolean``: ``Boolean(x)`` is JavaScript's truthiness."""

    def __new__(cls, value: Any = False) -> Any:  # type: ignore[misc]
        return truthy(value)


class BigInt:
    """``js.BigInt``: ``BigInt(x)`` is a Python ``int`` (Pyodide converts BigInts to ints)."""

    def __new__(cls, value: Any) -> Any:  # type: ignore[misc]
        if isinstance(value, float):
            if not value.is_integer():
                raise RangeError(f"The number {js_number(value)} cannot be converted to a BigInt because it is "
                                 "not an integer")
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip() or "0", 0)
            except ValueError:
                raise _syntax_error(f"Cannot convert {value} to a BigInt") from None
        return int(value)

    @staticmethod
    def asUintN(bits: int, value: int) -> int:  # noqa: N802
        return int(value) & ((1 << int(bits)) - 1)

    @staticmethod
    def asIntN(bits: int, value: int) -> int:  # noqa: N802
        value = int(value) & ((1 << int(bits)) - 1)
        return value - (1 << int(bits)) if bits and value >= 1 << (int(bits) - 1) else value


class JsSymbol(JsProxy):
    __slots__ = ("description",)
    js_type = "Symbol"

    def __init__(self, description: str | None = None) -> None:
        self.description = description

    @property
    def typeof(self) -> str:
        return "symbol"

    def toString(self) -> str:  # noqa: N802
        return f"Symbol({self.description or ''})"

    __repr__ = toString


class _SymbolConstructor:
    """``js.Symbol``: ``Symbol("desc")`` makes a unique symbol; the well-known ones are attributes."""

    def __init__(self) -> None:
        self._registry: dict[str, JsSymbol] = {}
        for name in ("iterator", "asyncIterator", "hasInstance", "toPrimitive", "toStringTag", "species",
                     "match", "replace", "search", "split", "unscopables", "isConcatSpreadable", "dispose",
                     "asyncDispose"):
            setattr(self, name, JsSymbol(f"Symbol.{name}"))

    def __call__(self, description: Any = None) -> JsSymbol:
        return JsSymbol(None if description is None else js_string(description))

    def new(self, *_: Any) -> Any:
        raise TypeError("Symbol is not a constructor")

    def for_(self, key: Any) -> JsSymbol:
        key = js_string(key)
        return self._registry.setdefault(key, JsSymbol(key))

    def keyFor(self, symbol: JsSymbol) -> str | None:  # noqa: N802
        return symbol.description if self._registry.get(symbol.description or "") is symbol else None


Symbol = _SymbolConstructor()


# -- errors -----------------------------------------------------------------------------------------
def _named(name: str) -> Callable[[str], BaseException]:
    def make(message: str) -> BaseException:
        error = JsException(message)
        error.name = name
        return error

    return make


class _ErrorConstructor:
    """A JavaScript error constructor: ``Error.new("message")`` (or ``Error("message")``) gives the exception
    pyflare raises for that JavaScript error (:mod:`pyflare.kernel.jserrors`), ready to ``raise``."""

    def __init__(self, name: str, make: Callable[[str], BaseException]) -> None:
        self.name = name
        self._make = make

    def new(self, message: Any = "", options: Any = None, **kwargs: Any) -> BaseException:
        error = self._make("" if message is None else js_string(message))
        cause = (options or {}).get("cause") if isinstance(options, dict) else kwargs.get("cause")
        if cause is not None:
            error.__cause__ = cause if isinstance(cause, BaseException) else None
        return error

    __call__ = new

    @staticmethod
    def captureStackTrace(*_: Any) -> None:  # noqa: N802
        return None

    def __repr__(self) -> str:
        return f"[class {self.name}]"


Error = _ErrorConstructor("Error", JsException)
TypeError_ = _ErrorConstructor("TypeError", TypeError)
RangeError_ = _ErrorConstructor("RangeError", RangeError)
SyntaxError_ = _ErrorConstructor("SyntaxError", _named("SyntaxError"))
ReferenceError_ = _ErrorConstructor("ReferenceError", _named("ReferenceError"))
EvalError_ = _ErrorConstructor("EvalError", _named("EvalError"))
URIError_ = _ErrorConstructor("URIError", _named("URIError"))


class _AggregateErrorConstructor(_ErrorConstructor):
    def new(self, errors: Any = (), message: Any = "", options: Any = None, **kwargs: Any) -> BaseException:
        error = super().new(message, options, **kwargs)
        error.errors = JsArray(errors)  # type: ignore[attr-defined]
        return error

    __call__ = new


AggregateError = _AggregateErrorConstructor("AggregateError", _named("AggregateError"))

CODE_GENERATION = "Code generation from strings disallowed for this context"


def eval_(*_: Any) -> Any:
    """``eval``: refused on Cloudflare (workerd disallows code generation from strings), so here too."""
    raise EvalError_.new(CODE_GENERATION)


class Function:
    """``js.Function``: ``Function.new("return 1")`` is refused as on Cloudflare (no code from strings)."""

    @staticmethod
    def new(*_: Any) -> Any:
        raise EvalError_.new(CODE_GENERATION)

    __call__ = new


# -- Promise ------------------------------------------------------------------------------------------
class Promise:
    """``js.Promise``: ``Promise.new(executor)``, ``resolve``, ``reject``, ``all``, ``allSettled``, ``race``,
    ``any``, ``withResolvers``; each gives an awaitable :class:`~pyflare.kernel.jspromise.JsPromise`."""

    @staticmethod
    def new(executor: Callable[..., Any]) -> JsPromise:
        promise = JsPromise()
        try:
            js_call(executor, promise._resolve, promise._reject)
        except Exception as exc:
            promise._reject(exc)
        return promise

    resolve = staticmethod(JsPromise.resolve)
    reject = staticmethod(JsPromise.reject)

    @staticmethod
    def withResolvers() -> JsDict:  # noqa: N802
        promise = JsPromise()
        return JsDict(promise=promise, resolve=promise._resolve, reject=promise._reject)

    @staticmethod
    def all(items: Iterable[Any]) -> JsPromise:
        async def gather() -> JsArray:
            return JsArray([await JsPromise.resolve(item) for item in promises])

        promises = [JsPromise.resolve(item) for item in items]
        return JsPromise.of(gather())

    @staticmethod
    def allSettled(items: Iterable[Any]) -> JsPromise:  # noqa: N802
        async def settle() -> JsArray:
            results = JsArray()
            for promise in promises:
                try:
                    results.append(JsDict(status="fulfilled", value=await promise))
                except Exception as exc:
                    results.append(JsDict(status="rejected", reason=exc))
            return results

        promises = [JsPromise.resolve(item) for item in items]
        return JsPromise.of(settle())

    @staticmethod
    def race(items: Iterable[Any]) -> JsPromise:
        result = JsPromise()
        for item in items:
            JsPromise.resolve(item).then(result._resolve, result._reject)
        return result

    @staticmethod
    def any(items: Iterable[Any]) -> JsPromise:
        result = JsPromise()
        promises = [JsPromise.resolve(item) for item in items]
        errors: list[Any] = [None] * len(promises)
        pending = [len(promises)]

        def failed(index: int) -> Callable[[BaseException], None]:
            def record(error: BaseException) -> None:
                errors[index] = error
                pending[0] -= 1
                if pending[0] == 0:
                    result._reject(AggregateError.new(errors, "All promises were rejected"))
            return record

        for index, promise in enumerate(promises):
            promise.then(result._resolve, failed(index))
        if not promises:
            result._reject(AggregateError.new([], "All promises were rejected"))
        return result


# -- global functions ---------------------------------------------------------------------------------
_URI_COMPONENT_SAFE = "-_.!~*'()"
_URI_SAFE = _URI_COMPONENT_SAFE + ";,/?:@&=+$#"


def _encode(text: Any, safe: str) -> str:
    text = js_string(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise URIError_.new("URI malformed") from None
    return quote(text, safe=safe)


def encodeURIComponent(text: Any) -> str:  # noqa: N802
    return _encode(text, _URI_COMPONENT_SAFE)


def encodeURI(text: Any) -> str:  # noqa: N802
    return _encode(text, _URI_SAFE)


def _decode(text: Any, reserved: str) -> str:
    text = js_string(text)
    if re.search(r"%(?![0-9a-fA-F]{2})", text):
        raise URIError_.new("URI malformed")
    if reserved:  # decodeURI leaves escapes of reserved characters alone
        text = re.sub(r"%(2[346BCFbcf]|3[ABDFabdf]|40)", lambda m: "%25" + m.group(1), text)
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise URIError_.new("URI malformed") from None


def decodeURIComponent(text: Any) -> str:  # noqa: N802
    return _decode(text, "")


def decodeURI(text: Any) -> str:  # noqa: N802
    return _decode(text, ";/?:@&=+$,#")


def isNaN(value: Any) -> bool:  # noqa: N802
    number = to_number(value)
    return isinstance(number, float) and math.isnan(number)


def isFinite(value: Any) -> bool:  # noqa: N802
    number = to_number(value)
    return math.isfinite(number)


parseInt = parse_int  # noqa: N816 - JS names
parseFloat = parse_float  # noqa: N816
NaN = math.nan
Infinity = math.inf
undefined = None

__all__ = [
    "JSON", "AggregateError", "Array", "BigInt", "Boolean", "Date", "Error", "FinalizationRegistry", "Function",
    "Infinity", "Map", "Math", "NaN", "Number", "Object", "Promise", "Set", "String", "Symbol", "WeakMap",
    "WeakRef", "WeakSet", "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "eval_",
    "isFinite", "isNaN", "own_entries", "parseFloat", "parseInt", "to_number", "truthy", "undefined",
]
