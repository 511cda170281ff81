"""Incoming email: the ``email(self, message)`` handler, driven by ``POST /cdn-cgi/local/email?from=&to=``
(wrangler's ``/cdn-cgi/handler/email``) with the raw message as the body, as Miniflare's endpoint does
(packages/miniflare/src/workers/core/email.ts): the same parameters, checks, texts and ``format=json``
result. Unlike Miniflare, which caps local messages at 1 MiB because of its RPC transport, pyflare takes
production's 25 MiB.

The handler gets a :class:`ForwardableEmailMessage`: ``from_``/``to`` (the envelope), ``headers``, ``raw``
(a stream), ``rawSize``, ``setReject(reason)``, ``forward(rcptTo, headers)`` and ``reply(EmailMessage)``.
Forwards and replies are written to the outbox (``<state>/email/``) instead of being delivered.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any
from urllib.parse import parse_qs

from pyflare.bindings.email import constants as c
from pyflare.bindings.email import errors as e
from pyflare.bindings.email.errors import EmailError
from pyflare.bindings.email.message import addresses, from_address, header, message_id, parse
from pyflare.bindings.email.outbox import Outbox
from pyflare.kernel.clock import Clock
from pyflare.kernel.jsdict import JsDict
from pyflare.runtime.respond import plain, send_plain
from pyflare.workers import Headers, ReadableStream
from pyflare.workers.email import EmailMessage, raw_bytes

log = logging.getLogger("pyflare")


def _iso(clock: Clock) -> str:
    from datetime import datetime, timezone

    moment = datetime.fromtimestamp(clock.time(), timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _local_id() -> str:
    # Production's ids are random and use the sender's domain; locally neither is known (Miniflare's shape).
    return f"{uuid.uuid4().hex}@example.com"


class ForwardableEmailMessage:
    """What the worker's ``email`` handler receives."""

    def __init__(self, sender: str, recipient: str, raw: bytes, outbox: Outbox, clock: Clock) -> None:
        self._parsed = parse(raw)
        self._raw_bytes = raw
        self._outbox = outbox
        self._clock = clock
        self.from_ = sender
        self.to = recipient
        self.headers = Headers([(k, str(v)) for k, v in self._parsed.items()])
        self.raw = ReadableStream.of(raw)
        self.rawSize = len(raw)  # noqa: N815 - Cloudflare's name
        self.reject_reason: str | None = None
        self.events: list[dict[str, Any]] = []
        self.forwards: list[dict[str, Any]] = []
        self.replies: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        if name == "from":
            return self.from_
        raise AttributeError(name)

    def setReject(self, reason: str) -> None:  # noqa: N802 - Cloudflare's name
        log.error('Email handler rejected message with the following reason: "%s"', reason)
        self.events.append({"type": "reject", "timestamp": _iso(self._clock)})
        self.reject_reason = str(reason)

    async def forward(self, rcptTo: str, headers: Any = None) -> JsDict:  # noqa: N803 - Cloudflare's name
        extra = list(Headers(headers).items()) if headers is not None else []
        for name, _ in extra:
            if not name.lower().startswith("x-"):
                raise EmailError(f"forward(): only X-* headers can be added to a forwarded message, not {name!r}")
        prefix = "".join(f"{name}: {value}\r\n" for name, value in extra).encode()
        result_id = _local_id()
        written = self._outbox.write("forward", prefix + self._raw_bytes, self.from_, [rcptTo], result_id)
        shown = "".join(f"\n    {name}: {value}" for name, value in extra)
        log.info("Email handler forwarded message with\n  rcptTo: %s%s\n  Email: %s", rcptTo,
                 f"\n  headers:{shown}" if extra else "", written.path)
        self.events.append({"type": "forward", "timestamp": _iso(self._clock), "messageId": result_id})
        self.forwards.append({"messageId": result_id, "recipient": rcptTo, "headers": [list(h) for h in extra]})
        return JsDict(messageId=result_id)

    async def reply(self, message: EmailMessage) -> JsDict:
        if not isinstance(message, EmailMessage):
            raise TypeError("reply(message): message must be an EmailMessage (from "
                            "import_from_javascript('cloudflare:email'))")
        if not self._replyable():
            raise EmailError(e.NOT_REPLYABLE)
        final = self._checked_reply(await raw_bytes(message), message.from_)
        result_id = _local_id()
        written = self._outbox.write("reply", final, message.from_, [message.to], result_id)
        log.info("Email handler replied to sender with the following message:\n  %s", written.path)
        self.events.append({"type": "reply", "timestamp": _iso(self._clock), "messageId": result_id})
        self.replies.append({"messageId": result_id, "sender": message.from_, "raw": final.decode("utf-8", "replace")})
        return JsDict(messageId=result_id)

    def _replyable(self) -> bool:
        """Email Routing's rules (developers.cloudflare.com/email-routing/email-workers/reply-email-workers/)."""
        suppress = (header(self._parsed, "X-Auto-Response-Suppress") or "none").lower()
        submitted = (header(self._parsed, "Auto-Submitted") or "no").lower()
        if suppress != "none" or submitted != "no":
            return False
        in_reply_to, references = header(self._parsed, "In-Reply-To"), header(self._parsed, "References")
        if in_reply_to is None and references is None:
            return True
        if in_reply_to is not None and references is not None:
            if references.count("@") >= c.MAX_REFERENCES:
                log.error('The incoming email\'s "References" header has more than 100 entries. As such, your Worker '
                          "cannot respond to this email. Refer to https://developers.cloudflare.com/email-routing/"
                          "email-workers/reply-email-workers/")
                return False
            return True
        return False

    def _checked_reply(self, raw: bytes, sender: str) -> bytes:
        """The reply as it would be sent: checked as Email Routing does, with a References header added."""
        parsed = parse(raw)
        if from_address(parsed) != sender:
            raise EmailError(e.FROM_MISMATCH)
        if message_id(parsed) is None:
            raise EmailError(e.INVALID_MESSAGE_ID)
        if parsed.get("Received") is not None:
            raise EmailError(e.INVALID_HEADERS)
        in_reply_to = header(parsed, "In-Reply-To")
        if in_reply_to is None:
            raise EmailError(e.NO_IN_REPLY_TO)
        original_id = message_id(self._parsed) or ""
        if in_reply_to != original_id:
            raise EmailError(e.IN_REPLY_TO_MISMATCH)
        incoming_references = header(self._parsed, "References") or ""
        references = header(parsed, "References")
        if references is not None:
            if original_id not in references or incoming_references not in references:
                raise EmailError(e.BAD_REFERENCES)
            return raw
        line = f"References: {original_id}{' ' if incoming_references else ''}{incoming_references}\r\n"
        return line.encode() + raw


class EmailEndpoint:
    """``/cdn-cgi/local/email``: runs the served worker's ``email`` handler with the request's message."""

    def __init__(self, runtime: Any, outbox: Outbox, clock: Clock) -> None:
        self.runtime = runtime
        self.outbox = outbox
        self.clock = clock

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        sender, recipient = query.get("from", [""])[0], query.get("to", [""])[0]
        body = await _read_body(receive, c.MAX_MESSAGE_BYTES)
        if body is None:
            await send_plain(send, *plain(400, e.ENDPOINT_TOO_BIG))
            return
        if not body or not sender or not recipient:
            await send_plain(send, *plain(400, e.ENDPOINT_INVALID))
            return
        try:
            message = ForwardableEmailMessage(sender, recipient, body, self.outbox, self.clock)
        except EmailError as exc:
            await send_plain(send, *plain(400, e.ENDPOINT_UNPARSABLE.format(reason=exc)))
            return
        if message_id(message._parsed) is None:
            await send_plain(send, *plain(400, e.ENDPOINT_NO_MESSAGE_ID))
            return
        _warn_about_envelope(message, sender, recipient)
        error: BaseException | None = None
        try:
            await self.runtime.email(message)
        except Exception as exc:  # the worker's own error: reported, as an uncaught error of any event
            error = exc
            log.error("email handler failed: %s: %s", type(exc).__name__, exc, exc_info=exc)
        if query.get("format", [""])[0] == "json":
            result = {"outcome": "ok" if error is None else "exception", "rejectReason": message.reject_reason,
                      "forwards": message.forwards, "replies": message.replies, "events": message.events}
            data = json.dumps({k: v for k, v in result.items() if v is not None}).encode()
            await send_plain(send, 200 if error is None else 500,
                             [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))], data)
        elif error is not None:
            await send_plain(send, *plain(500, f"Worker threw an exception handling the email: "
                                               f"{type(error).__name__}: {error}"))
        elif message.reject_reason is not None:
            await send_plain(send, *plain(400, e.ENDPOINT_REJECTED.format(reason=message.reject_reason)))
        else:
            await send_plain(send, *plain(200, e.ENDPOINT_OK))


def _warn_about_envelope(message: ForwardableEmailMessage, sender: str, recipient: str) -> None:
    header_from = from_address(message._parsed)
    if header_from != sender:
        log.warning('Provided MAIL FROM address doesn\'t match the email message\'s "From" header:\n  MAIL FROM: %s\n'
                    '  "From" header: %s', sender, header_from)
    header_to = addresses(message._parsed, "To")
    if recipient not in header_to:
        log.warning('Provided RCPT TO address doesn\'t match any "To" header in the email message:\n  RCPT TO: %s\n'
                    '  "To" header: %s', recipient, ", ".join(header_to))


async def _read_body(receive: Any, limit: int) -> bytes | None:
    """The request body, or None once it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
