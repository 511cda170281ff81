"""The errors WebSocket APIs throw (the message is workerd's text): JavaScript's ``Error`` as
:class:`WebSocketError`; ``RangeError``, ``DOMException`` and ``DataCloneError`` are the kernel's
(:mod:`pyflare.kernel.jserrors`)."""

from __future__ import annotations

from pyflare.kernel.jserrors import JsException


class WebSocketError(JsException):
    """JavaScript's ``Error`` from the WebSocket and hibernation APIs."""
