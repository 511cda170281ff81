"""The errors WebSocket APIs throw (the message is workerd's text): JavaScript's ``Error`` as
:class:`WebSocketError`; ``RangeError``, ``DOMException`` and ``DataCloneError`` are the kernel's
(:mod:`pyflare.kernel.jserrors`)."""

from __future__ import annotations

from pyflare.kernel.jserrors import JsException


class WebSocketError(JsException):
    """JavaScript's ``Error`` from the WebSocket and hibernation APIs."""


def protocol_error(description: str, code: int = 1009) -> WebSocketError:
    """The error workerd reports when the connection breaks the protocol (kj's text, JSG-prefixed); 1009 is
    Message Too Big."""
    return WebSocketError(f"WebSocket protocol error; statusCode = {code}; description = {description}")
