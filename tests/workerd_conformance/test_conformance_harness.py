"""The conformance harness itself, without node: seeded sequences, how answers are compared and counted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from conformance import harness  # noqa: E402
from conformance.compare import compare, kind_of, report  # noqa: E402
from conformance.harness import Outcome, Unavailable  # noqa: E402
from conformance.known import Known, Rewrite  # noqa: E402
from conformance.ops import call, sequence  # noqa: E402
from conformance.sequences import all_sequences  # noqa: E402
from conformance.sequences.generated import DEFAULT_SEED  # noqa: E402

NOW = 1_900_000_000_000  # an operation's "now", in milliseconds


def _answer(*values: object) -> Outcome:
    return Outcome(results=[{"r": value, "t": NOW} for value in values])


def test_sequences_are_the_same_for_a_seed_and_differ_for_another() -> None:
    first, again = all_sequences(DEFAULT_SEED), all_sequences(DEFAULT_SEED)
    assert first == again
    other = all_sequences(DEFAULT_SEED + 1)
    generated = [s for s in first if s["id"].startswith("gen-")]
    assert generated and generated != [s for s in other if s["id"].startswith("gen-")]
    assert {s["binding"] for s in first} >= {"kv", "r2", "d1", "do-sqlite", "do-kv", "do-sql", "queues",
                                             "cache", "websockets"}


def test_differences_are_counted_per_binding_and_explained_only_by_a_matching_entry() -> None:
    ops = [call("KV", "get", "a"), call("KV", "get", "b"), call("KV", "get", "c")]
    sequences = [sequence("kv-x", "kv", ops)]
    pyflare = {"kv-x": _answer("1", {"$error": {"name": "TypeError", "message": "bad"}}, None)}
    workerd = {"kv-x": _answer("1", None, "3")}
    known = [Known("kv", r"kv-.*", "get", "miniflare", "Miniflare's own limit", "Cloudflare docs page",
                   when=lambda d: d.pyflare is not None and "$error" in d.pyflare)]
    comparison = compare(sequences, pyflare, workerd, known)
    assert comparison.operations["kv"] == 3
    assert [(d.index, d.kind) for d in comparison.differences] == [
        (1, "pyflare refuses what workerd accepts"), (2, "type at result: None (workerd: str)")]
    assert [d.index for d in comparison.unexplained] == [2]
    text = report(comparison, title="t")
    assert "Differing operations: 2 (1 unexplained, 1 known and intended)" in text
    assert "| kv | 1 | 3 | 2 | 1 | 1 |" in text
    assert "Miniflare, not production | Miniflare's own limit (Cloudflare docs page)" in text


def test_a_rewrite_replaces_miniflare_s_field_counts_it_and_the_rest_is_still_compared() -> None:
    rewrite = Rewrite("r2", "storageClass", lambda miniflare, pyflare: "Standard", "simulator's", "src",
                      when=lambda miniflare, pyflare: miniflare == "")
    sequences = [sequence("r2-x", "r2", [call("R2", "head", "a"), call("R2", "head", "b")])]
    pyflare = {"r2-x": _answer({"storageClass": "Standard", "size": 1}, {"storageClass": "Standard", "size": 1})}
    workerd = {"r2-x": _answer({"storageClass": "", "size": 1}, {"storageClass": "", "size": 2})}
    comparison = compare(sequences, pyflare, workerd, [], [rewrite])
    assert comparison.rewritten[rewrite] == 2
    assert [(d.index, d.kind) for d in comparison.differences] == [(1, "value at size")]


def test_times_near_the_operation_s_own_clock_compare_equal() -> None:
    sequences = [sequence("r2-t", "r2", [call("R2", "head", "a")])]
    pyflare = {"r2-t": _answer({"uploaded": {"$date": NOW + 1234}})}
    workerd = {"r2-t": _answer({"uploaded": {"$date": NOW - 50}})}
    assert compare(sequences, pyflare, workerd, []).differences == []


def test_kinds_name_the_error_class_and_hide_user_data() -> None:
    error = {"$error": {"name": "RangeError", "message": "x"}}
    assert kind_of(error, {"$error": {"name": "TypeError", "message": "x"}}) == "error class RangeError (workerd: TypeError)"
    assert kind_of({"rows": [{"my_column": 1}]}, {"rows": [{"my_column": 2}]}) == "value at rows.*"


def test_without_node_the_suite_is_unavailable_with_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(harness.shutil, "which", lambda name: None)
    with pytest.raises(Unavailable) as caught:
        harness.install_miniflare(tmp_path)
    assert str(caught.value) == "conformance suite skipped: node/npm not found on PATH"
