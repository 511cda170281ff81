"""Every input check of the WebSocket and hibernation APIs, raising workerd's error with its exact text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyflare.kernel.jsconvert import js_to_number
from pyflare.kernel.jserrors import DOMException, RangeError
from pyflare.kernel.jsvalues import webidl_int
from pyflare.websockets import constants as c
from pyflare.websockets.errors import WebSocketError


def close_args(code: Any, reason: Any, *, reason_limit: bool) -> tuple[int | None, str | None]:
    """Check ``close(code, reason)`` (before any readyState check, as the spec orders it)."""
    if code is not None:
        if isinstance(code, (list, dict, set, tuple)):
            raise TypeError(f"Failed to execute 'close' on 'WebSocket': parameter 1 is not of type 'integer' ({code!r}).")
        code = webidl_int(js_to_number(code))  # read as workerd reads an int: "1000" is 1000
        if not (1000 <= code < 5000) or code in c.RESERVED_CLOSE_CODES:
            raise DOMException(f"Invalid WebSocket close code: {code}.", "InvalidAccessError")
    if reason is not None:
        reason = str(reason)
        if reason_limit and len(reason.encode()) > c.MAX_CLOSE_REASON_BYTES:
            raise DOMException("WebSocket close reason must not be longer than 123 bytes when UTF-8 encoded.",
                               "SyntaxError")
        if code is None:
            raise DOMException("If you specify a WebSocket close reason, you must also specify a code.",
                               "InvalidAccessError")
    return code, reason


def message_data(data: Any) -> str | bytes:
    """What ``send()`` puts on the wire: text for str, binary for bytes-like (JS coerces other primitives)."""
    if isinstance(data, str):
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    to_bytes = getattr(data, "to_bytes", None)
    if callable(to_bytes) and not isinstance(data, int):  # an ArrayBuffer from a message event
        return bytes(to_bytes())
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, (int, float)):
        return str(data) if not isinstance(data, float) or not data.is_integer() else str(int(data))
    if data is None:
        return "null"
    raise TypeError(f"Failed to execute 'send' on 'WebSocket': a {type(data).__name__} is neither a string "
                    "nor an ArrayBuffer or ArrayBufferView; send str or bytes.")


def tags(values: Iterable[Any] | None) -> list[str]:
    """``acceptWebSocket(ws, tags)``: at most 10 distinct tags of at most 256 bytes; duplicates ignored."""
    if values is None:
        return []
    if isinstance(values, str):
        raise TypeError("acceptWebSocket() tags must be an array of strings, not a string.")
    distinct: list[str] = []
    for tag in values:
        tag = str(tag)
        if len(distinct) >= c.MAX_TAGS:
            raise WebSocketError(f"a Hibernatable WebSocket cannot have more than {c.MAX_TAGS} tags")
        if len(tag.encode()) > c.MAX_TAG_LENGTH:
            raise WebSocketError(f'"{tag}" is longer than the max tag length ({c.MAX_TAG_LENGTH} characters).')
        if tag not in distinct:
            distinct.append(tag)
    return distinct


def auto_response_pair(request: str, response: str) -> None:
    size = len(request.encode())
    if size > c.MAX_AUTO_RESPONSE_SIZE:
        raise RangeError(f"Request cannot be larger than {c.MAX_AUTO_RESPONSE_SIZE} bytes. "
                         f"A request of size {size} was provided.")
    size = len(response.encode())
    if size > c.MAX_AUTO_RESPONSE_SIZE:
        raise RangeError(f"Response cannot be larger than {c.MAX_AUTO_RESPONSE_SIZE} bytes. "
                         f"A response of size {size} was provided.")


def event_timeout(timeout_ms: Any) -> int | None:
    """``setHibernatableWebSocketEventTimeout(ms)``: 0 or None unsets; at most 7 days."""
    if timeout_ms is None or timeout_ms == 0:
        return None
    if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, (int, float)) or timeout_ms < 0:
        raise TypeError(f"setHibernatableWebSocketEventTimeout() takes milliseconds, not {timeout_ms!r}")
    if timeout_ms > c.MAX_EVENT_TIMEOUT_MS:
        raise WebSocketError(f"Event timeout should not exceed {c.MAX_EVENT_TIMEOUT_MS} ms.")
    return int(timeout_ms)


def compat_enabled(date: str | None, flags: Iterable[str], enable: str, disable: str, since: str) -> bool:
    """A compatibility behaviour: on by flag, off by its opposite flag, else on from its date."""
    flags = set(flags)
    if enable in flags:
        return True
    if disable in flags:
        return False
    return date is None or date >= since
