"""The explorer API's error: answered in Cloudflare's envelope with a status and an error code."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: int = 10000) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
