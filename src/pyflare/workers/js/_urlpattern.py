"""``URLPattern``: the WHATWG URL Pattern Standard, through the ``urlpattern`` package (a binding of the
Rust ``urlpattern`` crate), loaded when ``js.URLPattern`` is first used.

``URLPattern.new({"pathname": "/books/:id"}).exec("https://x.com/books/7").pathname.groups.id == "7"``;
results are objects with attribute access, groups a plain object. The ``ignoreCase`` option works where the
installed package honours it; where it does not, asking for it is an error that says so (it is never
silently ignored).
"""

from __future__ import annotations

import functools
from typing import Any

from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jserrors import DOMException
from pyflare.kernel.jsobjects import JsArray, JsProxy

__all__ = ["URLPattern"]

_COMPONENTS = ("protocol", "username", "password", "hostname", "port", "pathname", "search", "hash")


@functools.cache
def _library() -> Any:
    import urlpattern

    return urlpattern


@functools.cache
def _ignore_case_works() -> bool:
    pattern = _library().URLPattern({"pathname": "/books/:id"}, {"ignoreCase": True})
    return bool(pattern.test({"pathname": "/A"}) is False and pattern.test({"pathname": "/BOOKS/1"}))


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None}
    if hasattr(value, "href") and not isinstance(value, str):  # a js.URL
        return value.href
    return value


def _js(value: Any) -> Any:
    if isinstance(value, dict):
        return JsDict((k, _js(v)) for k, v in value.items())
    if isinstance(value, list):
        return JsArray(_js(v) for v in value)
    return value


class URLPattern(JsProxy):
    """``URLPattern.new(input, baseURL=None, options)``: ``test(url)``, ``exec(url)``, the component patterns."""

    js_type = "URLPattern"

    def __init__(self, input: Any = None, base_url: Any = None, options: Any = None) -> None:
        if isinstance(base_url, dict) and options is None:  # URLPattern.new(input, {ignoreCase: ...})
            base_url, options = None, base_url
        ignore_case = bool((options or {}).get("ignoreCase")) if isinstance(options, dict) else False
        if ignore_case and not _ignore_case_works():
            raise DOMException("URLPattern's ignoreCase option is not available in pyflare: the installed "
                               "urlpattern package does not honour it", "NotSupportedError")
        opts = {"ignoreCase": True} if ignore_case else {}
        library = _library()
        source = _plain(input if input is not None else {})
        try:
            if base_url is not None:
                self._pattern = library.URLPattern(source, _plain(base_url), opts)
            else:
                self._pattern = library.URLPattern(source, opts)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"Failed to construct 'URLPattern': {exc}") from None

    @classmethod
    def new(cls, *args: Any, **kwargs: Any) -> URLPattern:
        if kwargs:  # URLPattern.new(pathname="/x") passes {pathname: "/x"}, as Pyodide would
            args = (*args, JsDict(kwargs))
        return cls(*args[:3])

    def __getattr__(self, name: str) -> Any:
        if name in _COMPONENTS:
            return getattr(self._pattern, name)
        raise AttributeError(name)

    @property
    def hasRegExpGroups(self) -> bool:  # noqa: N802 - JS name
        return bool(self._pattern.hasRegExpGroups)

    def test(self, input: Any = None, base_url: Any = None) -> bool:
        try:
            if base_url is not None:
                return bool(self._pattern.test(_plain(input), _plain(base_url)))
            return bool(self._pattern.test(_plain(input if input is not None else {})))
        except (ValueError, TypeError):
            return False

    def exec(self, input: Any = None, base_url: Any = None) -> JsDict | None:
        try:
            if base_url is not None:
                result = self._pattern.exec(_plain(input), _plain(base_url))
            else:
                result = self._pattern.exec(_plain(input if input is not None else {}))
        except (ValueError, TypeError):
            return None
        return None if result is None else _js(result)

    def _own_entries(self) -> list[tuple[str, Any]]:
        return [(name, getattr(self._pattern, name)) for name in _COMPONENTS]
