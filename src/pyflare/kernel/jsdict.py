"""Dicts that also allow attribute access, as Cloudflare's Python SDK returns JS objects (JsDict)."""

from __future__ import annotations

from typing import Any


class JsDict(dict):
    """A ``dict`` whose keys are also attributes: ``result.results`` and ``result["results"]``."""

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


def to_jsdict(value: Any) -> Any:
    """Convert nested dicts (inside lists too) to :class:`JsDict`."""
    if isinstance(value, dict) and not isinstance(value, JsDict):
        return JsDict({k: to_jsdict(v) for k, v in value.items()})
    if isinstance(value, list):
        return [to_jsdict(v) for v in value]
    return value
