"""The explorer through `pyflare dev`: on by default, announced at start, off with --no-explorer."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_worker
from tests.core.test_cli_dev import DevProcess

ENTRY = "from workers import Response\ndef on_fetch(request):\n    return Response('w')\n"
CONFIG = 'name = "dev"\nmain = "src/entry.py"\n[[kv_namespaces]]\nbinding = "KV"\nid = "kv1"\n'


def test_pyflare_dev_serves_the_explorer(tmp_path: Path) -> None:
    dev = DevProcess(write_worker(tmp_path / "w", CONFIG, {"src/entry.py": ENTRY}))
    try:
        assert "<title>pyflare explorer</title>" in dev.get("/cdn-cgi/local/explorer/").text
        assert dev.get("/cdn-cgi/local/explorer/api/storage/kv/namespaces").json()["result"][0]["id"] == "kv1"
    finally:
        code, err = dev.stop()
    assert code == 0
    assert f"Explorer at {dev.url}/cdn-cgi/local/explorer" in err  # stdout carries only the Ready line


def test_no_explorer_turns_it_off(tmp_path: Path) -> None:
    dev = DevProcess(write_worker(tmp_path / "w", CONFIG, {"src/entry.py": ENTRY}), "--no-explorer")
    try:
        assert dev.get("/cdn-cgi/local/explorer/").status_code == 404
        assert dev.get("/").text == "w"
    finally:
        code, err = dev.stop()
    assert code == 0 and "Explorer at" not in err
