"""The errors of the Durable Objects API (workerd's texts are in ``constants``)."""

from __future__ import annotations

from pyflare.kernel.jserrors import JsException

__all__ = ["BlockConcurrencyError", "DurableObjectAbort", "DurableObjectError"]


class DurableObjectAbort(BaseException):
    """Raised by ``ctx.abort()``: stops the handler (not caught by ``except Exception``) and resets the object."""


class BlockConcurrencyError(Exception):
    """``blockConcurrencyWhile()`` nested too deeply or ran over its time."""


class DurableObjectError(JsException):
    """An object was reset (``ctx.abort()``, a failed ``blockConcurrencyWhile``) while serving this call."""
