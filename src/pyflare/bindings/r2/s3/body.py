"""Request bodies of S3 uploads: ``aws-chunked`` framing undone, spooled (memory, then a temporary
file) while hashed, and checked against every digest the client sent before anything is stored."""

from __future__ import annotations

import base64
import binascii
import hashlib
import tempfile
import zlib
from collections.abc import AsyncIterator, Mapping

from pyflare.bindings.r2.s3.errors import S3Error, invalid_argument

SPOOL_IN_MEMORY = 8 * 1024 * 1024
READ_CHUNK = 1024 * 1024


class _AwsChunked:
    """Decodes ``<hex size>[;chunk-signature=...]\\r\\n<data>\\r\\n ... 0\\r\\n<trailers>\\r\\n`` as it
    arrives. Chunk signatures are not verified (the seed signature on the request is)."""

    def __init__(self) -> None:
        self.buffer = b""
        self.remaining = 0  # data bytes left in the current chunk
        self.crlf_due = False
        self.done = False
        self.trailers: dict[str, str] = {}

    def feed(self, data: bytes) -> bytes:
        self.buffer += data
        out = bytearray()
        while not self.done:
            if self.remaining:
                take = self.buffer[: self.remaining]
                out += take
                self.buffer = self.buffer[len(take):]
                self.remaining -= len(take)
                if self.remaining:
                    break
                self.crlf_due = True
            if self.crlf_due:
                if len(self.buffer) < 2:
                    break
                if self.buffer[:2] != b"\r\n":
                    raise invalid_argument("Malformed aws-chunked body: chunk data not followed by CRLF")
                self.buffer, self.crlf_due = self.buffer[2:], False
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                if len(self.buffer) > 4096:
                    raise invalid_argument("Malformed aws-chunked body: chunk header too long")
                break
            header, self.buffer = self.buffer[:line_end], self.buffer[line_end + 2:]
            try:
                size = int(header.split(b";", 1)[0].strip() or b"x", 16)
            except ValueError:
                raise invalid_argument("Malformed aws-chunked body: bad chunk size") from None
            if size == 0:
                self._read_trailers()
            else:
                self.remaining = size
        return bytes(out)

    def _read_trailers(self) -> None:
        self.done = True
        for line in self.buffer.split(b"\r\n"):
            name, sep, value = line.decode("latin-1").partition(":")
            if sep:
                self.trailers[name.strip().lower()] = value.strip()
        self.buffer = b""


class SpooledBody:
    """An uploaded body, complete and verified; read it back with :meth:`chunks`."""

    def __init__(self) -> None:
        self.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5()
        self.crc32 = 0
        self.trailers: dict[str, str] = {}

    def write(self, data: bytes) -> None:
        if data:
            self.file.write(data)
            self.size += len(data)
            self.sha256.update(data)
            self.md5.update(data)
            self.crc32 = zlib.crc32(data, self.crc32)

    async def chunks(self) -> AsyncIterator[bytes]:
        self.file.seek(0)
        while True:
            data = self.file.read(READ_CHUNK)
            if not data:
                return
            yield data

    def close(self) -> None:
        self.file.close()


def _b64(value: str, header: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_argument(f"The {header} you specified is not valid.") from None


def _check_digests(body: SpooledBody, headers: Mapping[str, str], payload_sha256: str | None) -> None:
    if payload_sha256 is not None and body.sha256.hexdigest() != payload_sha256:
        raise S3Error(400, "XAmzContentSHA256Mismatch",
                      "The provided 'x-amz-content-sha256' header does not match what was computed.")
    md5 = headers.get("content-md5")
    if md5 is not None and _b64(md5, "Content-MD5") != body.md5.digest():
        raise S3Error(400, "BadDigest", "The Content-MD5 you specified did not match what was received.")
    values = {**headers, **body.trailers}
    crc = values.get("x-amz-checksum-crc32")
    if crc is not None and _b64(crc, "x-amz-checksum-crc32") != body.crc32.to_bytes(4, "big"):
        raise S3Error(400, "BadDigest", "The CRC32 you specified did not match the calculated checksum.")
    sha = values.get("x-amz-checksum-sha256")
    if sha is not None and _b64(sha, "x-amz-checksum-sha256") != body.sha256.digest():
        raise S3Error(400, "BadDigest", "The SHA256 you specified did not match the calculated checksum.")


async def read_body(
    stream: AsyncIterator[bytes], headers: Mapping[str, str], payload_sha256: str | None
) -> SpooledBody:
    """Spool and verify the request body; raises :class:`S3Error` if it does not check out."""
    encoding = headers.get("content-encoding", "")
    content_sha = headers.get("x-amz-content-sha256", "")
    chunked = content_sha.startswith("STREAMING-") or "aws-chunked" in encoding
    decoder = _AwsChunked() if chunked else None
    body = SpooledBody()
    try:
        async for data in stream:
            body.write(decoder.feed(data) if decoder else data)
        if decoder is not None:
            if not decoder.done:
                raise S3Error(400, "IncompleteBody", "The request body terminated unexpectedly")
            body.trailers = decoder.trailers
            declared = headers.get("x-amz-decoded-content-length")
            if declared is not None and declared.isdigit() and int(declared) != body.size:
                raise S3Error(400, "IncompleteBody", "The request body terminated unexpectedly")
        _check_digests(body, headers, None if chunked else payload_sha256)
    except BaseException:
        body.close()
        raise
    return body
