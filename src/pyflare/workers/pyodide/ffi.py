"""``pyodide.ffi`` under CPython: conversions are identities because values never leave Python."""

from __future__ import annotations

from typing import Any

from pyflare.workers._jsdict import JsDict


class JsProxy:
    """Stands for a JavaScript object; pyflare's values are plain Python objects instead."""


class JsException(Exception):
    pass


def to_js(value: Any, *_: Any, dict_converter: Any = None, **__: Any) -> Any:
    if isinstance(value, dict) and dict_converter is not None:
        return dict_converter(value.items())
    return value


def create_proxy(value: Any, *_: Any, **__: Any) -> Any:
    return value


def create_once_callable(value: Any, *_: Any, **__: Any) -> Any:
    return value


__all__ = ["JsDict", "JsException", "JsProxy", "create_once_callable", "create_proxy", "to_js"]
