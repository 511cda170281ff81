"""The ``ImagesError`` every Images call throws: a JavaScript Error with Cloudflare's numeric ``code``."""

from __future__ import annotations

from pyflare.kernel.jserrors import JsException


class ImagesError(JsException):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code
