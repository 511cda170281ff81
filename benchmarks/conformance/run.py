"""Run the whole suite once: both sides, the comparison, the report (text and file)."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from pathlib import Path

from conformance.compare import Comparison, compare, op_results, report
from conformance.harness import MINIFLARE_VERSION, MiniflareSide, PyflareSide, install_miniflare
from conformance.known import KNOWN, REPLAYS, REWRITES
from conformance.sequences import all_sequences
from conformance.sequences.generated import DEFAULT_SEED


@dataclass
class Run:
    comparison: Comparison
    seconds: float
    title: str

    def report(self, details: bool = True) -> str:
        return report(self.comparison, title=self.title, details=details)


async def run_suite(seed: int = DEFAULT_SEED, bindings: set[str] | None = None,
                    miniflare_cache: Path | None = None, generated_share: int = 1) -> Run:
    """Run every sequence (or those of ``bindings``) on both sides and compare; raises Unavailable without node.
    ``generated_share=n`` keeps one generated sequence in n (the hand-written ones always run)."""
    sequences = all_sequences(seed)
    if generated_share > 1:
        sequences = [s for s in sequences if not s["id"].startswith("gen-") or int(s["id"][-3:]) % generated_share == 0]
    if bindings:
        sequences = [s for s in sequences if s["binding"] in bindings]
    folder = install_miniflare(miniflare_cache)
    started = time.perf_counter()
    miniflare = MiniflareSide(folder)
    pyflare = PyflareSide()
    try:
        await pyflare.start()
        on_miniflare = asyncio.create_task(asyncio.to_thread(miniflare.run, sequences))
        on_pyflare = await pyflare.run(sequences)
        on_workerd = await on_miniflare
        miniflare.close()
        comparison = compare(sequences, on_pyflare, on_workerd, KNOWN, REWRITES)
        await _replay(comparison, sequences, pyflare)
    finally:
        miniflare.close()
        await pyflare.close()
    title = f"pyflare conformance against Miniflare {MINIFLARE_VERSION} (seed {seed})"
    return Run(comparison, time.perf_counter() - started, title)


async def _replay(comparison: Comparison, sequences: list[dict], pyflare: PyflareSide) -> None:
    """Explain differences by replaying their sequences on pyflare behaving as Miniflare (known.REPLAYS)."""
    for replay in REPLAYS:
        differences = [d for d in comparison.unexplained if d.index >= 0 and re.fullmatch(replay.binding, d.binding)]
        wanted = {d.sequence for d in differences}
        if not wanted:
            continue
        chosen = [s for s in sequences if s["id"] in wanted]
        with replay.patch():
            again = await pyflare.run(chosen)
        by_id = {s["id"]: s for s in chosen}
        for diff in differences:
            sequence = by_id[diff.sequence]
            ops = [op for op in sequence["ops"] if not op.get("settle")]
            answers = op_results(again[diff.sequence], ops, diff.binding)
            if diff.index < len(answers) and answers[diff.index] == diff.miniflare:
                diff.known = replay.known(diff.binding)
