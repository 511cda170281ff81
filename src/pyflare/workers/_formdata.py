"""Blob, File and FormData, and multipart/form-data encoding and parsing (parsing via python-multipart).

:class:`Blob` and :class:`File` are the SDK's Python classes (``workers.Blob``); :class:`JsBlob` and
:class:`JsFile` are JavaScript's (``js.Blob``, what ``workers_blob.js_object`` gives), with the JS methods
(``arrayBuffer()`` an ArrayBuffer, ``bytes()`` a Uint8Array, ``stream()``). As on Cloudflare, a Response or
Request body takes a JS Blob but not a ``workers.Blob``. :class:`FormData` serves as both ``workers.FormData``
and ``js.FormData``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from pyflare.kernel.jsdict import field, js_arguments
from pyflare.kernel.jsobjects import ArrayBuffer, JsArray, JsProxy, Uint8Array, js_call


class Blob:
    """Immutable bytes with a MIME type."""

    def __init__(self, parts: Any = None, type: str = "", *, content_type: str | None = None) -> None:
        if parts is None:
            data = b""
        elif isinstance(parts, (bytes, bytearray, memoryview)):
            data = bytes(parts)
        elif isinstance(parts, str):
            data = parts.encode()
        else:
            data = b"".join(p._data if isinstance(p, Blob) else (p.encode() if isinstance(p, str) else bytes(p)) for p in parts)
        self._data = data
        self.type = content_type or type

    @property
    def size(self) -> int:
        return len(self._data)

    async def text(self) -> str:
        return self._data.decode("utf-8", "replace")

    async def bytes(self) -> bytes:
        return self._data

    async def arrayBuffer(self) -> bytes:  # noqa: N802 - Cloudflare's name
        return self._data

    array_buffer = arrayBuffer

    def slice(self, start: int = 0, end: int | None = None, content_type: str = "") -> Blob:
        return Blob(self._data[start:end], content_type or self.type)

    @property
    def content_type(self) -> str:
        return self.type

    @property
    def js_object(self) -> JsBlob:
        """The JavaScript Blob of the same bytes (what a Response body or a JS API takes)."""
        return JsBlob(self._data, self.type)

    def __repr__(self) -> str:
        return f"<Blob size={self.size} type={self.type!r}>"


class File(Blob):
    """A Blob with a file name."""

    def __init__(self, parts: Any, filename: str, type: str = "", *, content_type: str | None = None,
                 last_modified: int | None = None) -> None:
        super().__init__(parts, type, content_type=content_type)
        self.name = filename
        self.lastModified = last_modified or 0

    @property
    def filename(self) -> str:
        return self.name

    @property
    def last_modified(self) -> int:
        return self.lastModified

    @property
    def js_object(self) -> JsFile:
        return JsFile(self._data, self.name, self.type, last_modified=self.lastModified)

    def __repr__(self) -> str:
        return f"<File name={self.name!r} size={self.size} type={self.type!r}>"


def _blob_parts(parts: Any) -> bytes:
    if parts is None:
        return b""
    if isinstance(parts, (str, bytes, bytearray, memoryview)) or not hasattr(parts, "__iter__"):
        raise TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.")
    out = bytearray()
    for part in parts:
        if isinstance(part, Blob):
            out += part._data
        elif isinstance(part, str):
            out += part.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode("utf-8")
        elif isinstance(part, (bytes, bytearray, memoryview)):
            out += part
        elif hasattr(part, "to_bytes") and not isinstance(part, int):
            out += part.to_bytes()
        else:
            out += str(part).encode("utf-8")
    return bytes(out)


def _relative(value: Any, size: int, default: int) -> int:
    if value is None:
        return default
    value = int(value)
    return max(size + value, 0) if value < 0 else min(value, size)


class JsBlob(Blob, JsProxy):
    """``js.Blob.new([parts], type=...)``: ``size``, ``type``, ``text()``, ``arrayBuffer()``, ``bytes()``,
    ``slice()``, ``stream()``."""

    js_type = "Blob"

    @classmethod
    def new(cls, *args: Any, **kwargs: Any) -> JsBlob:
        args = js_arguments(args, kwargs)
        parts, options = (args + (None, None))[:2]
        return cls(_blob_parts(parts), str(field(options, "type", "")).lower())

    async def arrayBuffer(self) -> ArrayBuffer:  # type: ignore[override] # noqa: N802 - JS names
        return ArrayBuffer(self._data)

    async def bytes(self) -> Uint8Array:  # type: ignore[override]
        return Uint8Array(self._data)

    def slice(self, start: int | None = None, end: int | None = None, content_type: str | None = None) -> JsBlob:
        size = len(self._data)
        return JsBlob(self._data[_relative(start, size, 0):_relative(end, size, size)], content_type or "")

    def stream(self) -> Any:
        from pyflare.workers._streams import ReadableStream

        return ReadableStream.of(self._data)

    def _body_init(self) -> tuple[bytes, str | None]:
        """What this is as a request or response body (no Content-Type when the type is empty)."""
        return self._data, self.type or None

    def toString(self) -> str:  # noqa: N802
        return f"[object {self.js_type}]"

    def __repr__(self) -> str:
        return f"Blob {{ size: {self.size}, type: {self.type!r} }}"


class JsFile(JsBlob, File):
    """``js.File.new([parts], name, type=..., lastModified=...)``: a JS Blob with ``name`` and ``lastModified``."""

    js_type = "File"

    def __init__(self, parts: Any, filename: str, type: str = "", *, content_type: str | None = None,
                 last_modified: int | None = None) -> None:
        File.__init__(self, parts, filename, type, content_type=content_type, last_modified=last_modified)
        if not last_modified:
            from pyflare.kernel.jsdate import JsDate

            self.lastModified = JsDate.now()

    @classmethod
    def new(cls, *args: Any, **kwargs: Any) -> JsFile:
        args = js_arguments(args, kwargs)
        if len(args) < 2:
            raise TypeError("Failed to construct 'File': 2 arguments required.")
        parts, name, options = (args + (None,))[:3]
        return cls(_blob_parts(parts), str(name), str(field(options, "type", "")).lower(),
                   last_modified=field(options, "lastModified"))

    def __repr__(self) -> str:
        return f"File {{ name: {self.name!r}, size: {self.size}, type: {self.type!r} }}"


FormValue = "str | File | Blob"


class FormData(JsProxy):
    """An ordered multi-map of form fields (str values or Files): ``workers.FormData`` and ``js.FormData``."""

    js_type = "FormData"

    @classmethod
    def new(cls, *_: Any) -> FormData:
        return cls()

    def __init__(self, init: dict[str, Any] | list[tuple[str, Any]] | None = None) -> None:
        self._items: list[tuple[str, Any]] = []
        if init:
            for key, value in (init.items() if isinstance(init, dict) else init):
                self.append(key, value)

    def append(self, name: str, value: Any, filename: str | None = None) -> None:
        self._items.append((name, self._coerce(value, filename)))

    def set(self, name: str, value: Any, filename: str | None = None) -> None:
        self.delete(name)
        self.append(name, value, filename)

    @staticmethod
    def _coerce(value: Any, filename: str | None) -> Any:
        if isinstance(value, JsBlob):  # JavaScript's rule: a Blob becomes a File named "blob"
            if isinstance(value, JsFile) and filename is None:
                return value
            return JsFile(value._data, filename or getattr(value, "name", "blob"), value.type,
                          last_modified=getattr(value, "lastModified", None))
        if isinstance(value, File):
            return value if filename is None else File(value._data, filename, value.type)
        if isinstance(value, Blob):
            return File(value._data, filename or "blob", value.type)
        return str(value)

    def get(self, name: str, default: Any = None) -> Any:
        for key, value in self._items:
            if key == name:
                return value
        return default

    def get_all(self, name: str) -> list[Any]:
        return [value for key, value in self._items if key == name]

    getAll = get_all  # noqa: N815

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self._items)

    def delete(self, name: str) -> None:
        self._items = [(k, v) for k, v in self._items if k != name]

    def keys(self) -> Iterator[str]:
        return (k for k, _ in self._items)

    def values(self) -> Iterator[Any]:
        return (v for _, v in self._items)

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter(list(self._items))

    def entries(self) -> Iterator[JsArray]:
        return (JsArray(pair) for pair in list(self._items))

    def forEach(self, callback: Callable[..., Any]) -> None:  # noqa: N802 - JS name
        for name, value in list(self._items):
            js_call(callback, value, name, self)

    def _body_init(self) -> tuple[bytes, str]:
        return self.encode()

    def __getitem__(self, name: str) -> Any:
        for key, value in self._items:
            if key == name:
                return value
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self._items)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"FormData({self._items!r})"

    __str__ = __repr__

    # -- wire format -----------------------------------------------------------------------------
    def encode(self) -> tuple[bytes, str]:
        """The multipart/form-data body and its content-type header."""
        boundary = "----pyflareFormBoundary" + secrets.token_hex(8)
        out = bytearray()
        for name, value in self._items:
            out += f"--{boundary}\r\n".encode()
            quoted = name.replace('"', "%22")
            if isinstance(value, File):
                fname = value.name.replace('"', "%22")
                out += f'Content-Disposition: form-data; name="{quoted}"; filename="{fname}"\r\n'.encode()
                out += f"Content-Type: {value.type or 'application/octet-stream'}\r\n\r\n".encode()
                out += value._data
            else:
                out += f'Content-Disposition: form-data; name="{quoted}"\r\n\r\n'.encode()
                out += value.encode()
            out += b"\r\n"
        out += f"--{boundary}--\r\n".encode()
        return bytes(out), f"multipart/form-data; boundary={boundary}"

    @classmethod
    def parse(cls, body: bytes, content_type: str) -> FormData:
        """Parse a urlencoded or multipart body; raises TypeError for any other content type."""
        mime = content_type.split(";", 1)[0].strip().lower()
        form = cls()
        if mime == "application/x-www-form-urlencoded":
            for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                form.append(key, value)
            return form
        if mime != "multipart/form-data":
            raise TypeError(f'Unrecognized Content-Type header value. FormData can only parse the following '
                            f'MIME types: multipart/form-data, application/x-www-form-urlencoded (got "{mime}")')
        return _parse_multipart(body, content_type, form)


def _parse_multipart(body: bytes, content_type: str, form: FormData) -> FormData:
    from python_multipart.multipart import MultipartParser, parse_options_header

    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise TypeError("multipart/form-data body has no boundary")
    state: dict[str, Any] = {}

    def on_part_begin() -> None:
        state.update(headers={}, data=bytearray())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] = state.get("field", b"") + data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] = state.get("value", b"") + data[start:end]

    def on_header_end() -> None:
        state["headers"][state.pop("field", b"").lower()] = state.pop("value", b"")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        state["data"] += data[start:end]

    def on_part_end() -> None:
        _, disposition = parse_options_header(state["headers"].get(b"content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in disposition:
            ctype = state["headers"].get(b"content-type", b"application/octet-stream").decode("latin-1")
            filename = disposition[b"filename"].decode("utf-8", "replace")
            form.append(name, File(bytes(state["data"]), filename, ctype))
        else:
            form.append(name, bytes(state["data"]).decode("utf-8", "replace"))

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_part_data": on_part_data, "on_part_end": on_part_end,
    })
    parser.write(body)
    parser.finalize()
    return form
