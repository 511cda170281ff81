"""The JavaScript error types WebSocket APIs throw, as Python exceptions (the message is workerd's text)."""

from __future__ import annotations


class RangeError(ValueError):
    """JavaScript's RangeError."""


class DOMException(Exception):  # noqa: N818 - the web platform's name
    """A DOMException; ``name`` says which (``InvalidAccessError``, ``SyntaxError``, ...)."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


class DataCloneError(DOMException):
    """A value the structured clone algorithm cannot copy."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "DataCloneError")


class WebSocketError(Exception):
    """JavaScript's ``Error`` from the WebSocket and hibernation APIs."""
