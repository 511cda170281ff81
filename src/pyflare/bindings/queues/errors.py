"""Errors raised by queue bindings, with Cloudflare's texts."""

from __future__ import annotations

from pyflare.kernel.jserrors import DataCloneError as DataCloneError  # a v8 body that cannot be cloned


class QueueSendError(Exception):
    """``send()``/``sendBatch()`` refused by the queue (Cloudflare: ``Error: Queue send failed: ...``)."""
