"""Metadata filters: their grammar (as Cloudflare's metadata filtering page states it) and their meaning.

A filter is an object of ``{key: condition}`` joined by an implicit AND. A key names a property, with
``.`` for nesting (``"pandas.nice"`` looks for ``{"pandas": {"nice": ...}}``); a condition is a value
(implicit ``$eq``) or an object of operators: ``$eq``/``$ne`` (a string, number, boolean or null),
``$in``/``$nin`` (an array of those), ``$lt``/``$lte``/``$gt``/``$gte`` (a string or number; strings order
lexicographically), where one upper bound may be combined with one lower bound and nothing else combines.
The compact JSON of a filter must be less than 2048 bytes; keys cannot be empty, contain ``"``, start with
``$`` or be longer than 512 characters.

What a filter sees of a vector are its *indexed* values (:func:`indexed_values`): on Cloudflare a filter
applies only to properties with a metadata index, and only to vectors written after that metadata index was
created. A string is indexed as its first 64 bytes (cut on a UTF-8 character boundary), a number as a
float64, a boolean as itself; a value of another type than the index's is not indexed. So a filter on a
property without a metadata index matches as if no vector had the property: ``$eq`` and ranges match
nothing, ``$ne``/``$nin`` match everything, ``$eq: null`` matches every vector.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyflare.bindings.vectorize import constants as c
from pyflare.bindings.vectorize import errors as e
from pyflare.bindings.vectorize.errors import refuse
from pyflare.bindings.vectorize.validation import truncate_utf8
from pyflare.kernel.jsvalues import is_number, json_stringify, usv

ALL_OPS = c.EQUALITY_OPS + c.SET_OPS + c.UPPER_OPS + c.LOWER_OPS

# Indexed values are tagged by type so that true never equals 1 and "1" never equals 1.
BOOLEAN, NUMBER, STRING = 1, 2, 3
Tagged = tuple[int, Any]


def tag(value: Any) -> Tagged | None:
    """A filter operand or stored value as ``(type, value)``; None for null (and for what is not indexable)."""
    if isinstance(value, bool):
        return BOOLEAN, value
    if is_number(value):
        return NUMBER, float(value)
    if isinstance(value, str):
        return STRING, truncate_utf8(usv(value), c.MAX_INDEXED_STRING_BYTES)
    return None


def lookup(metadata: Any, path: str) -> Any:
    """The value at a dotted ``path`` of a metadata object (None when absent)."""
    value = metadata
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def indexed_values(metadata: Any, metadata_indexes: Mapping[str, str]) -> dict[str, Any]:
    """What the metadata indexes hold of one vector's metadata: ``{property: value}`` for each property whose
    value has the index's type, strings cut to 64 bytes (``returnMetadata: "indexed"`` returns these)."""
    found: dict[str, Any] = {}
    if not isinstance(metadata, Mapping):
        return found
    for prop, kind in metadata_indexes.items():
        value = lookup(metadata, prop)
        if kind == "boolean" and isinstance(value, bool):
            found[prop] = value
        elif kind == "number" and is_number(value) and math.isfinite(value):
            found[prop] = value
        elif kind == "string" and isinstance(value, str):
            found[prop] = truncate_utf8(value, c.MAX_INDEXED_STRING_BYTES)
    return found


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1, "c": 2}`` -> ``{"a": {"b": 1}, "c": 2}`` (indexed values returned as metadata)."""
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        node = nested
        parts = path.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return nested


@dataclass(frozen=True)
class Condition:
    """One key's condition. ``kind`` is "eq", "in" or "range"; ``negate`` turns eq/in into $ne/$nin."""

    path: str
    kind: str
    negate: bool = False
    operands: tuple[Tagged | None, ...] = ()  # eq: one operand (None: null); in: several
    lower: Tagged | None = None
    lower_inclusive: bool = False
    upper: Tagged | None = None
    upper_inclusive: bool = False

    def test(self, value: Tagged | None) -> bool:
        """Does a vector whose indexed value for ``path`` is ``value`` (None: none) pass?"""
        if self.kind == "range":
            return self._in_range(value)
        return (value in self.operands) != self.negate

    def _in_range(self, value: Tagged | None) -> bool:
        if value is None:
            return False
        for bound, inclusive, sign in ((self.lower, self.lower_inclusive, 1), (self.upper, self.upper_inclusive, -1)):
            if bound is None:
                continue
            if bound[0] != value[0]:
                return False
            if value[1] == bound[1]:
                if not inclusive:
                    return False
            elif (value[1] > bound[1]) != (sign > 0):
                return False
        return True


@dataclass(frozen=True)
class Filter:
    conditions: tuple[Condition, ...]

    @property
    def paths(self) -> list[str]:
        return [condition.path for condition in self.conditions]

    def matches(self, indexed: Mapping[str, Any]) -> bool:
        return all(condition.test(tag(indexed.get(condition.path))) for condition in self.conditions)


def _invalid(why: str) -> Exception:
    return refuse(e.VECTOR_QUERY, e.INVALID_FILTER, why=why)


def _operand(key: str, op: str, value: Any, *, allow_null: bool, allow_bool: bool) -> Tagged | None:
    if value is None and allow_null:
        return None
    if isinstance(value, bool):
        if allow_bool:
            return tag(value)
    elif is_number(value):
        if isinstance(value, float) and not math.isfinite(value):
            raise _invalid(f'"{key}": {op} needs a finite number')
        return tag(value)
    elif isinstance(value, str):
        return tag(value)
    kinds = "a string, number, boolean or null" if allow_bool else "a string or number"
    raise _invalid(f'"{key}": {op} takes {kinds}')


def _check_key(key: Any) -> str:
    if not isinstance(key, str) or key == "":
        raise _invalid("keys cannot be empty")
    if '"' in key:
        raise _invalid(f"key {key!r} contains a double quote")
    if key.startswith("$"):
        raise _invalid(f'key "{key}" starts with "$"; operators go inside a key\'s object')
    if len(key) > c.MAX_FILTER_KEY_CHARS:
        raise _invalid(f"key is {len(key)} characters long; keys are at most {c.MAX_FILTER_KEY_CHARS}")
    if "" in key.split("."):
        raise _invalid(f'key "{key}" has an empty part ("." separates nested keys)')
    return usv(key)


def _condition(key: str, spec: Any) -> Condition:
    if not isinstance(spec, Mapping):
        if isinstance(spec, (list, tuple)):
            raise _invalid(f'"{key}": a value to match must be a string, number, boolean or null; use $in for '
                           "a list of values")
        return Condition(key, "eq", operands=(_operand(key, "$eq", spec, allow_null=True, allow_bool=True),))
    ops = list(spec)
    if not ops:
        raise _invalid(f'"{key}": an operator object needs an operator ({", ".join(ALL_OPS)})')
    unknown = [op for op in ops if op not in ALL_OPS]
    if unknown:
        raise _invalid(f'"{key}": unknown operator {unknown[0]!r}; operators: {", ".join(ALL_OPS)}')
    ranges = [op for op in ops if op in c.UPPER_OPS + c.LOWER_OPS]
    if len(ops) > 1 and (len(ranges) != len(ops) or sum(op in c.UPPER_OPS for op in ops) > 1
                         or sum(op in c.LOWER_OPS for op in ops) > 1):
        raise _invalid(f'"{key}": {", ".join(ops)} cannot be combined; only an upper bound ($lt or $lte) with '
                       "a lower bound ($gt or $gte)")
    op = ops[0]
    if op in c.EQUALITY_OPS:
        operand = _operand(key, op, spec[op], allow_null=True, allow_bool=True)
        return Condition(key, "eq", negate=op == "$ne", operands=(operand,))
    if op in c.SET_OPS:
        values = spec[op]
        if not isinstance(values, (list, tuple)):
            raise _invalid(f'"{key}": {op} takes an array of strings, numbers, booleans or nulls')
        operands = tuple(_operand(key, op, v, allow_null=True, allow_bool=True) for v in values)
        return Condition(key, "in", negate=op == "$nin", operands=operands)
    bounds: dict[str, Any] = {}
    for op in ranges:
        bounds[op] = _operand(key, op, spec[op], allow_null=False, allow_bool=False)
    lower_op = next((op for op in ranges if op in c.LOWER_OPS), None)
    upper_op = next((op for op in ranges if op in c.UPPER_OPS), None)
    return Condition(key, "range",
                     lower=bounds.get(lower_op) if lower_op else None, lower_inclusive=lower_op == "$gte",
                     upper=bounds.get(upper_op) if upper_op else None, upper_inclusive=upper_op == "$lte")


def parse_filter(raw: Any) -> Filter | None:
    """A query's ``filter`` checked and compiled; None when there is none."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not raw:
        raise _invalid("filter must be a non-empty object")
    try:
        size = len(json_stringify(dict(raw)).encode("utf-8"))
    except (TypeError, ValueError):
        raise _invalid("filter must be plain JSON (objects, arrays, strings, numbers, booleans, null)") from None
    if size >= c.MAX_FILTER_BYTES:
        raise _invalid(f"its compact JSON is {size} bytes; it must be less than {c.MAX_FILTER_BYTES} bytes")
    return Filter(tuple(_condition(_check_key(key), spec) for key, spec in raw.items()))
