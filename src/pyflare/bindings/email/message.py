"""Reading and building RFC 5322 messages with the standard library's ``email`` package: the fields the
checks need (Message-ID, From, To, In-Reply-To, References), Cloudflare-shaped message ids, and the MIME
message a ``send()`` of a message builder (a dict) stands for."""

from __future__ import annotations

import email.policy
import email.utils
import secrets
import string
from email.message import EmailMessage as MimeMessage
from email.parser import BytesParser
from typing import Any

from pyflare.bindings.email.errors import COULD_NOT_PARSE, EmailError

ALPHANUMERIC = string.ascii_letters + string.digits


def parse(raw: bytes) -> MimeMessage:
    try:
        parsed = BytesParser(policy=email.policy.default).parsebytes(raw)
        parsed.items()  # header values are parsed lazily: fail here, not later
    except Exception as exc:  # the parser's own errors, on malformed input
        raise EmailError(COULD_NOT_PARSE.format(reason=exc)) from None
    return parsed


def header(parsed: MimeMessage, name: str) -> str | None:
    value = parsed.get(name)
    return str(value).strip() if value is not None else None


def addresses(parsed: MimeMessage, name: str) -> list[str]:
    """The bare addresses of every ``name`` header (``To`` may come more than once)."""
    values = [str(v) for v in parsed.get_all(name) or []]
    return [addr for _, addr in email.utils.getaddresses(values) if addr]


def from_address(parsed: MimeMessage) -> str | None:
    found = addresses(parsed, "From")
    return found[0] if found else None


def message_id(parsed: MimeMessage) -> str | None:
    return header(parsed, "Message-ID") or None


def synthesized_id(sender: str) -> str:
    """What the send_email binding returns: ``<36 alphanumerics@sender's domain>`` (Miniflare's shape)."""
    body = "".join(secrets.choice(ALPHANUMERIC) for _ in range(36))
    return f"<{body}@{sender.rpartition('@')[2]}>"


def bare_address(value: Any) -> str:
    """``"Name" <a@b>``, ``a@b`` or ``{"name", "email"}`` -> ``a@b``."""
    if isinstance(value, dict):
        return str(value.get("email", "")).strip()
    text = str(value).strip()
    if text.endswith(">") and "<" in text:
        return text[text.rindex("<") + 1:-1].strip()
    return text


def display_address(value: Any) -> str:
    if isinstance(value, dict):
        return email.utils.formataddr((str(value.get("name", "")), str(value.get("email", ""))))
    return str(value)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def build(builder: dict[str, Any]) -> MimeMessage:
    """The MIME message a message builder describes: headers, text and/or HTML parts, attachments."""
    missing = [key for key in ("from", "to", "subject") if not builder.get(key)]
    if missing:
        raise EmailError(f"send(): the message needs {', '.join(repr(k) for k in missing)} "
                         "(from, to, subject, and text and/or html)")
    if not builder.get("text") and not builder.get("html"):
        raise EmailError("send(): the message needs a 'text' or an 'html' body")
    message = MimeMessage(policy=email.policy.SMTP)
    message["From"] = display_address(builder["from"])
    message["To"] = ", ".join(display_address(a) for a in as_list(builder["to"]))
    if builder.get("cc"):
        message["Cc"] = ", ".join(display_address(a) for a in as_list(builder["cc"]))
    if builder.get("replyTo"):
        message["Reply-To"] = display_address(builder["replyTo"])
    message["Subject"] = str(builder["subject"])
    message["Date"] = email.utils.formatdate(usegmt=True)
    message["Message-ID"] = email.utils.make_msgid(domain=bare_address(builder["from"]).rpartition("@")[2] or None)
    for name, value in dict(builder.get("headers") or {}).items():
        message[str(name)] = str(value)
    if builder.get("text"):
        message.set_content(str(builder["text"]))
        if builder.get("html"):
            message.add_alternative(str(builder["html"]), subtype="html")
    else:
        message.set_content(str(builder["html"]), subtype="html")
    for attachment in as_list(builder.get("attachments")):
        _attach(message, attachment)
    return message


def _attach(message: MimeMessage, attachment: Any) -> None:
    if not isinstance(attachment, dict) or not attachment.get("filename") or "content" not in attachment:
        raise EmailError("send(): each attachment needs 'filename', 'type' and 'content'")
    content = attachment["content"]
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    maintype, _, subtype = str(attachment.get("type") or "application/octet-stream").partition("/")
    disposition = attachment.get("disposition") or "attachment"
    cid = attachment.get("contentId")
    message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=str(attachment["filename"]), disposition=disposition,
                           cid=f"<{cid}>" if cid else None)
