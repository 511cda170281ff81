"""Strategies for the fuzz tests, and a started worker that synchronous hypothesis tests can drive."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import strategies as st

from pyflare import Pyflare

# -- strategies ----------------------------------------------------------------------------------------
# Any text a Python worker can hold, lone surrogates and NULs included.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
# Numbers at the edges: huge ints, NaN, infinities, negative zero, floats that are not integers.
edge_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([0, -1, 59, 60, 61, 2**31, 2**53 + 1, 10**30, -(10**30)]),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), edge_numbers, any_text, st.binary(max_size=40))


class Nested(list):
    """A list nested ``depth`` levels deep, shown briefly in hypothesis reports."""

    # Only hypothesis's report is short; str()/repr() still walk the whole value, as a binding's would.
    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"<a value nested {self.depth} levels deep>")


def _nest(depth: int) -> Any:
    value: Any = "deep"
    for index in range(depth):
        value = [value] if index % 2 else {"k": value}
    nested = Nested([value])
    nested.depth = depth  # type: ignore[attr-defined]
    return nested


# Values nested deeper than Python's recursion limit (a worker can build them; a binding must refuse them).
deeply_nested = st.integers(min_value=900, max_value=5000).map(_nest)

anything = st.one_of(
    scalars,
    deeply_nested,
    st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(any_text, edge_numbers), inner, max_size=4),
            st.tuples(inner, inner),
        ),
        max_leaves=10,
    ),
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a plausible value, sometimes anything at all."""
    return st.one_of(st.none(), strategy, anything)


# -- a worker driven from a synchronous test ----------------------------------------------------------
class Driver:
    """A started Pyflare on its own event loop; ``run(coro)`` runs one binding call to completion."""

    def __init__(self, config: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.mf = Pyflare(config, clock="manual")
        self.run(self.mf.start())

    def run(self, awaitable: Any) -> Any:
        return self.loop.run_until_complete(awaitable)

    def close(self) -> None:
        self.run(self.mf.close())
        self.loop.close()
