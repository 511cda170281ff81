"""pyflare's differential conformance suite: the same operation sequences on Miniflare (workerd) and on
pyflare, every result compared. Run ``python3 benchmarks/bench_conformance.py``; see docs/conformance.md."""
