"""Errors raised by queue bindings, with Cloudflare's texts."""

from __future__ import annotations


class QueueSendError(Exception):
    """``send()``/``sendBatch()`` refused by the queue (Cloudflare: ``Error: Queue send failed: ...``)."""


class DataCloneError(TypeError):
    """A ``v8`` message body holds a value that cannot be copied (Cloudflare: ``DataCloneError``)."""
