"""Every check on what producers and consumers pass in, with Cloudflare's (and Miniflare's) error texts."""

from __future__ import annotations

from typing import Any

from pyflare.bindings.queues.constants import (
    CONTENT_TYPES,
    MAX_BATCH_BYTES,
    MAX_BATCH_MESSAGES,
    MAX_DELAY_SECONDS,
    MAX_MESSAGE_BYTES,
)
from pyflare.bindings.queues.errors import QueueSendError
from pyflare.kernel.jsconvert import js_to_number
from pyflare.kernel.jserrors import RangeError
from pyflare.kernel.jsvalues import shown, webidl_int


def content_type(value: Any) -> str:
    """A valid content type, lower-cased (Cloudflare accepts any case)."""
    if isinstance(value, str) and value.lower() in CONTENT_TYPES:
        return value.lower()
    raise TypeError(f"Unsupported queue message content type: {shown(value)}")


UNDEFINED: Any = object()  # a body that was not given at all (JavaScript's undefined)


def body_present(body: Any) -> None:
    # Python's None is JavaScript's null (the SDK's python_to_rpc), a body like any other; only a missing
    # body (a sendBatch entry without "body") is undefined.
    if body is UNDEFINED:
        raise TypeError("Message body cannot be undefined")


def options(value: Any, method: str, struct: str) -> dict[str, Any]:
    """The options dict of ``send``/``sendBatch``; anything but a dict is refused as workerd refuses it."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"Failed to execute '{method}' on 'WorkerQueue': parameter 2 is not of type '{struct}'.")
    return value


def batch_messages(value: Any) -> list[Any]:
    """The messages of ``sendBatch``: a list (any iterable but a string, bytes or dict)."""
    if isinstance(value, (str, bytes, bytearray, dict)) or not hasattr(value, "__iter__"):
        raise TypeError("Failed to execute 'sendBatch' on 'WorkerQueue': parameter 1 is not of type "
                        "'Iterable<MessageSendRequest>'.")
    return list(value)


def delay(value: Any, method: str) -> int | None:
    """``delaySeconds``: None (not given) or seconds in 0..12 hours, converted as workerd converts an ``int``
    (NaN is 0, fractions are truncated, beyond 32 bits is a TypeError)."""
    if value is None:
        return None
    seconds = webidl_int(js_to_number(value))  # read as workerd reads an int: "5" is 5
    if not 0 <= seconds <= MAX_DELAY_SECONDS:
        raise QueueSendError(f"Queue {method} failed: message delay {shown(value)} is invalid")
    return seconds


def retry_delay(value: Any) -> int | None:
    """``retry(delaySeconds=)`` / ``retryAll(delaySeconds=)``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or not (
        0 <= value <= MAX_DELAY_SECONDS
    ):
        raise RangeError(f"delaySeconds must be an integer between 0 and {MAX_DELAY_SECONDS}, got {shown(value)}")
    return int(value)


def message_size(size: int) -> None:
    if size > MAX_MESSAGE_BYTES:
        raise QueueSendError(f"Queue send failed: message length of {size} bytes exceeds limit of {MAX_MESSAGE_BYTES}")


def batch_not_empty(count: int) -> None:
    if count == 0:
        raise TypeError("sendBatch() requires at least one message")


def batch_sizes(count: int, largest: int, total: int) -> None:
    """The checks Cloudflare makes on a whole batch, in its order."""
    if count > MAX_BATCH_MESSAGES:
        raise QueueSendError(f"Queue sendBatch failed: batch message count of {count} exceeds limit of {MAX_BATCH_MESSAGES}")
    if largest > MAX_MESSAGE_BYTES:
        raise QueueSendError(
            f"Queue sendBatch failed: message in batch has length {largest} bytes which exceeds single message "
            f"size limit of {MAX_MESSAGE_BYTES}"
        )
    if total > MAX_BATCH_BYTES:
        raise QueueSendError(f"Queue sendBatch failed: batch size of {total} bytes exceeds limit of {MAX_BATCH_BYTES}")


def batch_item(item: Any, index: int) -> dict[str, Any]:
    """One entry of ``sendBatch([...])``: a dict with ``body`` and optional ``contentType``/``delaySeconds``
    (other keys are ignored, as workerd ignores them); anything else is workerd's TypeError."""
    if not isinstance(item, dict):
        raise TypeError("Incorrect type: the provided value is not of type 'MessageSendRequest'.")
    return item
