"""JavaScript-side values held in Python, shaped as Pyodide's ``JsProxy`` shows them to Python code.

On Cloudflare's Python Workers a JavaScript object reaches Python as a Pyodide ``JsProxy``. pyflare's
JS-side values are Python objects deriving from :class:`JsProxy`, so code written for Pyodide finds what it
finds there:

- binary data (:class:`ArrayBuffer`, the typed arrays such as :class:`Uint8Array`, :class:`DataView`) with
  ``to_bytes()``, ``to_py()`` (a ``memoryview``), ``byteLength``, ``slice()``; a typed array is a view of its
  ``buffer``, so writing through one view is seen through the others, as in JavaScript;
- :class:`JsArray` (a JS ``Array``: a Python list with ``length``, ``slice``, ``push``, ``includes``...),
  :class:`JsMap` (a JS ``Map``: a Python mapping with ``size``, ``has``, ``entries``...) and :class:`JsSet`;
- (:mod:`pyflare.kernel.jsdate` has ``JsDate``, a JS ``Date`` on pyflare's clock).

``to_py()`` converts as Pyodide documents (Array to list, Map and plain objects to dict, Set to set, buffers
to memoryview; any other object is left alone). A buffer also compares equal to the same bytes
(``event.data == b"..."``). :class:`JsClass` is the metaclass of classes that, as in Pyodide, are built
with ``Cls.new(...)``.
"""

from __future__ import annotations

import array
import math
import struct
from collections.abc import Callable, Iterator
from typing import Any

from pyflare.kernel.jserrors import RangeError

__all__ = [
    "TYPED_ARRAYS", "ArrayBuffer", "BigInt64Array", "BigUint64Array", "DataView", "Float32Array", "Float64Array",
    "Int8Array", "Int16Array", "Int32Array", "JsArray", "JsBuffer", "JsClass", "JsMap", "JsProxy",
    "JsSet", "TypedArray", "Uint8Array", "Uint8ClampedArray", "Uint16Array", "Uint32Array", "as_bytes",
    "js_call", "js_number", "js_string", "js_value", "to_py",
]


class JsClass(type):
    """JavaScript classes are built with ``Cls.new(...)`` from Python, as in Pyodide; ``Cls()`` is refused."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"Class constructor {cls.__name__} cannot be invoked without 'new': "
                        f"use {cls.__name__}.new(...)")

    def _make(cls, *args: Any, **kwargs: Any) -> Any:
        return super().__call__(*args, **kwargs)


class _Constructor:
    """What ``value.constructor`` gives: the JavaScript class, as far as Python code asks (its ``name``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"[class {self.name}]"


def to_py(value: Any, depth: int = -1) -> Any:
    """``value`` converted as Pyodide's ``to_py`` converts (JS values to Python ones, ``depth`` levels deep)."""
    if depth == 0 or not isinstance(value, JsProxy):
        return value
    return value.to_py(depth=depth)


def js_call(func: Callable[..., Any], *args: Any) -> Any:
    """Call a Python callable that JavaScript calls back (``arr.map(f)``, a stream's ``pull``): Pyodide passes
    every argument JavaScript passes, so a function taking fewer fails as it would there."""
    return func(*args)


class JsProxy:
    """Stands for a JavaScript object. pyflare's JS-side values are Python objects deriving from this."""

    __slots__ = ()
    js_type = "Object"  # the name of the JavaScript class (``value.constructor.name``)

    @property
    def constructor(self) -> _Constructor:
        return _Constructor(type(self).js_type)

    @property
    def typeof(self) -> str:
        return "object"

    @property
    def js_id(self) -> int:
        return id(self)

    def to_py(self, *, depth: int = -1, default_converter: Any = None) -> Any:
        return self

    def _own_entries(self) -> list[tuple[str, Any]]:
        """The object's own enumerable properties, for ``Object.keys/values/entries``."""
        return []

    def object_keys(self) -> JsArray:
        return JsArray(k for k, _ in self._own_entries())

    def object_values(self) -> JsArray:
        return JsArray(v for _, v in self._own_entries())

    def object_entries(self) -> JsArray:
        return JsArray(JsArray(pair) for pair in self._own_entries())

    def as_object_map(self, *, hereditary: bool = False) -> dict[str, Any]:
        return dict(self._own_entries())

    def toString(self) -> str:  # noqa: N802 - JS name
        return f"[object {type(self).js_type}]"

    def __str__(self) -> str:
        return self.toString()

    def __repr__(self) -> str:
        return f"[object {type(self).js_type}]"


# -- arrays, maps, sets ------------------------------------------------------------------------------
def _index(value: Any, length: int, default: int) -> int:
    """A JavaScript relative index (``slice``, ``at``...): negative counts from the end, clamped."""
    if value is None:
        return default
    value = int(value)
    if value < 0:
        return max(length + value, 0)
    return min(value, length)


class JsArray(list, JsProxy):  # type: ignore[misc]
    """A JavaScript ``Array``: a Python list (Pyodide's ``JsArray`` is a MutableSequence) with the JS methods.

    Callbacks (``map``, ``filter``, ``forEach``...) are called with ``(value, index, array)``, as JavaScript
    calls them; Python's own list methods (``pop``, ``append``, ``index``, ``count``, ``reverse``, ``sort``)
    keep their Python meaning, as on a Pyodide ``JsArray``.
    """

    __slots__ = ()
    js_type = "Array"

    @property
    def length(self) -> int:
        return len(self)

    def to_py(self, *, depth: int = -1, default_converter: Any = None) -> list[Any]:
        return [to_py(item, depth - 1) for item in self]

    def _own_entries(self) -> list[tuple[str, Any]]:
        return [(str(i), v) for i, v in enumerate(self)]

    def push(self, *items: Any) -> int:
        self.extend(items)
        return len(self)

    def shift(self) -> Any:
        return list.pop(self, 0) if self else None

    def unshift(self, *items: Any) -> int:
        self[0:0] = items
        return len(self)

    def slice(self, start: int | None = None, end: int | None = None) -> JsArray:
        n = len(self)
        return JsArray(list.__getitem__(self, slice(_index(start, n, 0), _index(end, n, n))))

    def splice(self, start: int, delete_count: int | None = None, *items: Any) -> JsArray:
        n = len(self)
        begin = _index(start, n, 0)
        stop = n if delete_count is None else min(n, begin + max(int(delete_count), 0))
        removed = JsArray(list.__getitem__(self, slice(begin, stop)))
        self[begin:stop] = items
        return removed

    def concat(self, *others: Any) -> JsArray:
        out = JsArray(self)
        for other in others:
            if isinstance(other, list):
                out.extend(other)
            else:
                out.append(other)
        return out

    def at(self, index: int) -> Any:
        i = int(index)
        if i < 0:
            i += len(self)
        return list.__getitem__(self, i) if 0 <= i < len(self) else None

    def includes(self, value: Any) -> bool:
        return value in self

    def indexOf(self, value: Any) -> int:  # noqa: N802 - JS names
        return self.index(value) if value in self else -1

    def lastIndexOf(self, value: Any) -> int:  # noqa: N802
        for i in range(len(self) - 1, -1, -1):
            if list.__getitem__(self, i) == value:
                return i
        return -1

    def join(self, separator: str = ",") -> str:
        return str(separator).join("" if v is None else js_string(v) for v in self)

    def forEach(self, callback: Callable[..., Any]) -> None:  # noqa: N802
        for i, v in enumerate(list(self)):
            js_call(callback, v, i, self)

    def map(self, callback: Callable[..., Any]) -> JsArray:
        return JsArray(js_call(callback, v, i, self) for i, v in enumerate(list(self)))

    def filter(self, callback: Callable[..., Any]) -> JsArray:
        return JsArray(v for i, v in enumerate(list(self)) if js_call(callback, v, i, self))

    def find(self, callback: Callable[..., Any]) -> Any:
        return next((v for i, v in enumerate(list(self)) if js_call(callback, v, i, self)), None)

    def findIndex(self, callback: Callable[..., Any]) -> int:  # noqa: N802
        return next((i for i, v in enumerate(list(self)) if js_call(callback, v, i, self)), -1)

    def some(self, callback: Callable[..., Any]) -> bool:
        return any(js_call(callback, v, i, self) for i, v in enumerate(list(self)))

    def every(self, callback: Callable[..., Any]) -> bool:
        return all(js_call(callback, v, i, self) for i, v in enumerate(list(self)))

    def reduce(self, callback: Callable[..., Any], *initial: Any) -> Any:
        items = list(enumerate(list(self)))
        if initial:
            acc = initial[0]
        elif items:
            acc = items.pop(0)[1]
        else:
            raise TypeError("Reduce of empty array with no initial value")
        for i, v in items:
            acc = js_call(callback, acc, v, i, self)
        return acc

    def flat(self, depth: int = 1) -> JsArray:
        out = JsArray()
        for v in self:
            if isinstance(v, list) and depth > 0:
                out.extend(JsArray(v).flat(depth - 1))
            else:
                out.append(v)
        return out

    def fill(self, value: Any, start: int | None = None, end: int | None = None) -> JsArray:
        n = len(self)
        for i in range(_index(start, n, 0), _index(end, n, n)):
            self[i] = value
        return self

    def entries(self) -> Iterator[JsArray]:
        # (no ``keys()``: dict(array_of_pairs) would take the array for a mapping)
        return (JsArray((i, v)) for i, v in enumerate(self))

    def toString(self) -> str:  # noqa: N802
        return self.join(",")

    def __repr__(self) -> str:
        return list.__repr__(self)

    def __getitem__(self, index: Any) -> Any:
        result = list.__getitem__(self, index)
        return JsArray(result) if isinstance(index, slice) else result


class JsMap(dict, JsProxy):  # type: ignore[misc]
    """A JavaScript ``Map``: a Python mapping, as Pyodide's ``JsMap`` (``m[k]``, ``k in m``, ``len(m)``,
    ``keys()``/``values()``/``items()``/``get(k, default)``, iteration over the keys), with the JS methods
    too (``size``, ``has``, ``set``, ``delete``, ``entries()``, ``forEach``). A key that is not a method name
    also reads as an attribute, as Cloudflare's SDK lets binding results be read (``result.key``)."""

    __slots__ = ()
    js_type = "Map"

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def size(self) -> int:
        return len(self)

    def has(self, key: Any) -> bool:
        return key in self

    def set(self, key: Any, value: Any) -> JsMap:
        self[key] = value
        return self

    def delete(self, key: Any) -> bool:
        return self.pop(key, _MISSING) is not _MISSING

    def entries(self) -> Iterator[JsArray]:
        return (JsArray(pair) for pair in list(self.items()))

    def forEach(self, callback: Callable[..., Any]) -> None:  # noqa: N802
        for key, value in list(self.items()):
            js_call(callback, value, key, self)

    def to_py(self, *, depth: int = -1, default_converter: Any = None) -> dict[Any, Any]:
        return {to_py(k, depth - 1): to_py(v, depth - 1) for k, v in self.items()}

    def __repr__(self) -> str:
        return f"Map({dict.__repr__(self)})"


class JsSet(set, JsProxy):  # type: ignore[misc]
    """A JavaScript ``Set``: a Python set with ``size``, ``has``, ``delete``, ``forEach`` and JS's ``add``
    (which returns the set)."""

    __slots__ = ()
    js_type = "Set"

    @property
    def size(self) -> int:
        return len(self)

    def has(self, value: Any) -> bool:
        return value in self

    def add(self, value: Any) -> JsSet:  # type: ignore[override]
        set.add(self, value)
        return self

    def delete(self, value: Any) -> bool:
        if value in self:
            self.discard(value)
            return True
        return False

    def values(self) -> Iterator[Any]:
        return iter(list(self))

    keys = values

    def entries(self) -> Iterator[JsArray]:
        return (JsArray((v, v)) for v in list(self))

    def forEach(self, callback: Callable[..., Any]) -> None:  # noqa: N802
        for value in list(self):
            js_call(callback, value, value, self)

    def to_py(self, *, depth: int = -1, default_converter: Any = None) -> set[Any]:
        return {to_py(v, depth - 1) for v in self}

    def __repr__(self) -> str:
        return f"Set({set.__repr__(self)})"


_MISSING: Any = object()


# -- binary data ------------------------------------------------------------------------------------
def as_bytes(value: Any) -> bytes | None:
    """The bytes of a bytes-like value or a JS buffer (ArrayBuffer, typed array, DataView); None otherwise."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, JsBuffer):
        return value.to_bytes()
    return None


class JsBuffer(JsProxy):
    """An ArrayBuffer, a typed array or a DataView: the buffer methods Pyodide gives them."""

    __slots__ = ()
    js_type = "ArrayBuffer"

    def _view(self) -> memoryview:
        raise NotImplementedError  # each kind says which bytes it covers

    @property
    def byteLength(self) -> int:  # noqa: N802 - JS name
        return self._view().nbytes

    def to_bytes(self) -> bytes:
        return self._view().tobytes()

    def to_py(self, *, depth: int = -1, default_converter: Any = None) -> memoryview:
        return memoryview(self.to_bytes())

    def to_memoryview(self) -> memoryview:
        return memoryview(self.to_bytes())

    def to_string(self, encoding: str | None = None) -> str:
        return self.to_bytes().decode(encoding or "utf-8", "replace")

    def assign(self, rhs: Any) -> None:
        """Copy a Python buffer of the same byte length into this one."""
        data = as_bytes(rhs)
        view = self._view()
        if data is None or len(data) != view.nbytes:
            raise ValueError("cannot assign from a buffer of a different size")
        view.cast("B")[:] = data

    def assign_to(self, to: Any) -> None:
        """Copy this buffer into a writable Python buffer of the same byte length."""
        target = memoryview(to).cast("B")
        if target.nbytes != self.byteLength:
            raise ValueError("cannot assign to a buffer of a different size")
        target[:] = self.to_bytes()

    def to_file(self, file: Any) -> None:
        file.write(self.to_bytes())

    def from_file(self, file: Any) -> None:
        data = file.read(self.byteLength)
        self._view().cast("B")[: len(data)] = data

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JsBuffer):
            return type(self) is type(other) and self.to_bytes() == other.to_bytes()
        if isinstance(other, (bytes, bytearray, memoryview)):
            return self.to_bytes() == bytes(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    def __repr__(self) -> str:
        return f"[object {type(self).js_type}]"


def _byte_source(data: Any) -> bytearray:
    if isinstance(data, JsBuffer):
        return bytearray(data.to_bytes())
    return bytearray(data)


class ArrayBuffer(JsBuffer):
    """A JavaScript ``ArrayBuffer``: a fixed-length block of bytes that typed arrays view."""

    __slots__ = ("_bytes",)
    js_type = "ArrayBuffer"

    def __init__(self, data: Any = 0) -> None:
        if isinstance(data, bool) or (isinstance(data, float) and not data.is_integer()):
            raise RangeError("Invalid array buffer length")
        if isinstance(data, (int, float)):
            if data < 0:
                raise RangeError("Invalid array buffer length")
            self._bytes = bytearray(int(data))
        else:
            self._bytes = _byte_source(data)

    @classmethod
    def new(cls, length: Any = 0, *_: Any) -> ArrayBuffer:
        return cls(length if isinstance(length, (int, float)) else _byte_source(length))

    @staticmethod
    def isView(value: Any) -> bool:  # noqa: N802
        return isinstance(value, (TypedArray, DataView))

    def _view(self) -> memoryview:
        return memoryview(self._bytes)

    def slice(self, begin: int | None = None, end: int | None = None) -> ArrayBuffer:
        n = len(self._bytes)
        return ArrayBuffer(self._bytes[_index(begin, n, 0):_index(end, n, n)])

    def __len__(self) -> int:
        return len(self._bytes)

    def __getitem__(self, index: Any) -> Any:
        result = self._bytes[index]
        return bytes(result) if isinstance(index, slice) else result


class TypedArray(JsBuffer):
    """A typed array: ``length`` elements of one numeric type over an :class:`ArrayBuffer` (its ``buffer``).

    ``Uint8Array.new(n)`` is n zeros; ``.new(buffer, byteOffset, length)`` a view of a buffer; ``.new(list or
    other typed array)`` a copy of its elements. ``Uint8Array(b"...")`` (Python) copies bytes.
    """

    __slots__ = ("_buffer", "_offset", "_length")
    js_type = "TypedArray"
    format = "B"
    BYTES_PER_ELEMENT = 1

    def __init__(self, source: Any = 0, byte_offset: int = 0, length: int | None = None) -> None:
        size = self.BYTES_PER_ELEMENT
        if isinstance(source, ArrayBuffer):
            byte_offset = int(byte_offset or 0)
            if byte_offset % size:
                raise RangeError(f"start offset of {type(self).js_type} should be a multiple of {size}")
            available = len(source._bytes) - byte_offset
            if length is None:
                if available % size or available < 0:
                    raise RangeError(f"byte length of {type(self).js_type} should be a multiple of {size}")
                length = available // size
            elif byte_offset + int(length) * size > len(source._bytes):
                raise RangeError(f"Invalid typed array length: {length}")
            self._buffer, self._offset, self._length = source, byte_offset, int(length)
            return
        if isinstance(source, bool):
            source = int(source)
        if isinstance(source, (int, float)):
            if source < 0 or (isinstance(source, float) and not source.is_integer()):
                raise RangeError(f"Invalid typed array length: {source}")
            self._buffer, self._offset, self._length = ArrayBuffer(int(source) * size), 0, int(source)
            return
        if isinstance(source, (bytes, bytearray, memoryview)) and size == 1:
            self._buffer, self._offset, self._length = ArrayBuffer(bytes(source)), 0, len(bytes(source))
            return
        if isinstance(source, TypedArray) and source.format == self.format:  # a copy: no element conversion
            self._buffer, self._offset, self._length = ArrayBuffer(source.to_bytes()), 0, source._length
            return
        if isinstance(source, DataView):
            source = list(source.to_bytes())
        items = list(source)
        self._buffer, self._offset, self._length = ArrayBuffer(len(items) * size), 0, len(items)
        self._store(0, items)

    @classmethod
    def new(cls, source: Any = 0, byte_offset: int = 0, length: int | None = None) -> TypedArray:
        return cls(source, byte_offset, length)

    @classmethod
    def of(cls, *items: Any) -> TypedArray:
        return cls(list(items))

    @classmethod
    def from_(cls, items: Any, map_fn: Callable[..., Any] | None = None) -> TypedArray:
        values = list(items)
        if map_fn is not None:
            values = [js_call(map_fn, v, i) for i, v in enumerate(values)]
        return cls(values)

    def _view(self) -> memoryview:
        start = self._offset
        return memoryview(self._buffer._bytes)[start:start + self._length * self.BYTES_PER_ELEMENT]

    def _elements(self) -> memoryview:
        return self._view().cast(self.format)

    def _store(self, offset: int, items: list[Any]) -> None:
        """Write ``items`` from element ``offset``: one C-level copy when every item already fits this array's
        type (the common case, and megabytes of bytes must not take seconds), else item by item as JavaScript
        converts them."""
        view = self._elements()
        try:
            view[offset:offset + len(items)] = array.array(self.format, items)
        except (OverflowError, TypeError, ValueError):
            for i, item in enumerate(items):
                view[offset + i] = self._coerce(item)

    def _coerce(self, value: Any) -> Any:
        """A JS number as this array stores it: wrapped to the integer range, as JavaScript does."""
        if self.format in "fd":
            return float(value)
        if isinstance(value, float):
            value = 0 if math.isnan(value) or math.isinf(value) else math.trunc(value)
        bits = 8 * self.BYTES_PER_ELEMENT
        value = int(value) & ((1 << bits) - 1)
        if self.format.islower() and value >= 1 << (bits - 1):
            value -= 1 << bits
        return value

    @property
    def buffer(self) -> ArrayBuffer:
        return self._buffer

    @property
    def byteOffset(self) -> int:  # noqa: N802
        return self._offset

    @property
    def length(self) -> int:
        return self._length

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Any]:
        return iter(self._elements().tolist())

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return type(self)(ArrayBuffer(self._elements()[index].tobytes()))
        return self._elements()[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        view = self._elements()
        if isinstance(index, slice):
            view[index] = type(self)(list(value))._elements()
        else:
            view[index] = self._coerce(value)

    def __contains__(self, value: object) -> bool:
        return value in self._elements().tolist()

    def to_py(self, *, depth: int = -1, default_converter: Any = None) -> memoryview:
        return memoryview(self.to_bytes()).cast(self.format)

    def slice(self, begin: int | None = None, end: int | None = None) -> TypedArray:
        """A copy of elements ``begin`` to ``end`` (JavaScript's ``slice``), of the same type."""
        n = self._length
        return type(self)(ArrayBuffer(self._elements()[_index(begin, n, 0):_index(end, n, n)].tobytes()))

    def subarray(self, begin: int | None = None, end: int | None = None) -> TypedArray:
        """A view of elements ``begin`` to ``end`` over the same buffer."""
        n = self._length
        start, stop = _index(begin, n, 0), _index(end, n, n)
        return type(self)(self._buffer, self._offset + start * self.BYTES_PER_ELEMENT, max(stop - start, 0))

    def set(self, source: Any, offset: int = 0) -> None:
        offset = int(offset)
        if isinstance(source, TypedArray) and source.format == self.format:
            if offset < 0 or offset + source._length > self._length:
                raise RangeError("offset is out of bounds")
            # a copy first: source may view this same buffer
            self._elements()[offset:offset + source._length] = memoryview(source.to_bytes()).cast(self.format)
            return
        items = list(source)
        if offset < 0 or offset + len(items) > self._length:
            raise RangeError("offset is out of bounds")
        self._store(offset, items)

    def fill(self, value: Any, start: int | None = None, end: int | None = None) -> TypedArray:
        n = self._length
        begin, stop = _index(start, n, 0), _index(end, n, n)
        if stop > begin:
            self._elements()[begin:stop] = array.array(self.format, [self._coerce(value)]) * (stop - begin)
        return self

    def at(self, index: int) -> Any:
        i = int(index) + (self._length if int(index) < 0 else 0)
        return self._elements()[i] if 0 <= i < self._length else None

    def indexOf(self, value: Any) -> int:  # noqa: N802
        items = self._elements().tolist()
        return items.index(value) if value in items else -1

    def includes(self, value: Any) -> bool:
        return value in self

    def join(self, separator: str = ",") -> str:
        return str(separator).join(js_string(v) for v in self)

    def forEach(self, callback: Callable[..., Any]) -> None:  # noqa: N802
        for i, v in enumerate(self):
            js_call(callback, v, i, self)

    def map(self, callback: Callable[..., Any]) -> TypedArray:
        return type(self)([js_call(callback, v, i, self) for i, v in enumerate(self)])

    def reverse(self) -> TypedArray:
        self._elements()[:] = type(self)(list(reversed(list(self))))._elements()
        return self

    def toString(self) -> str:  # noqa: N802
        return self.join(",")

    def _own_entries(self) -> list[tuple[str, Any]]:
        return [(str(i), v) for i, v in enumerate(self)]


class Int8Array(TypedArray):
    __slots__ = ()
    js_type, format, BYTES_PER_ELEMENT = "Int8Array", "b", 1


class Uint8Array(TypedArray):
    __slots__ = ()
    js_type, format, BYTES_PER_ELEMENT = "Uint8Array", "B", 1


class Uint8ClampedArray(TypedArray):
    __slots__ = ()
    js_type, format, BYTES_PER_ELEMENT = "Uint8ClampedArray", "B", 1

    def _coerce(self, value: Any) -> Any:
        if isinstance(value, float):
            if math.isnan(value):
                return 0
            value = round(value)  # round half to even, as the spec says for clamped arrays
        return max(0, min(255, int(value)))


class Int16Array(TypedArray):
    __slots__ = ()
    js_type, format, BYTES_PER_ELEMENT = "Int16Array", "h", 2


class Uint16Array(TypedArray):
    __slots__ = ()
    js_type, format, BYTES_PER_ELEMENT = "Uint16Array", "H", 2


class Int32Array(TypedArray):
    __slots__ = ()
    js_type, format, BYTES_PER_ELEMENT = "Int32Array", "i", 4


class Uint32Array(TypedArray):
    __slots__ = ()
    js_type, format, BYTES_PER_ELEMENT = "Uint32Array", "I", 4


class Float32Array(TypedArray):
    __slots__ = ()
    js_type, format, BYTES_PER_ELEMENT = "Float32Array", "f", 4


class Float64Array(TypedArray):
    __slots__ = ()
    js_type, format, BYTES_PER_ELEMENT = "Float64Array", "d", 8


class BigInt64Array(TypedArray):
    __slots__ = ()
    js_type, format, BYTES_PER_ELEMENT = "BigInt64Array", "q", 8


class BigUint64Array(TypedArray):
    __slots__ = ()
    js_type, format, BYTES_PER_ELEMENT = "BigUint64Array", "Q", 8


TYPED_ARRAYS: dict[str, type[TypedArray]] = {
    cls.js_type: cls for cls in (Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
                                 Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array)
}


class DataView(JsBuffer):
    """A JavaScript ``DataView``: typed reads and writes at byte offsets of a buffer (big-endian by default)."""

    __slots__ = ("_buffer", "_offset", "_length")
    js_type = "DataView"

    def __init__(self, buffer: Any, byte_offset: int = 0, byte_length: int | None = None) -> None:
        if not isinstance(buffer, ArrayBuffer):
            raise TypeError("First argument to DataView constructor must be an ArrayBuffer")
        offset = int(byte_offset or 0)
        length = len(buffer._bytes) - offset if byte_length is None else int(byte_length)
        if offset < 0 or length < 0 or offset + length > len(buffer._bytes):
            raise RangeError(f"Start offset {offset} is outside the bounds of the buffer")
        self._buffer, self._offset, self._length = buffer, offset, length

    @classmethod
    def new(cls, buffer: Any, byte_offset: int = 0, byte_length: int | None = None) -> DataView:
        return cls(buffer, byte_offset, byte_length)

    @property
    def buffer(self) -> ArrayBuffer:
        return self._buffer

    @property
    def byteOffset(self) -> int:  # noqa: N802
        return self._offset

    def _view(self) -> memoryview:
        return memoryview(self._buffer._bytes)[self._offset:self._offset + self._length]

    def _get(self, fmt: str, offset: int, little: Any) -> Any:
        size = struct.calcsize(fmt)
        if offset < 0 or offset + size > self._length:
            raise RangeError("Offset is outside the bounds of the DataView")
        return struct.unpack_from(("<" if little else ">") + fmt, self._view(), offset)[0]

    def _set(self, fmt: str, offset: int, value: Any, little: Any) -> None:
        size = struct.calcsize(fmt)
        if offset < 0 or offset + size > self._length:
            raise RangeError("Offset is outside the bounds of the DataView")
        if fmt in "fd":
            value = float(value)
        else:
            bits = 8 * size
            value = int(value) & ((1 << bits) - 1)
            if fmt.islower() and value >= 1 << (bits - 1):
                value -= 1 << bits
        struct.pack_into(("<" if little else ">") + fmt, self._view(), offset, value)

    def __getattr__(self, name: str) -> Any:
        kind = _DATAVIEW_TYPES.get(name[3:])
        if kind is None or name[:3] not in ("get", "set"):
            raise AttributeError(name)
        if name.startswith("get"):
            return lambda offset, little=False: self._get(kind, int(offset), little)
        return lambda offset, value, little=False: self._set(kind, int(offset), value, little)


_DATAVIEW_TYPES = {"Int8": "b", "Uint8": "B", "Int16": "h", "Uint16": "H", "Int32": "i", "Uint32": "I",
                   "Float32": "f", "Float64": "d", "BigInt64": "q", "BigUint64": "Q"}


# -- numbers as JavaScript writes them ----------------------------------------------------------------
def js_number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        exp = int(exponent)
        return f"{mantissa}e{'+' if exp > 0 else '-'}{abs(exp)}"
    return text


def js_value(number: float | int) -> float | int:
    """A JavaScript number as Pyodide hands it to Python: an ``int`` when it is whole (up to 2**53)."""
    if isinstance(number, float) and number.is_integer() and abs(number) <= 2**53:
        return int(number)
    return number


def js_string(value: Any) -> str:
    """``String(value)`` for the Python values JS-side code hands around."""
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return js_number(value)
    if isinstance(value, JsProxy):
        return value.toString()
    return str(value)
