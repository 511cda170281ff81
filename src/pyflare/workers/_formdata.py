"""Blob, File and FormData, and multipart/form-data encoding and parsing (parsing via python-multipart)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl


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

    def __repr__(self) -> str:
        return f"<File name={self.name!r} size={self.size} type={self.type!r}>"


FormValue = "str | File | Blob"


class FormData:
    """An ordered multi-map of form fields (str values or Files)."""

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

    entries = items

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
