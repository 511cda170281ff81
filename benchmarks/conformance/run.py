"""Run the whole suite once: both sides, the comparison, the report (text and file)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from conformance.compare import Comparison, compare, report
from conformance.harness import MINIFLARE_VERSION, MiniflareSide, PyflareSide, install_miniflare
from conformance.known import KNOWN, REWRITES
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
    finally:
        miniflare.close()
        await pyflare.close()
    comparison = compare(sequences, on_pyflare, on_workerd, KNOWN, REWRITES)
    title = f"pyflare conformance against Miniflare {MINIFLARE_VERSION} (seed {seed})"
    return Run(comparison, time.perf_counter() - started, title)
