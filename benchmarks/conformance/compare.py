"""Compare the two sides' descriptions operation by operation, and write the report.

Before comparing, values that legitimately differ between two runs are replaced by placeholders
(:func:`normalise`): random ids and versions, durations, and times near the operation's own clock
(``t``, each side's "now" when the operation started): a date within ten minutes of it becomes ``<now>``,
a KV ``expiration`` becomes its distance from now in seconds (rounded to 10 s).

Each difference gets a *kind*, derived from where and how the two descriptions first differ
(:func:`kind_of`), so the report can count differences by binding and by kind. A difference that
``known.py`` records as intended (pyflare follows production where Miniflare does not, or a documented
choice) is reported apart and does not fail the suite.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from conformance.harness import Outcome

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
# Values that identify a run or a server rather than behaviour: replaced on both sides before comparing.
_VOLATILE_KEYS = {"duration": "<duration>", "timings": "<timings>", "uploadId": "<uploadId>",
                  "served_by": "<served_by>", "size_after": "<bytes>"}
NOW_WINDOW_MS = 10 * 60 * 1000


def canonical_float(text: str) -> str:
    """One spelling for a float however JavaScript or Python wrote it (``1e-7`` and ``1e-07``)."""
    if text in ("nan", "NaN"):
        return "nan"
    number = float(text.replace("Infinity", "inf"))
    return "nan" if math.isnan(number) else repr(number)


_EPOCH_SECONDS = re.compile(r"\b1[0-9]{9}\b")


def _relative_seconds(match: re.Match, now_ms: int) -> str:
    delta = int(match.group()) - now_ms / 1000
    return f"<now{int(round(delta / 10) * 10):+d}s>" if abs(delta) < 10**6 else match.group()


def normalise(value: Any, now_ms: int, key: str | None = None) -> Any:
    if isinstance(value, list):
        return [normalise(item, now_ms) for item in value]
    if isinstance(value, str):
        if key == "version" and _HEX32.match(value):
            return "<version>"
        if key in _VOLATILE_KEYS:
            return _VOLATILE_KEYS[key]
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if key == "duration":
            return "<duration>"
        if key == "expiration" and value > 10**9:
            return {"$in_seconds": int(round((value - now_ms / 1000) / 10) * 10)}
        return value
    if not isinstance(value, dict):
        return value
    if "$float" in value and len(value) == 1:
        return {"$float": canonical_float(value["$float"])}
    if "$error" in value:
        message = _EPOCH_SECONDS.sub(lambda m: _relative_seconds(m, now_ms), value["$error"]["message"])
        return {"$error": {**value["$error"], "message": message}}
    if "$date" in value and isinstance(value["$date"], int):
        out = dict(value)
        if abs(value["$date"] - now_ms) <= NOW_WINDOW_MS:
            out["$date"] = "<now>"
        return out
    if value.get("$type") == "Response":
        # Header order is not compared (JavaScript's Headers iterate sorted); the Date header is a time.
        headers = sorted([k.lower(), "<date>" if k.lower() == "date" else v] for k, v in value.get("headers", []))
        value = {**value, "headers": headers}
    out = {}
    for k, item in value.items():
        if k in _VOLATILE_KEYS and (item is None or isinstance(item, (str, int, float)) or "$float" in item
                                    or k == "timings"):
            out[k] = _VOLATILE_KEYS[k] if item is not None else None
        else:
            out[k] = normalise(item, now_ms, k)
    return out


# -- kinds ---------------------------------------------------------------------------------------------
def _type_name(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        for tag in ("$float", "$int", "$error", "$set", "$dict"):
            if tag in value:
                return tag[1:]
        if "$bytes" in value:
            return f"bytes:{value.get('type')}"
        if "$date" in value:
            return "naive datetime" if value.get("naive") else "aware datetime"
        if "$type" in value:
            return str(value["$type"])
        return "dict"
    return type(value).__name__


def first_difference(a: Any, b: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], Any, Any] | None:
    """Where ``a`` and ``b`` first differ: (path, a's part, b's part), or None if they are equal."""
    if a == b:
        return None
    if isinstance(a, dict) and isinstance(b, dict) and _type_name(a) == _type_name(b):
        if "$error" in a:
            return path, a, b
        for k in list(a) + [k for k in b if k not in a]:
            if k not in a or k not in b:
                return (*path, k), a.get(k, "<absent>"), b.get(k, "<absent>")
            found = first_difference(a[k], b[k], (*path, k))
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, (*path, str(index)))
            if found:
                return found
        return (*path, "length"), len(a), len(b)
    return path, a, b


# Field names of the results the bindings return: a path component outside this set is user data (a key,
# a column name) and shows as "*" in a kind, so one behaviour counts as one kind whatever the data.
FIELDS = frozenset(
    "keys name expiration metadata value cacheStatus list_complete cursor objects delimitedPrefixes truncated "
    "key version size etag httpEtag uploaded httpMetadata customMetadata range storageClass ssecKeyMd5 checksums "
    "md5 sha1 sha256 sha384 sha512 offset length suffix contentType contentLanguage contentDisposition "
    "contentEncoding cacheControl cacheExpiry body partNumber success meta results changes last_row_id changed_db "
    "rows_read rows_written count columnNames rows rowsRead rowsWritten status headers events readyState type "
    "code reason wasClean data queue messages attempts timestamp idOk".split()
)


def _where(path: tuple[str, ...]) -> str:
    parts = []
    for part in path:
        if part.isdigit():
            continue
        parts.append(part if part in FIELDS or part.startswith("$") else "*")
    while len(parts) > 1 and parts[-1] == "*" and parts[-2] == "*":
        parts.pop()
    return ".".join(parts) or "result"


def kind_of(pyflare: Any, miniflare: Any) -> str:
    """A short name for how pyflare's answer differs from Miniflare's."""
    p_err = isinstance(pyflare, dict) and "$error" in pyflare
    m_err = isinstance(miniflare, dict) and "$error" in miniflare
    if p_err and m_err:
        if pyflare["$error"]["name"] != miniflare["$error"]["name"]:
            return f"error class {pyflare['$error']['name']} (workerd: {miniflare['$error']['name']})"
        return "error message"
    if p_err:
        return "pyflare refuses what workerd accepts"
    if m_err:
        return "pyflare accepts what workerd refuses"
    found = first_difference(pyflare, miniflare)
    assert found is not None
    path, a, b = found
    where = _where(path)
    if a == "<absent>" or b == "<absent>":
        side = "only pyflare has" if b == "<absent>" else "pyflare lacks"
        return f"{side} {where}"
    if _type_name(a) != _type_name(b):
        return f"type at {where}: {_type_name(a)} (workerd: {_type_name(b)})"
    return f"value at {where}"


# -- the comparison ------------------------------------------------------------------------------------
@dataclass
class Difference:
    sequence: str
    binding: str
    index: int
    op: dict[str, Any]
    pyflare: Any
    miniflare: Any
    kind: str
    known: Any = None  # the known.Known entry that explains it, if any


@dataclass
class Comparison:
    operations: Counter = field(default_factory=Counter)  # per binding
    sequences: Counter = field(default_factory=Counter)
    differences: list[Difference] = field(default_factory=list)
    rewritten: Counter = field(default_factory=Counter)  # known.Rewrite -> operations it changed

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if d.known is None]

    @property
    def explained(self) -> list[Difference]:
        return [d for d in self.differences if d.known is not None]


def op_results(outcome: Outcome, ops: list[dict[str, Any]], binding: str) -> list[Any]:
    out = []
    for item, op in zip(outcome.results, ops, strict=False):
        value = normalise(item["r"], item["t"])
        method = op_method(op)
        if method == "uploadPart" and isinstance(value, dict) and "etag" in value:
            value = {**value, "etag": "<part etag>"}  # opaque tokens (Miniflare's are random)
        if method in ("send", "sendBatch") and isinstance(value, dict) and "metadata" in value:
            # The backlog a send reports depends on what else is on the queue at that instant (delayed
            # messages, timing): only its shape is compared.
            metrics = value["metadata"].get("metrics", {}) if isinstance(value["metadata"], dict) else {}
            value = {"metadata": {"metrics": {k: "<number>" for k in metrics if k != "oldestMessageTimestamp"}}}
        if binding == "r2" and method == "list" and isinstance(value, dict) and "cursor" in value:
            # R2 cursors are opaque: compared by the pages they lead to (sequences list with them), not
            # their text (where a page ends on a delimited prefix the two encode different positions).
            value = {**value, "cursor": "<cursor>"}
        out.append(value)
    return out


def compare(sequences: list[dict[str, Any]], pyflare: dict[str, Outcome], miniflare: dict[str, Outcome],
            known: list[Any], rewrites: list[Any] = ()) -> Comparison:
    """Compare every operation. ``rewrites`` (known.Rewrite) first replace, in Miniflare's answers, values
    where Miniflare is known to differ from production in the same way everywhere (counted in the report),
    so the rest of the value is still compared; ``known`` then explains whole-operation differences."""
    result = Comparison()
    for sequence in sequences:
        binding = sequence["binding"]
        ops = [op for op in sequence["ops"] if not op.get("settle")]
        sid = sequence["id"]
        result.sequences[binding] += 1
        result.operations[binding] += len(ops)
        p_out, m_out = pyflare[sid], miniflare[sid]
        if p_out.failed or m_out.failed:
            if p_out.failed != m_out.failed:
                result.differences.append(Difference(sid, binding, -1, {}, p_out.failed, m_out.failed,
                                                     "sequence failed whole"))
            continue
        p_res, m_res = op_results(p_out, ops, binding), op_results(m_out, ops, binding)
        if len(p_res) != len(m_res):
            result.differences.append(Difference(sid, binding, -1, {}, len(p_res), len(m_res),
                                                 "number of results"))
            continue
        for index, (op, a, b) in enumerate(zip(ops, p_res, m_res, strict=True)):
            for rewrite in rewrites:
                b, changed = rewrite.apply(binding, op, b, a)
                if changed:
                    result.rewritten[rewrite] += 1
            if a == b:
                continue
            diff = Difference(sid, binding, index, op, a, b, kind_of(a, b))
            diff.known = next((k for k in known if k.matches(diff)), None)
            result.differences.append(diff)
    return result


# -- the report ----------------------------------------------------------------------------------------
def _op_text(op: dict[str, Any]) -> str:
    if op.get("chain"):
        steps = []
        for method, args, kwargs in op["chain"]:
            inner = ", ".join([_short(a, 60) for a in args] + [f"{k}={_short(v)}" for k, v in (kwargs or {}).items()])
            steps.append(f"{method}({inner})")
        return ".".join([op["on"], *steps])
    if "call" in op:
        args = ", ".join(_short(a) for a in op.get("args", []))
        kwargs = ", ".join(f"{k}={_short(v)}" for k, v in (op.get("kwargs") or {}).items())
        joined = ", ".join(x for x in (args, kwargs) if x)
        return f"{op['on']}.{op['call']}({joined})"
    if "get" in op:
        return f"{op['on']}.{op['get']}"
    return json.dumps(op)


def _short(value: Any, limit: int = 70) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def op_method(op: dict[str, Any]) -> str:
    """The method an operation calls (the last one of a chain), or what it does."""
    if op.get("chain"):
        return str(op["chain"][-1][0])
    for key in ("call", "get"):
        if key in op:
            return str(op[key])
    for key in ("events", "observe", "wsPair"):
        if key in op:
            return key
    return "sequence"


def _kind_key(diff: Difference) -> str:
    return f"{op_method(diff.op)}: {diff.kind}"


def differences_json(comparison: Comparison) -> list[dict[str, Any]]:
    """Every difference with both answers whole (the Markdown report shortens them)."""
    return [{"sequence": d.sequence, "index": d.index, "binding": d.binding, "op": d.op, "kind": d.kind,
             "known": None if d.known is None else {"who": d.known.who, "reason": d.known.reason},
             "pyflare": d.pyflare, "miniflare": d.miniflare} for d in comparison.differences]


# Whose behaviour a known difference is (known.Known.who), as the report says it.
_WHO = {"miniflare": "Miniflare, not production", "intended": "pyflare, on purpose",
        "platform": "this Python's SQLite", "approximation": "pyflare's row counter"}


def report(comparison: Comparison, *, title: str, details: bool = True) -> str:
    """The report as Markdown: totals, a table per binding, differences by kind, then each difference."""
    lines = [f"# {title}", ""]
    total_ops = sum(comparison.operations.values())
    total_seq = sum(comparison.sequences.values())
    unexplained, explained = comparison.unexplained, comparison.explained
    lines.append(f"Operations compared: {total_ops} in {total_seq} sequences. Differing operations: "
                 f"{len(comparison.differences)} ({len(unexplained)} unexplained, {len(explained)} known and intended).")
    lines += ["", "| binding | sequences | operations | differences | unexplained | known |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    per_binding: dict[str, list[Difference]] = defaultdict(list)
    for diff in comparison.differences:
        per_binding[diff.binding].append(diff)
    for binding in sorted(comparison.operations):
        diffs = per_binding.get(binding, [])
        lines.append(f"| {binding} | {comparison.sequences[binding]} | {comparison.operations[binding]} | {len(diffs)} | "
                     f"{sum(d.known is None for d in diffs)} | {sum(d.known is not None for d in diffs)} |")
    if comparison.rewritten:
        lines += ["", "## Known differences normalised before comparing", "",
                  "| binding | field | operations | why |", "| --- | --- | ---: | --- |"]
        for rewrite, count in sorted(comparison.rewritten.items(), key=lambda item: (item[0].binding, item[0].field)):
            lines.append(f"| {rewrite.binding} | {rewrite.field} | {count} | {rewrite.reason} ({rewrite.source}) |")
    for heading, group in (("Unexplained differences by kind", unexplained),
                           ("Known and intended differences by kind", explained)):
        lines += ["", f"## {heading}", ""]
        if not group:
            lines.append("None.")
            continue
        kinds: dict[tuple[str, str], list[Difference]] = defaultdict(list)
        for diff in group:
            kinds[(diff.binding, _kind_key(diff))].append(diff)
        if group is unexplained:
            lines += ["| binding | kind | operations | example |", "| --- | --- | ---: | --- |"]
        else:
            lines += ["| binding | kind | operations | example | differs | why (source) |",
                      "| --- | --- | ---: | --- | --- | --- |"]
        for (binding, kind), diffs in sorted(kinds.items()):
            example = diffs[0]
            row = f"| {binding} | {kind} | {len(diffs)} | {example.sequence}#{example.index} |"
            if example.known is not None:
                row += f" {_WHO.get(example.known.who, example.known.who)} | {example.known.reason} " \
                       f"({example.known.source}) |"
            lines.append(row)
    if details and comparison.differences:
        lines += ["", "## Each difference", ""]
        for diff in comparison.differences:
            mark = f" (known: {diff.known.who})" if diff.known is not None else ""
            lines.append(f"- {diff.sequence}#{diff.index} `{_op_text(diff.op)}`{mark}: {diff.kind}")
            lines.append(f"  - pyflare:   {_short(diff.pyflare, 400)}")
            lines.append(f"  - miniflare: {_short(diff.miniflare, 400)}")
    return "\n".join(lines) + "\n"
