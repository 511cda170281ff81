"""Headers: the Fetch API's case-insensitive, multi-valued header list."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Union

HeadersInit = Union["Headers", Mapping[str, str], Iterable[tuple[str, str]], None]


class Headers:
    """Case-insensitive headers, read as the SDK's ``HTTPMessage`` mapping: ``h["x"]`` and ``h.get("x")``
    give None when missing, repeated headers join with ", ", iteration yields lower-case names, and
    ``get_all`` returns the values separately (None when missing)."""

    __slots__ = ("_items",)

    def __init__(self, init: HeadersInit = None) -> None:
        self._items: list[tuple[str, str]] = []
        if init is None:
            return
        if isinstance(init, Headers):
            self._items = list(init._items)
        elif isinstance(init, Mapping):
            self._items = [(str(k).lower(), str(v)) for k, v in init.items()]
        else:
            self._items = [(str(k).lower(), str(v)) for k, v in init]

    @classmethod
    def from_raw(cls, raw: Iterable[tuple[bytes, bytes]]) -> Headers:
        """Headers from ASGI's list of (name, value) byte pairs (names already lower-case)."""
        headers = cls.__new__(cls)
        headers._items = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
        return headers

    def raw(self) -> list[tuple[bytes, bytes]]:
        return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self._items]

    def get(self, name: str, default: Any = None) -> str | None:
        name = name.lower()
        values = [v for k, v in self._items if k == name]
        if not values:
            return default
        if name == "set-cookie":
            return values[0]
        return ", ".join(values)

    def get_all(self, name: str, failobj: Any = None) -> list[str] | Any:
        name = name.lower()
        return [v for k, v in self._items if k == name] or failobj

    getAll = get_all  # noqa: N815 - Cloudflare's name
    def getSetCookie(self) -> list[str]:  # noqa: N802 - JS name
        return self.get_all("set-cookie", [])

    def has(self, name: str) -> bool:
        name = name.lower()
        for key, _ in self._items:  # a plain loop: this runs for every response
            if key == name:
                return True
        return False

    def set(self, name: str, value: str) -> None:
        name = name.lower()
        if self.has(name):
            self._items = [(k, v) for k, v in self._items if k != name]
        self._items.append((name, str(value)))

    def append(self, name: str, value: str) -> None:
        self._items.append((name.lower(), str(value)))

    def delete(self, name: str) -> None:
        name = name.lower()
        self._items = [(k, v) for k, v in self._items if k != name]

    def keys(self) -> list[str]:
        return list(dict.fromkeys(k for k, _ in self._items))

    def values(self) -> list[str]:
        return [self.get(k) for k in self.keys()]  # type: ignore[misc]

    def items(self) -> list[tuple[str, str]]:
        return [(k, self.get(k)) for k in self.keys()]  # type: ignore[misc]

    def entries(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __getitem__(self, name: str) -> str | None:
        return self.get(name)

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        self.delete(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return sorted(self._items) == sorted(other._items)
        if isinstance(other, Mapping):
            return dict(self.items()) == {k.lower(): v for k, v in other.items()}
        return NotImplemented

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"
