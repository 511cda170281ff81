"""Differences that are known and intended, each with its reason and source.

``who`` says whose behaviour differs from production Cloudflare: ``"miniflare"`` when Miniflare's
simulator (or local workerd) is not what production does and pyflare follows production; ``"intended"``
for a documented choice of pyflare's. A difference matches an entry by binding, sequence id (a regular
expression), the operation's method, and optionally a predicate on the difference.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Known:
    binding: str
    sequence: str  # a regular expression matched against the sequence id
    call: str | None  # the operation's method (or property), None for any
    who: str  # "miniflare" or "intended"
    reason: str
    source: str
    when: Callable[[Any], bool] | None = None  # a further test on the Difference

    def matches(self, diff: Any) -> bool:
        if diff.binding != self.binding or not re.fullmatch(self.sequence, diff.sequence):
            return False
        if self.call is not None and self.call not in (diff.op.get("call"), diff.op.get("get")):
            return False
        return self.when is None or bool(self.when(diff))


@dataclass(frozen=True)
class Rewrite:
    """A field where Miniflare differs from production the same way in every answer: before comparing, the
    field in Miniflare's answer is replaced by what production gives (``to``, a function of Miniflare's
    value and pyflare's), so the rest of the answer is still compared. Each use is counted in the report."""

    binding: str  # a regular expression over binding names
    field: str  # the key, anywhere in the answer
    to: Callable[[Any, Any], Any]  # (miniflare value, pyflare value) -> replacement
    reason: str
    source: str
    when: Callable[[Any, Any], bool] = lambda miniflare, pyflare: True
    methods: tuple[str, ...] = ()  # only for operations calling these (empty: any)

    def apply(self, binding: str, op: dict, miniflare: Any, pyflare: Any) -> tuple[Any, bool]:
        if not re.fullmatch(self.binding, binding):
            return miniflare, False
        if self.methods:
            from conformance.compare import op_method

            if op_method(op) not in self.methods:
                return miniflare, False
        changed = [False]

        def walk(m: Any, p: Any) -> Any:
            if isinstance(m, dict):
                out = {}
                for k, v in m.items():
                    theirs = p.get(k) if isinstance(p, dict) else None
                    if k == self.field and self.when(v, theirs):
                        new = self.to(v, theirs)
                        changed[0] = changed[0] or new != v
                        out[k] = new
                    else:
                        out[k] = walk(v, theirs)
                return out
            if isinstance(m, list):
                others = p if isinstance(p, list) else []
                return [walk(v, others[i] if i < len(others) else None) for i, v in enumerate(m)]
            return m

        result = walk(miniflare, pyflare)
        return result, changed[0]


KNOWN: list[Known] = []

REWRITES: list[Rewrite] = [
    Rewrite(
        "r2", "storageClass", lambda miniflare, pyflare: "Standard",
        "Miniflare's R2 simulator reports an empty storage class; R2 reports \"Standard\" for objects stored "
        "without one",
        "R2 docs, api/workers/workers-api-reference (R2Object.storageClass); workerd src/workerd/api/r2-bucket.c++",
        when=lambda miniflare, pyflare: miniflare == "",
    ),
]
