"""``URL`` and ``URLSearchParams`` as workerd has them: the WHATWG URL Standard, parsed by ada (the parser
workerd itself uses, through the ``ada-url`` package, loaded when ``js.URL`` is first used).

``URL.new("https://example.com/a?b=1").searchParams.get("b")``; a bad URL is ``TypeError: Invalid URL string.``
as on Cloudflare. ``url.searchParams`` is live: changing it rewrites ``url.search``, and the other way round.
A ``URLSearchParams`` is also a request or response body (``application/x-www-form-urlencoded;charset=UTF-8``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jsobjects import JsArray, JsProxy, js_call, js_string

__all__ = ["URL", "URLSearchParams", "form_encode"]

INVALID_URL = "Invalid URL string."
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded;charset=UTF-8"
_FORM_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")


@functools.cache
def _ada() -> Any:
    import ada_url

    return ada_url


def _string(value: Any) -> str:
    from pyflare.kernel.jsvalues import usv_string

    return usv_string(value if isinstance(value, str) else js_string(value))


def form_encode(text: str) -> str:
    """The application/x-www-form-urlencoded byte serializer (``*-._`` and alphanumerics kept, space as +)."""
    out = []
    for byte in text.encode("utf-8"):
        if byte in _FORM_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def _form_decode(text: str) -> str:
    return unquote_to_bytes(text.replace("+", " ")).decode("utf-8", "replace")


def parse_form(query: str) -> list[tuple[str, str]]:
    """The pairs of an application/x-www-form-urlencoded string (a leading ``?`` is the caller's to drop)."""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((_form_decode(name), _form_decode(value)))
    return pairs


class URLSearchParams(JsProxy):
    """``URLSearchParams.new("a=1&b=2")`` (or a dict, a list of pairs, another URLSearchParams)."""

    js_type = "URLSearchParams"

    def __init__(self, init: Any = None, *, _url: URL | None = None) -> None:
        self._pairs: list[tuple[str, str]] = []
        self._url = _url
        if init is None:
            return
        if isinstance(init, URLSearchParams):
            self._pairs = list(init._pairs)
        elif isinstance(init, str):
            self._pairs = parse_form(init[1:] if init.startswith("?") else init)
        elif isinstance(init, dict):
            self._pairs = [(_string(k), _string(v)) for k, v in init.items()]
        elif hasattr(init, "__iter__"):
            for item in init:
                items = list(item) if not isinstance(item, (str, bytes)) else [item]
                if len(items) != 2:
                    raise TypeError("Invalid URL search params sequence.")
                self._pairs.append((_string(items[0]), _string(items[1])))
        else:
            self._pairs = parse_form(_string(init).lstrip("?"))

    @classmethod
    def new(cls, init: Any = None, **kwargs: Any) -> URLSearchParams:
        return cls(JsDict(kwargs) if kwargs and init is None else init)

    def _changed(self) -> None:
        if self._url is not None:
            self._url._set_query_from_params(self.toString())

    @property
    def size(self) -> int:
        return len(self._pairs)

    def append(self, name: Any, value: Any) -> None:
        self._pairs.append((_string(name), _string(value)))
        self._changed()

    def delete(self, name: Any, value: Any = None) -> None:
        name = _string(name)
        self._pairs = [(k, v) for k, v in self._pairs
                       if not (k == name and (value is None or v == _string(value)))]
        self._changed()

    def get(self, name: Any) -> str | None:
        name = _string(name)
        return next((v for k, v in self._pairs if k == name), None)

    def getAll(self, name: Any) -> JsArray:  # noqa: N802 - JS names
        name = _string(name)
        return JsArray(v for k, v in self._pairs if k == name)

    def has(self, name: Any, value: Any = None) -> bool:
        name = _string(name)
        return any(k == name and (value is None or v == _string(value)) for k, v in self._pairs)

    def set(self, name: Any, value: Any) -> None:
        name, value = _string(name), _string(value)
        out, placed = [], False
        for k, v in self._pairs:
            if k == name:
                if not placed:
                    out.append((k, value))
                    placed = True
            else:
                out.append((k, v))
        if not placed:
            out.append((name, value))
        self._pairs = out
        self._changed()

    def sort(self) -> None:
        self._pairs.sort(key=lambda pair: pair[0].encode("utf-16-be"))  # by UTF-16 code units, stable
        self._changed()

    def entries(self) -> Iterator[JsArray]:
        return (JsArray(pair) for pair in list(self._pairs))

    def keys(self) -> Iterator[str]:
        return (k for k, _ in list(self._pairs))

    def values(self) -> Iterator[str]:
        return (v for _, v in list(self._pairs))

    def forEach(self, callback: Callable[..., Any]) -> None:  # noqa: N802
        for k, v in list(self._pairs):
            js_call(callback, v, k, self)

    def __iter__(self) -> Iterator[JsArray]:
        return self.entries()

    def __len__(self) -> int:
        return len(self._pairs)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def toString(self) -> str:  # noqa: N802
        return "&".join(f"{form_encode(k)}={form_encode(v)}" for k, v in self._pairs)

    def _body_init(self) -> tuple[bytes, str]:
        """What this is as a request or response body."""
        return self.toString().encode("utf-8"), FORM_CONTENT_TYPE

    def __repr__(self) -> str:
        return f"URLSearchParams {{{', '.join(f'{k!r} => {v!r}' for k, v in self._pairs)}}}"


class URL(JsProxy):
    """``URL.new(url, base=None)``: a parsed WHATWG URL with the standard's getters and setters."""

    js_type = "URL"

    def __init__(self, url: Any, base: Any = None) -> None:
        self._url = _parse(url, base)
        self._params: URLSearchParams | None = None

    @classmethod
    def new(cls, url: Any = None, base: Any = None) -> URL:
        if url is None and base is None:
            raise TypeError("Failed to construct 'URL': 1 argument required, but only 0 present.")
        return cls(url, base)

    @staticmethod
    def canParse(url: Any, base: Any = None) -> bool:  # noqa: N802
        try:
            _parse(url, base)
        except TypeError:
            return False
        return True

    @classmethod
    def parse(cls, url: Any, base: Any = None) -> URL | None:
        try:
            return cls(url, base)
        except TypeError:
            return None

    @staticmethod
    def createObjectURL(*_: Any) -> Any:  # noqa: N802
        raise TypeError("URL.createObjectURL() is not supported in Workers (there is no Blob URL store)")

    @staticmethod
    def revokeObjectURL(*_: Any) -> None:  # noqa: N802
        return None

    # -- the components ----------------------------------------------------------------------------
    def _get(self, name: str) -> str:
        return getattr(self._url, name)

    def _set(self, name: str, value: Any) -> None:
        try:
            setattr(self._url, name, _string(value))
        except ValueError:
            if name == "href":
                raise TypeError(INVALID_URL) from None
            # other setters ignore values they cannot take, as the standard says
        if name in ("href", "search") and self._params is not None:
            self._params._pairs = parse_form(self._url.search.lstrip("?"))

    href = property(lambda self: self._get("href"), lambda self, v: self._set("href", v))
    protocol = property(lambda self: self._get("protocol"), lambda self, v: self._set("protocol", v))
    username = property(lambda self: self._get("username"), lambda self, v: self._set("username", v))
    password = property(lambda self: self._get("password"), lambda self, v: self._set("password", v))
    host = property(lambda self: self._get("host"), lambda self, v: self._set("host", v))
    hostname = property(lambda self: self._get("hostname"), lambda self, v: self._set("hostname", v))
    port = property(lambda self: self._get("port"), lambda self, v: self._set("port", v))
    pathname = property(lambda self: self._get("pathname"), lambda self, v: self._set("pathname", v))
    search = property(lambda self: self._get("search"), lambda self, v: self._set("search", v))
    hash = property(lambda self: self._get("hash"), lambda self, v: self._set("hash", v))

    @property
    def origin(self) -> str:
        return self._url.origin

    @property
    def searchParams(self) -> URLSearchParams:  # noqa: N802
        if self._params is None:
            self._params = URLSearchParams(self._url.search.lstrip("?"), _url=self)
        return self._params

    def _set_query_from_params(self, query: str) -> None:
        self._url.search = query
        if not query:  # an emptied URLSearchParams leaves no "?" behind
            href = self._url.href
            base = href.split("#", 1)
            if base[0].endswith("?"):
                self._url.href = base[0][:-1] + ("#" + base[1] if len(base) > 1 else "")

    def toString(self) -> str:  # noqa: N802
        return self.href

    def toJSON(self, *_: Any) -> str:  # noqa: N802
        return self.href

    def __repr__(self) -> str:
        return f"URL({self.href!r})"

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__


def _parse(url: Any, base: Any) -> Any:
    ada = _ada()
    text = url.href if isinstance(url, URL) else _string(url)
    try:
        if base is None:
            return ada.URL(text)
        base_text = base.href if isinstance(base, URL) else _string(base)
        return ada.URL(text, base_text)
    except ValueError:
        raise TypeError(INVALID_URL) from None
