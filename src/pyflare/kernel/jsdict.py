"""Dicts that also allow attribute access, as Cloudflare's Python SDK returns JS objects (JsDict)."""

from __future__ import annotations

from typing import Any

from pyflare.kernel.jsobjects import JsProxy, to_py


class JsDict(dict, JsProxy):  # type: ignore[misc]
    """A ``dict`` whose keys are also attributes: ``result.results`` and ``result["results"]``.

    It also stands for a plain JavaScript object (``Object.fromEntries``, ``JSON.parse``, a JSON request body
    in a JS-style handler): attribute access as on Pyodide's ``JsProxy``, ``to_py()`` (a plain dict),
    ``as_object_map()``, ``object_keys()``/``object_values()``/``object_entries()``. Unlike a ``JsProxy`` it
    can also be subscripted and iterated, as Cloudflare's SDK's ``JsDict`` can.
    """

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        # A key wins over a dict method of the same name (``result.keys``, ``meta.values``), as on a JS object.
        if dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def to_py(self, *, depth: int = -1, default_converter: Any = None) -> dict[Any, Any]:
        return {k: to_py(v, depth - 1) for k, v in dict.items(self)}

    def _own_entries(self) -> list[tuple[str, Any]]:
        return [(str(k), v) for k, v in dict.items(self)]

    def as_object_map(self, *, hereditary: bool = False) -> JsDict:
        return self

    def toString(self) -> str:  # noqa: N802 - JS name
        return "[object Object]"

    __str__ = dict.__repr__
    __repr__ = dict.__repr__


def to_jsdict(value: Any) -> Any:
    """Convert nested dicts (inside lists too) to :class:`JsDict`."""
    if isinstance(value, dict) and not isinstance(value, JsDict):
        return JsDict({k: to_jsdict(v) for k, v in value.items()})
    if isinstance(value, list):
        return [to_jsdict(v) for v in value]
    return value


def js_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """The arguments a JavaScript function receives from a Pyodide call: keyword arguments become one
    object passed last (``f(a, x=1)`` is ``f(a, {x: 1})``)."""
    return (*args, JsDict(kwargs)) if kwargs else args


_ABSENT: Any = object()


def field(source: Any, name: str, default: Any = None) -> Any:
    """Member ``name`` of a JavaScript dictionary argument: a dict key, else an attribute (a Python object
    handed to JavaScript, as ``create_proxy(obj)`` or an object with ``start``/``pull`` methods); ``default``
    when absent or undefined (None)."""
    if source is None:
        return default
    if isinstance(source, dict):
        value = dict.get(source, name, _ABSENT)
    else:
        value = getattr(source, name, _ABSENT)
    return default if value is _ABSENT or value is None else value
