"""Typed keys for shared state: each owner makes its own :class:`StashKey`, so no two collide on a string.

The model is pytest's ``Stash``: ``KEY = StashKey[QueueRegistry]()`` in the module that owns the state, then
``stash[KEY]``, ``stash.get(KEY, default)``, ``stash.setdefault(KEY, factory())``. A stash holds the state
plugins of different workers share (``Platform.shared``), a worker's own platform state
(``Runtime.stash``: its Cache API, its outbound route, its WebSocket settings) and a live object's state
(``LiveObject.stash``: its ``ctx``, its accepted WebSockets).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

__all__ = ["Stash", "StashKey"]

T = TypeVar("T")
D = TypeVar("D")


class StashKey(Generic[T]):
    """A key of a :class:`Stash` whose value is a ``T``; compared by identity."""

    __slots__ = ("name",)

    def __init__(self, name: str = "") -> None:
        self.name = name  # for repr and error messages only

    def __repr__(self) -> str:
        return f"<StashKey {self.name or hex(id(self))}>"


class Stash:
    """State under typed keys."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data: dict[StashKey[Any], Any] = {}

    def __setitem__(self, key: StashKey[T], value: T) -> None:
        self._data[key] = value

    def __getitem__(self, key: StashKey[T]) -> T:
        try:
            return cast(T, self._data[key])
        except KeyError:
            raise KeyError(key) from None

    def get(self, key: StashKey[T], default: D) -> T | D:
        return cast("T | D", self._data.get(key, default))

    def setdefault(self, key: StashKey[T], default: T) -> T:
        return cast(T, self._data.setdefault(key, default))

    def pop(self, key: StashKey[T], default: D) -> T | D:
        return cast("T | D", self._data.pop(key, default))

    def __delitem__(self, key: StashKey[T]) -> None:
        del self._data[key]

    def __contains__(self, key: StashKey[Any]) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)
