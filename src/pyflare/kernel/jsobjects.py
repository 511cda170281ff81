"""JavaScript-side values held in Python: ``JsProxy`` and the binary ones, ``ArrayBuffer`` and ``Uint8Array``.

On Cloudflare's Python Workers a JavaScript object reaches Python as a Pyodide ``JsProxy``; binary data as
a ``JsBuffer`` with ``to_bytes()``, ``to_py()`` (a ``memoryview``), ``byteLength``. pyflare's JS-side values
derive from these classes, so code written for Pyodide finds the same methods: a binary WebSocket message,
``to_js(bytes)``, ``js.Uint8Array.new(...)`` are all of these classes (``pyodide.ffi`` re-exports them).
A buffer compares equal to the same bytes (``event.data == b"..."``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ArrayBuffer", "JsBuffer", "JsProxy", "Uint8Array"]


class JsProxy:
    """Stands for a JavaScript object. pyflare's JS-side values are Python objects deriving from this."""

    def to_py(self, *_: Any, **__: Any) -> Any:
        return self


class JsBuffer(JsProxy):
    """A typed array or ArrayBuffer: bytes with the JS buffer methods Pyodide gives them."""

    __slots__ = ("_data",)
    js_type = "Uint8Array"

    def __init__(self, data: bytes | bytearray | memoryview | JsBuffer | int = b"") -> None:
        if isinstance(data, int):
            self._data = bytes(data)
        elif isinstance(data, JsBuffer):
            self._data = data._data
        else:
            self._data = bytes(data)

    @classmethod
    def new(cls, data: Any = b"", *_: Any) -> JsBuffer:
        return cls(data)

    @property
    def buffer(self) -> ArrayBuffer:
        return ArrayBuffer(self._data)

    @property
    def byteLength(self) -> int:  # noqa: N802 - JS name
        return len(self._data)

    @property
    def length(self) -> int:
        return len(self._data)

    def to_bytes(self) -> bytes:
        return self._data

    def to_py(self, *_: Any, **__: Any) -> memoryview:
        return memoryview(self._data)

    def to_memoryview(self) -> memoryview:
        return memoryview(self._data)

    def to_string(self, encoding: str = "utf-8") -> str:
        return self._data.decode(encoding)

    def __bytes__(self) -> bytes:
        return self._data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, index: Any) -> Any:
        return self._data[index]

    def slice(self, begin: int = 0, end: int | None = None) -> JsBuffer:
        """A copy of bytes ``begin`` to ``end`` (JavaScript's ``slice``), of the same type."""
        return type(self)(self._data[begin:end])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JsBuffer):
            return self._data == other._data and type(self) is type(other)
        if isinstance(other, (bytes, bytearray, memoryview)):
            return self._data == bytes(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._data)

    def __repr__(self) -> str:
        return f"[object {self.js_type}]"


class Uint8Array(JsBuffer):
    __slots__ = ()
    js_type = "Uint8Array"


class ArrayBuffer(JsBuffer):
    __slots__ = ()
    js_type = "ArrayBuffer"
