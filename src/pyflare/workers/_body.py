"""The body of a Request or Response: bytes in hand, or a stream read at most once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any

from pyflare.workers._formdata import Blob, FormData
from pyflare.workers._headers import Headers

TEXT_PLAIN = "text/plain;charset=UTF-8"


async def _single(data: bytes) -> AsyncIterator[bytes]:
    if data:
        yield data


async def _from_sync(chunks: Iterable[Any]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk.encode() if isinstance(chunk, str) else bytes(chunk)


async def _from_async(chunks: AsyncIterable[Any]) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        yield chunk.encode() if isinstance(chunk, str) else bytes(chunk)


def prepare_body(body: Any, headers: Headers) -> bytes | AsyncIterator[bytes] | None:
    """Turn any accepted body into bytes or an async byte stream, setting a default content-type."""
    if body is None:
        return None
    if isinstance(body, str):
        if not headers.has("content-type"):
            headers.set("content-type", TEXT_PLAIN)
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, FormData):
        data, content_type = body.encode()
        if not headers.has("content-type"):
            headers.set("content-type", content_type)
        return data
    if isinstance(body, Blob):
        if body.type and not headers.has("content-type"):
            headers.set("content-type", body.type)
        return body._data
    if isinstance(body, BodyMixin):
        return body._take_stream()
    if hasattr(body, "__aiter__"):
        return _from_async(body)
    if hasattr(body, "__iter__"):
        return _from_sync(body)
    raise TypeError(f"unsupported body type {type(body).__name__}: use str, bytes, FormData, Blob or a stream")


class BodyMixin:
    """Body readers shared by Request and Response (``text``, ``json``, ``bytes``, ``form_data``...)."""

    _body: bytes | AsyncIterator[bytes] | None
    headers: Headers
    _used: bool = False

    @property
    def body(self) -> AsyncIterator[bytes] | None:
        """The body as an async stream of bytes (None when there is no body)."""
        if self._body is None:
            return None
        return self._take_stream()

    @property
    def bodyUsed(self) -> bool:  # noqa: N802 - Cloudflare's name
        return self._used

    body_used = bodyUsed

    def _take_stream(self) -> AsyncIterator[bytes]:
        if self._used:
            raise TypeError("Body has already been used. It can only be used once. Use tee() first if you need to read it twice.")
        body = self._body
        if body is None:
            return _single(b"")
        self._used = True
        return _single(body) if isinstance(body, bytes) else body

    async def bytes(self) -> bytes:
        if self._body is None:
            return b""
        if isinstance(self._body, bytes) and not self._used:
            self._used = True
            return self._body
        chunks = [chunk async for chunk in self._take_stream()]
        return b"".join(chunks)

    async def arrayBuffer(self) -> bytes:  # noqa: N802
        return await self.bytes()

    array_buffer = arrayBuffer

    async def text(self) -> str:
        return (await self.bytes()).decode("utf-8", "replace")

    async def json(self) -> Any:
        return json.loads(await self.bytes())

    async def form_data(self) -> FormData:
        return FormData.parse(await self.bytes(), self.headers.get("content-type") or "")

    formData = form_data  # noqa: N815

    async def blob(self) -> Blob:
        return Blob(await self.bytes(), self.headers.get("content-type") or "")

    async def _buffer(self) -> None:
        """Read a streamed body into memory (for clone())."""
        if self._body is not None and not isinstance(self._body, bytes) and not self._used:
            self._body = b"".join([chunk async for chunk in self._body])
