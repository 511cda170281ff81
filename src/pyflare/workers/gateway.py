"""``workers.gateway``: options shared by the ASGI and WSGI adapters (workers-runtime-sdk 1.9.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

EncodeBody = Literal["automatic", "manual"]


@dataclass(frozen=True, kw_only=True)
class BaseOptions:
    """Options of ``asgi.fetch`` / ``wsgi.fetch`` (``options=Options(encode_body="manual")``).

    ``encode_body="manual"``: the app's body is already encoded as its ``Content-Encoding`` says, and is
    sent as it is (Cloudflare's ``encodeBody`` Response option). pyflare never re-encodes a body, so both
    values send the app's bytes unchanged here.
    """

    encode_body: EncodeBody = "automatic"

    def __post_init__(self) -> None:
        if self.encode_body not in get_args(EncodeBody):
            raise ValueError(f"encode_body must be one of {get_args(EncodeBody)}, got {self.encode_body!r}")

    def response_init(self) -> dict[str, Any]:
        """Extra options of the Response the adapter builds."""
        return {} if self.encode_body == "automatic" else {"encodeBody": self.encode_body}


__all__ = ["BaseOptions", "EncodeBody"]
