"""What R2 calls return: R2Object (metadata), R2ObjectBody (metadata + a streamed body), R2Checksums.

These are thin views over a stored :class:`~pyflare.bindings.r2.store.ObjectRecord`; attribute names
are Cloudflare's (camelCase). ``uploaded`` and ``httpMetadata.cacheExpiry`` are naive ``datetime``
objects in UTC, as a Python worker on Cloudflare gets a JavaScript Date (see docs/r2.md).
"""

from __future__ import annotations

import email.utils
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

from pyflare.bindings.r2.store import BodyStream, ObjectRecord
from pyflare.kernel.jsconvert import naive_utc
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jsvalues import datetime_from_ms, json_parse
from pyflare.workers import Blob

BODY_USED = "Body has already been used. It can only be used once. Use tee() first if you need to read it twice."


def utc(moment: datetime) -> datetime:
    """A naive UTC datetime (as R2 objects carry dates, like a Python worker on Cloudflare gets them) made
    aware, for pyflare's own endpoints (S3, public buckets, explorer) that format or compare it."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _datetime(ms: int) -> datetime:
    """A stored date as Python gets a JavaScript Date: a naive datetime in UTC (the Workers time zone)."""
    return naive_utc(datetime_from_ms(ms) or datetime.fromtimestamp(0, tz=timezone.utc))


class R2Checksums:
    """The checksums R2 keeps for an object: digests as ``memoryview`` (ArrayBuffers, as Pyodide hands them
    to Python), None when not computed."""

    __slots__ = ("md5", "sha1", "sha256", "sha384", "sha512")

    def __init__(self, hexes: dict[str, str]) -> None:
        for name in self.__slots__:
            value = hexes.get(name)
            setattr(self, name, memoryview(bytes.fromhex(value)) if value else None)

    def toJSON(self) -> JsDict:  # noqa: N802 - Cloudflare's name
        """The digests as lower-case hex strings."""
        return JsDict({name: getattr(self, name).hex() for name in self.__slots__ if getattr(self, name)})

    to_json = toJSON

    def __repr__(self) -> str:
        return f"R2Checksums({dict(self.toJSON())!r})"


class R2Object:
    """An object's metadata: key, version, size, etag, httpEtag, uploaded, httpMetadata, customMetadata,
    checksums, range, storageClass."""

    def __init__(
        self,
        record: ObjectRecord,
        *,
        range: dict[str, int] | None = None,
        with_http: bool = True,
        with_custom: bool = True,
    ) -> None:
        self.key: str = record.key
        self.version: str = record.version
        self.size: int = record.size
        self.etag: str = record.etag
        self.httpEtag: str = f'"{record.etag}"'
        self.uploaded: datetime = _datetime(record.uploaded)
        self.checksums = R2Checksums(record.checksums)
        self.storageClass: str = record.storage_class
        self.ssecKeyMd5: str | None = None
        self.range: JsDict | None = JsDict(range) if range is not None else None
        self.httpMetadata: JsDict | None = None
        if with_http:
            http = JsDict(record.http_metadata)
            if "cacheExpiry" in http:
                # Validation refuses dates Python cannot hold; one stored by an older pyflare is left out
                # rather than making the object unreadable.
                expiry = datetime_from_ms(http.pop("cacheExpiry"))
                if expiry is not None:
                    http["cacheExpiry"] = naive_utc(expiry)
            self.httpMetadata = http
        self.customMetadata: JsDict | None = JsDict(record.custom_metadata) if with_custom else None

    # snake_case aliases for Python habits
    @property
    def http_etag(self) -> str:
        return self.httpEtag

    @property
    def http_metadata(self) -> JsDict | None:
        return self.httpMetadata

    @property
    def custom_metadata(self) -> JsDict | None:
        return self.customMetadata

    def writeHttpMetadata(self, headers: Any) -> None:  # noqa: N802 - Cloudflare's name
        """Set Content-Type, Content-Language, Content-Disposition, Content-Encoding, Cache-Control and
        Expires on ``headers`` (a Headers object or a dict) from the object's httpMetadata."""
        if self.httpMetadata is None:
            raise TypeError(
                f"HTTP metadata unknown for key `{self.key}`. "
                "Did you forget to add 'httpMetadata' to `include` when listing?"
            )
        names = (
            ("contentType", "content-type"),
            ("contentLanguage", "content-language"),
            ("contentDisposition", "content-disposition"),
            ("contentEncoding", "content-encoding"),
            ("cacheControl", "cache-control"),
        )
        setter = headers.set if hasattr(headers, "set") and not isinstance(headers, dict) else headers.__setitem__
        for field, header in names:
            value = self.httpMetadata.get(field)
            if value is not None:
                setter(header, value)
        expiry = self.httpMetadata.get("cacheExpiry")
        if expiry is not None:
            setter("expires", email.utils.format_datetime(expiry.replace(tzinfo=timezone.utc), usegmt=True))

    write_http_metadata = writeHttpMetadata

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r}, size={self.size}, etag={self.etag!r})"


class R2ObjectBody(R2Object):
    """An object with its body: ``body`` (an async iterator of bytes), ``bodyUsed``, and the readers
    ``text()``, ``json()``, ``arrayBuffer()``, ``bytes()``, ``blob()``. The body can be read once."""

    def __init__(self, record: ObjectRecord, stream: BodyStream, *, range: dict[str, int]) -> None:
        super().__init__(record, range=range)
        self._stream = stream

    @property
    def body(self) -> AsyncIterator[bytes]:
        """The body stream (the same object each time); reading it marks the body used."""
        return self._stream

    @property
    def bodyUsed(self) -> bool:  # noqa: N802 - Cloudflare's name
        return self._stream.disturbed

    body_used = bodyUsed

    async def _read(self) -> bytes:
        if self._stream.disturbed:
            raise TypeError(BODY_USED)
        return b"".join([chunk async for chunk in self._stream])

    async def bytes(self) -> memoryview:
        """The body as a ``memoryview`` (a Uint8Array, as Pyodide hands it to Python)."""
        return memoryview(await self._read())

    async def arrayBuffer(self) -> memoryview:  # noqa: N802 - Cloudflare's name
        """The body as a ``memoryview`` (an ArrayBuffer, as Pyodide hands it to Python)."""
        return memoryview(await self._read())

    array_buffer = arrayBuffer

    async def text(self) -> str:
        return (await self._read()).decode("utf-8", "replace")

    async def json(self) -> Any:
        """``JSON.parse`` of the body, as a Python worker gets it (a whole number is an ``int``; invalid JSON
        a ``SyntaxError``)."""
        return json_parse(await self.text())

    async def blob(self) -> Blob:
        content_type = (self.httpMetadata or {}).get("contentType") or ""
        return Blob(await self._read(), content_type)
