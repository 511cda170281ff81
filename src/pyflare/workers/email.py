"""``cloudflare:email``'s ``EmailMessage``, as a Python worker reaches it on Cloudflare:
``EmailMessage = import_from_javascript("cloudflare:email").EmailMessage`` then ``EmailMessage.new(sender,
recipient, raw)`` (Pyodide's way to construct a JavaScript class; ``EmailMessage(sender, recipient, raw)``
works too). ``raw`` is the whole RFC 5322 message: a str, bytes or a ReadableStream.

The envelope sender is ``message.from_`` (Pyodide's spelling of JavaScript's ``from``, a Python keyword;
``getattr(message, "from")`` works too) and the recipient ``message.to``. The ``send_email`` binding and
``message.reply()`` read ``raw`` through :func:`raw_bytes`.
"""

from __future__ import annotations

from typing import Any

from pyflare.workers._streams import ReadableStream

__all__ = ["EmailMessage", "raw_bytes"]


class EmailMessage:
    """An email a worker sends (``env.EMAIL.send(message)``) or replies with (``message.reply(reply)``)."""

    def __init__(self, sender: str, recipient: str, raw: str | bytes | ReadableStream) -> None:
        if not isinstance(sender, str) or not isinstance(recipient, str):
            raise TypeError("EmailMessage(from, to, raw): from and to must be email addresses (strings)")
        if not isinstance(raw, (str, bytes, bytearray, memoryview, ReadableStream)):
            raise TypeError(f"EmailMessage(from, to, raw): raw must be a string, bytes or a ReadableStream, not "
                            f"{type(raw).__name__}")
        self.from_ = sender
        self.to = recipient
        self.raw = raw

    @classmethod
    def new(cls, sender: str, recipient: str, raw: str | bytes | ReadableStream) -> EmailMessage:
        """``EmailMessage.new(...)``: constructing the JavaScript class from Python, as in Pyodide."""
        return cls(sender, recipient, raw)

    def __getattr__(self, name: str) -> Any:
        if name == "from":  # getattr(message, "from")
            return self.from_
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"<EmailMessage from {self.from_!r} to {self.to!r}>"


async def raw_bytes(message: EmailMessage) -> bytes:
    """The message's raw bytes (a stream is read once, as on Cloudflare)."""
    raw = message.raw
    if isinstance(raw, ReadableStream):
        return await raw.read_all()
    return raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
