"""The Streams API of ``js``: ``ReadableStream``, ``WritableStream``, ``TransformStream`` and their readers,
writers, controllers and queuing strategies (:mod:`pyflare.workers._streams`, :mod:`pyflare.workers._writable`),
plus the transform streams
workerd offers: ``CompressionStream``/``DecompressionStream`` (gzip, deflate, deflate-raw, through zlib),
``TextEncoderStream``/``TextDecoderStream``, ``IdentityTransformStream`` and ``FixedLengthStream``.
"""

from __future__ import annotations

import codecs
import zlib
from typing import Any

from pyflare.kernel.jsdict import JsDict, field, js_arguments
from pyflare.kernel.jsobjects import JsBuffer, JsProxy, Uint8Array, as_bytes
from pyflare.kernel.jsvalues import usv_string
from pyflare.workers._streams import (
    ByteLengthQueuingStrategy,
    CountQueuingStrategy,
    ReadableByteStreamController,
    ReadableStream,
    ReadableStreamBYOBReader,
    ReadableStreamDefaultController,
    ReadableStreamDefaultReader,
)
from pyflare.workers._writable import (
    FixedLengthStream,
    IdentityTransformStream,
    TransformStream,
    TransformStreamDefaultController,
    WritableStream,
    WritableStreamDefaultController,
    WritableStreamDefaultWriter,
)
from pyflare.workers.js._encoding import decoder_for

__all__ = [
    "ByteLengthQueuingStrategy", "CompressionStream", "CountQueuingStrategy", "DecompressionStream",
    "FixedLengthStream", "IdentityTransformStream", "ReadableByteStreamController", "ReadableStream",
    "ReadableStreamBYOBReader", "ReadableStreamBYOBRequest", "ReadableStreamDefaultController",
    "ReadableStreamDefaultReader", "TextDecoderStream", "TextEncoderStream", "TransformStream",
    "TransformStreamDefaultController", "WritableStream", "WritableStreamDefaultController",
    "WritableStreamDefaultWriter",
]

_FORMATS = {"gzip": 31, "deflate": 15, "deflate-raw": -15}


class ReadableStreamBYOBRequest(JsProxy):
    js_type = "ReadableStreamBYOBRequest"

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")


def _bytes_chunk(chunk: Any, who: str) -> bytes:
    data = as_bytes(chunk) if isinstance(chunk, JsBuffer) else None
    if data is None:
        raise TypeError(f"{who}: the chunk must be an ArrayBuffer or ArrayBufferView.")
    return data


class _CodedStream(TransformStream):
    """A TransformStream whose chunks pass through a Python encoder/decoder (``_feed``, ``_end``)."""

    js_type = "TransformStream"

    def __init__(self) -> None:
        super().__init__(JsDict(transform=self._transform, flush=self._flush))

    def _transform(self, chunk: Any, controller: Any) -> None:
        out = self._feed(chunk)
        if out:
            controller.enqueue(self._wrap(out))

    def _flush(self, controller: Any) -> None:
        out = self._end()
        if out:
            controller.enqueue(self._wrap(out))

    def _wrap(self, out: Any) -> Any:
        return Uint8Array(out)

    def _feed(self, chunk: Any) -> Any:
        raise NotImplementedError  # each stream says how it codes a chunk

    def _end(self) -> Any:
        raise NotImplementedError


def _format(value: Any, who: str) -> int:
    wbits = _FORMATS.get(str(value))
    if wbits is None:
        raise TypeError(f"Failed to construct '{who}': The provided value '{value}' is not a valid enum value of "
                        "type CompressionFormat.")
    return wbits


class CompressionStream(_CodedStream):
    """``CompressionStream.new("gzip")`` (or ``"deflate"``, ``"deflate-raw"``): bytes in, compressed bytes out."""

    js_type = "CompressionStream"

    def __init__(self, format: Any) -> None:
        self._coder = zlib.compressobj(wbits=_format(format, "CompressionStream"))
        super().__init__()

    @classmethod
    def new(cls, format: Any = None, *_: Any) -> CompressionStream:  # type: ignore[override]
        return cls(format)

    def _feed(self, chunk: Any) -> bytes:
        return self._coder.compress(_bytes_chunk(chunk, "CompressionStream"))

    def _end(self) -> bytes:
        return self._coder.flush()


class DecompressionStream(_CodedStream):
    """``DecompressionStream.new("gzip")``: compressed bytes in, bytes out; corrupt or truncated input, or bytes
    after the end, is a TypeError (workerd's texts)."""

    js_type = "DecompressionStream"

    def __init__(self, format: Any) -> None:
        self._coder = zlib.decompressobj(wbits=_format(format, "DecompressionStream"))
        super().__init__()

    @classmethod
    def new(cls, format: Any = None, *_: Any) -> DecompressionStream:  # type: ignore[override]
        return cls(format)

    def _feed(self, chunk: Any) -> bytes:
        data = _bytes_chunk(chunk, "DecompressionStream")
        if self._coder.eof and data:
            raise TypeError("Trailing bytes after end of compressed data")
        try:
            out = self._coder.decompress(data)
        except zlib.error:
            raise TypeError("Decompression failed.") from None
        if self._coder.unused_data:
            raise TypeError("Trailing bytes after end of compressed data")
        return out

    def _end(self) -> bytes:
        if not self._coder.eof:
            raise TypeError("Called close() on a decompression stream with incomplete data")
        return self._coder.flush()


class TextEncoderStream(_CodedStream):
    """``TextEncoderStream.new()``: strings in, UTF-8 ``Uint8Array`` chunks out (surrogate pairs split across
    chunks are joined)."""

    js_type = "TextEncoderStream"
    encoding = "utf-8"

    def __init__(self) -> None:
        self._pending = ""
        super().__init__()

    @classmethod
    def new(cls, *_: Any) -> TextEncoderStream:  # type: ignore[override]
        return cls()

    def _feed(self, chunk: Any) -> bytes:
        text = self._pending + (chunk if isinstance(chunk, str) else str(chunk))
        self._pending = ""
        if text and "\ud800" <= text[-1] <= "\udbff":  # a high surrogate waits for its pair
            text, self._pending = text[:-1], text[-1]
        return usv_string(text).encode("utf-8")

    def _end(self) -> bytes:
        return usv_string(self._pending).encode("utf-8") if self._pending else b""


class TextDecoderStream(_CodedStream):
    """``TextDecoderStream.new(label="utf-8", fatal=..., ignoreBOM=...)``: bytes in, strings out."""

    js_type = "TextDecoderStream"

    def __init__(self, label: Any = "utf-8", options: Any = None) -> None:
        self.encoding, codec = decoder_for("utf-8" if label is None else label)
        self.fatal = bool(field(options, "fatal", False))
        self.ignoreBOM = bool(field(options, "ignoreBOM", False))
        self._decoder = codecs.getincrementaldecoder(codec)("strict" if self.fatal else "replace")
        self._started = False
        super().__init__()

    @classmethod
    def new(cls, *args: Any, **kwargs: Any) -> TextDecoderStream:  # type: ignore[override]
        args = js_arguments(args, kwargs)
        if args and isinstance(args[0], dict):
            return cls("utf-8", args[0])
        return cls(*args[:2])

    def _wrap(self, out: Any) -> Any:
        return out

    def _decode(self, data: bytes, final: bool) -> str:
        try:
            text = self._decoder.decode(data, final=final)
        except UnicodeDecodeError:
            raise TypeError("Failed to decode input.") from None
        if not self._started and text:
            self._started = True
            if not self.ignoreBOM and text[0] == "\ufeff" and self.encoding.startswith("utf"):
                text = text[1:]
        return text

    def _feed(self, chunk: Any) -> str:
        return self._decode(_bytes_chunk(chunk, "TextDecoderStream"), False)

    def _end(self) -> str:
        return self._decode(b"", True)

