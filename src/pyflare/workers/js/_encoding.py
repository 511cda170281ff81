"""Text and base64: ``TextEncoder``, ``TextDecoder``, ``atob``, ``btoa`` (workerd's errors and texts).

``TextEncoder.new().encode(text)`` is a ``Uint8Array`` of UTF-8 (a lone surrogate becomes U+FFFD, as in
JavaScript). ``TextDecoder.new(label, fatal=..., ignoreBOM=...)`` decodes the WHATWG encodings Python has
codecs for (utf-8, utf-16le/be, windows-1252 and the other single-byte ones, the CJK ones);
``decode(data, stream=True)`` keeps an incomplete sequence for the next call.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from typing import Any

from pyflare.kernel.jsdict import JsDict, field, js_arguments
from pyflare.kernel.jserrors import DOMException, RangeError
from pyflare.kernel.jsobjects import JsProxy, Uint8Array, as_bytes
from pyflare.kernel.jsvalues import usv_string

__all__ = ["TextDecoder", "TextEncoder", "atob", "btoa", "decoder_for"]

# WHATWG encoding labels -> (the encoding's name, Python's codec)
_ENCODINGS: dict[str, tuple[str, str]] = {}


def _labels(name: str, codec: str, *labels: str) -> None:
    for label in (name, *labels):
        _ENCODINGS[label] = (name, codec)


_labels("utf-8", "utf-8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf8", "x-unicode20utf8")
_labels("utf-16le", "utf-16-le", "csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16")
_labels("utf-16be", "utf-16-be", "unicodefffe")
_labels("windows-1252", "cp1252", "ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819",
        "iso-8859-1", "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1",
        "us-ascii", "x-cp1252")
_labels("iso-8859-2", "iso8859-2", "csisolatin2", "iso-ir-101", "iso8859-2", "iso88592", "iso_8859-2", "l2",
        "latin2")
_labels("iso-8859-15", "iso8859-15", "csisolatin9", "iso8859-15", "iso885915", "iso_8859-15", "l9")
_labels("windows-1251", "cp1251", "cp1251", "x-cp1251")
_labels("windows-1250", "cp1250", "cp1250", "x-cp1250")
_labels("koi8-r", "koi8-r", "cskoi8r", "koi", "koi8", "koi8_r")
_labels("macintosh", "mac-roman", "csmacintosh", "mac", "x-mac-roman")
_labels("shift_jis", "shift_jis", "csshiftjis", "ms932", "ms_kanji", "shift-jis", "sjis", "windows-31j",
        "x-sjis")
_labels("euc-jp", "euc_jp", "cseucpkdfmtjapanese", "x-euc-jp")
_labels("euc-kr", "euc_kr", "cseuckr", "csksc56011987", "iso-ir-149", "korean", "ks_c_5601-1987",
        "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949")
_labels("gbk", "gbk", "chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "iso-ir-58",
        "x-gbk")
_labels("gb18030", "gb18030")
_labels("big5", "big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5")
_labels("iso-2022-jp", "iso2022_jp", "csiso2022jp")


def decoder_for(label: Any) -> tuple[str, str]:
    """(encoding name, Python codec) of a WHATWG label; RangeError (workerd's text) if unknown."""
    key = str(label).strip().lower()
    found = _ENCODINGS.get(key)
    if found is None:
        raise RangeError(f'"{label}" is not a valid encoding.')
    return found


def _input_bytes(data: Any) -> bytes:
    if data is None:
        return b""
    found = as_bytes(data)
    if found is None:
        raise TypeError("Failed to execute 'decode' on 'TextDecoder': parameter 1 is not of type "
                        "'ArrayBuffer or ArrayBufferView'.")
    return found


class TextEncoder(JsProxy):
    """``TextEncoder.new()``: ``encode(text)`` (a Uint8Array), ``encodeInto(text, uint8array)``."""

    js_type = "TextEncoder"
    encoding = "utf-8"

    @classmethod
    def new(cls, *_: Any) -> TextEncoder:
        return cls()

    def encode(self, text: Any = "") -> Uint8Array:
        return Uint8Array(usv_string(_text(text)).encode("utf-8"))

    def encodeInto(self, text: Any, destination: Any) -> JsDict:  # noqa: N802 - JS names
        if not isinstance(destination, Uint8Array):
            raise TypeError("Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type "
                            "'Uint8Array'.")
        room, read, out = destination.length, 0, bytearray()
        for ch in usv_string(_text(text)):
            encoded = ch.encode("utf-8")
            if len(out) + len(encoded) > room:
                break
            out += encoded
            read += 2 if ord(ch) > 0xFFFF else 1  # JavaScript counts UTF-16 code units
        destination._view()[: len(out)] = out
        return JsDict(read=read, written=len(out))


def _text(value: Any) -> str:
    if value is None:
        return "undefined"
    return value if isinstance(value, str) else str(value)


class TextDecoder(JsProxy):
    """``TextDecoder.new(label="utf-8", fatal=False, ignoreBOM=False)``: ``decode(data, stream=False)``."""

    js_type = "TextDecoder"

    def __init__(self, label: Any = "utf-8", options: Any = None) -> None:
        self.encoding, codec = decoder_for("utf-8" if label is None else label)
        self.fatal = bool(field(options, "fatal", False))
        self.ignoreBOM = bool(field(options, "ignoreBOM", False))
        self._codec = codec
        self._decoder = codecs.getincrementaldecoder(codec)("strict" if self.fatal else "replace")
        self._at_start = True

    @classmethod
    def new(cls, *args: Any, **kwargs: Any) -> TextDecoder:
        args = js_arguments(args, kwargs)
        if args and isinstance(args[0], dict):  # TextDecoder.new(fatal=True): only options were given
            return cls("utf-8", args[0])
        return cls(*args[:2])

    def decode(self, data: Any = None, *args: Any, **kwargs: Any) -> str:
        (options, *_) = js_arguments(args, kwargs) or (None,)
        stream = bool(field(options, "stream", False))
        try:
            text = self._decoder.decode(_input_bytes(data), final=not stream)
        except UnicodeDecodeError:
            self._decoder.reset()
            self._at_start = True
            raise TypeError("Failed to decode input.") from None
        if self._at_start and text and not self.ignoreBOM and text[0] == "\ufeff" and self.encoding.startswith("utf"):
            text = text[1:]
        if text:
            self._at_start = False
        if not stream:
            self._decoder.reset()
            self._at_start = True
        return text


def btoa(data: Any) -> str:
    """Base64 of a string of Latin-1 characters; DOMException InvalidCharacterError otherwise (workerd's text)."""
    text = _text(data)
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        raise DOMException("btoa() can only operate on characters in the Latin1 (ISO/IEC 8859-1) range.",
                           "InvalidCharacterError") from None
    return base64.b64encode(raw).decode("ascii")


_ATOB_INVALID = ("atob() called with invalid base64-encoded data. (Only whitespace, '+', '/', alphanumeric ASCII, "
                 "and up to two terminal '=' signs when the input data length is divisible by 4 are allowed.)")
_WHITESPACE = re.compile(r"[\t\n\f\r ]")


def atob(data: Any) -> str:
    """The Latin-1 string of base64 data (whitespace ignored, padding optional, as the forgiving decoder)."""
    text = _WHITESPACE.sub("", _text(data))
    if len(text) % 4 == 0 and text.endswith("=="):
        body = text[:-2]
    elif len(text) % 4 == 0 and text.endswith("="):
        body = text[:-1]
    else:
        body = text
    if len(body) % 4 == 1 or re.search(r"[^A-Za-z0-9+/]", body):
        raise DOMException(_ATOB_INVALID, "InvalidCharacterError")
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except binascii.Error:
        raise DOMException(_ATOB_INVALID, "InvalidCharacterError") from None
    return raw.decode("latin-1")



