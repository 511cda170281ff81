"""Errors KV bindings raise, with the texts Cloudflare's runtime gives.

Failures the KV service reports surface in workerd as ``Error: KV <OP> failed: <status> <message>``
(``OP`` is GET, PUT, DELETE or GET_BULK; ``list()`` reports as GET). Argument checks made in the
runtime itself (empty key, ``.``/``..``, a value of the wrong type, an unknown response type) are
``TypeError``\\ s.
"""

from __future__ import annotations


class KVError(Exception):
    """A request the KV service refused: ``KV PUT failed: 414 UTF-8 encoded length of ...``."""

    def __init__(self, op: str, status: int, message: str) -> None:
        self.op = op
        self.status = status
        self.detail = message
        super().__init__(f"KV {op} failed: {status} {message}")


class KVTypeError(TypeError):
    """A bad argument, refused before any request is made (a JavaScript ``TypeError`` on Cloudflare)."""
