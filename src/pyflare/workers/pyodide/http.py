"""``pyodide.http`` errors, as Cloudflare's Python SDK raises them (all OSError subclasses)."""


class BodyUsedError(OSError):
    def __init__(self, message: str = "Response body is already used") -> None:
        super().__init__(message)


class HttpStatusError(OSError):
    def __init__(self, status: int, status_text: str, url: str) -> None:
        kind = "Client" if status < 500 else "Server"
        super().__init__(f"{status} {kind} Error: {status_text} for url: {url}")
        self.status, self.status_text, self.url = status, status_text, url


class AbortError(OSError):
    """A network failure in fetch()."""


__all__ = ["AbortError", "BodyUsedError", "HttpStatusError"]
