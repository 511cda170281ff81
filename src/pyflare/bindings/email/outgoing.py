"""The ``send_email`` binding: ``await env.EMAIL.send(message)`` with an ``EmailMessage`` (raw MIME) or a
message builder (a dict: from, to, subject, text/html, cc, bcc, replyTo, headers, attachments).

Checks are Miniflare's (packages/miniflare/src/workers/email/send_email.worker.ts), which mirror
production's: the sender against ``allowed_sender_addresses``, each recipient against
``destination_address`` / ``allowed_destination_addresses``; for raw messages a Message-ID, a From header
equal to the envelope sender and no Received header. Nothing is delivered: the message is written to the
outbox (``<state>/email/<id>.eml``) and the log says where.
"""

from __future__ import annotations

import logging
from typing import Any

from pyflare.bindings.email import constants as c
from pyflare.bindings.email import errors as e
from pyflare.bindings.email.errors import EmailError
from pyflare.bindings.email.message import (
    as_list,
    bare_address,
    build,
    from_address,
    message_id,
    parse,
    synthesized_id,
)
from pyflare.bindings.email.outbox import Outbox
from pyflare.kernel.jsdict import JsDict
from pyflare.workers.email import EmailMessage, raw_bytes

log = logging.getLogger("pyflare")


class SendEmail:
    """``env.<name>`` of a ``[[send_email]]`` entry."""

    def __init__(self, name: str, outbox: Outbox, *, destination_address: str | None = None,
                 allowed_destination_addresses: list[str] | None = None,
                 allowed_sender_addresses: list[str] | None = None) -> None:
        self._name = name
        self._outbox = outbox
        self._destination = destination_address
        self._allowed_destinations = allowed_destination_addresses
        self._allowed_senders = allowed_sender_addresses

    def _check_recipient(self, address: str) -> None:
        if self._destination is not None and address != self._destination:
            raise EmailError(e.NOT_ALLOWED_TO.format(address=address))
        if self._allowed_destinations is not None and address not in self._allowed_destinations:
            raise EmailError(e.NOT_ALLOWED_TO.format(address=address))

    def _check_sender(self, address: str) -> None:
        if self._allowed_senders is not None and address not in self._allowed_senders:
            raise EmailError(e.NOT_ALLOWED_FROM.format(address=address))

    async def send(self, message: Any) -> JsDict:
        if isinstance(message, EmailMessage):
            return await self._send_raw(message)
        if isinstance(message, dict):
            return self._send_built(message)
        raise TypeError(f"env.{self._name}.send(message): message must be an EmailMessage (from "
                        "import_from_javascript('cloudflare:email')) or a dict with from, to, subject and "
                        f"text/html, not {type(message).__name__}")

    async def _send_raw(self, message: EmailMessage) -> JsDict:
        self._check_sender(message.from_)
        self._check_recipient(message.to)
        raw = await raw_bytes(message)
        if len(raw) > c.MAX_MESSAGE_BYTES:
            raise EmailError(e.TOO_BIG.format(size=len(raw)))
        parsed = parse(raw)
        if message_id(parsed) is None:
            raise EmailError(e.INVALID_MESSAGE_ID)
        if from_address(parsed) != message.from_:
            raise EmailError(e.FROM_MISMATCH)
        if parsed.get("Received") is not None:
            raise EmailError(e.INVALID_HEADERS)
        result_id = synthesized_id(message.from_)
        written = self._outbox.write("send", raw, message.from_, [message.to], result_id, self._name)
        log.info("send_email binding called with the following message:\n  Email: %s", written.path)
        return JsDict(messageId=result_id)

    def _send_built(self, builder: dict[str, Any]) -> JsDict:
        sender = bare_address(builder.get("from", ""))
        recipients = [bare_address(a) for a in as_list(builder.get("to"))]
        self._check_sender(sender)
        for recipient in recipients:  # only "to" is checked, as Miniflare and production do
            self._check_recipient(recipient)
        mime = build(builder)
        raw = mime.as_bytes()
        if len(raw) > c.MAX_MESSAGE_BYTES:
            raise EmailError(e.TOO_BIG.format(size=len(raw)))
        result_id = synthesized_id(sender)
        everyone = recipients + [bare_address(a) for a in as_list(builder.get("cc")) + as_list(builder.get("bcc"))]
        written = self._outbox.write("send", raw, sender, everyone, result_id, self._name)
        bcc = as_list(builder.get("bcc"))
        log.info("send_email binding called with MessageBuilder:\n  From: %s\n  To: %s%s\n  Subject: %s\n  Email: %s",
                 builder["from"] if isinstance(builder["from"], str) else sender, ", ".join(recipients),
                 f"\n  Bcc: {', '.join(bare_address(a) for a in bcc)}" if bcc else "", builder["subject"],
                 written.path)
        return JsDict(messageId=result_id)

    def __repr__(self) -> str:
        return f"<SendEmail binding {self._name}>"
