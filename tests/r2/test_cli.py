"""``pyflare r2 object put|get|delete`` on local state."""

from __future__ import annotations

import asyncio
import io
import sys

import pytest

from pyflare import Pyflare
from pyflare.cli import main


def fake_stdio(monkeypatch, name: str, data: bytes = b"") -> io.BytesIO:
    buffer = io.BytesIO(data)
    monkeypatch.setattr(sys, name, io.TextIOWrapper(buffer))
    return buffer


@pytest.fixture
def cli(config, tmp_path):
    state = tmp_path / "cli-state"

    def run(*argv: str) -> int:
        return main(["r2", "object", *argv, "--config", str(config), "--persist-to", str(state)])

    run.state = state
    return run


def test_put_file_then_get_to_stdout(cli, tmp_path, monkeypatch, capsys):
    source = tmp_path / "in.bin"
    source.write_bytes(b"\x00file contents\xff")
    assert cli("put", "my-bucket/dir/in.bin", "--file", str(source), "--content-type", "application/x-test") == 0
    out = fake_stdio(monkeypatch, "stdout")
    assert cli("get", "my-bucket/dir/in.bin") == 0
    sys.stdout.flush()
    assert out.getvalue() == b"\x00file contents\xff"


def test_put_from_stdin_and_get_to_file(cli, tmp_path, monkeypatch):
    fake_stdio(monkeypatch, "stdin", b"piped data")
    assert cli("put", "my-bucket/p", "--pipe") == 0
    target = tmp_path / "out.bin"
    assert cli("get", "my-bucket/p", "--file", str(target)) == 0
    assert target.read_bytes() == b"piped data"


def test_cli_writes_are_seen_by_the_worker(cli, config, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("hello")
    assert cli("put", "my-bucket/k", "--file", str(source), "--content-type", "text/plain") == 0

    async def check() -> None:
        async with Pyflare(config, persist_to=cli.state) as mf:
            obj = await mf.env.BUCKET.get("k")
            assert await obj.text() == "hello"
            assert obj.httpMetadata == {"contentType": "text/plain"}

    asyncio.run(check())


def test_delete(cli, tmp_path, capsys):
    source = tmp_path / "in.txt"
    source.write_text("x")
    cli("put", "my-bucket/k", "--file", str(source))
    assert cli("delete", "my-bucket/k") == 0
    assert cli("get", "my-bucket/k") == 1
    assert "not found" in capsys.readouterr().err


def test_unknown_bucket_is_a_usage_error(cli, capsys):
    assert cli("delete", "other/k") == 2
    assert "no R2 bucket named 'other'" in capsys.readouterr().err


def test_path_without_key_is_a_usage_error(cli, capsys):
    assert cli("delete", "my-bucket") == 2
    assert "expected BUCKET/KEY" in capsys.readouterr().err


def test_key_too_long_reports_r2_error(cli, capsys):
    assert cli("delete", "my-bucket/" + "k" * 1025) == 1
    assert "delete: The specified object name is not valid. (10020)" in capsys.readouterr().err
