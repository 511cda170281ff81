"""examples/r2 runs: upload, ranged download, list with a delimiter."""

from __future__ import annotations

from pathlib import Path

from pyflare import Pyflare

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "r2" / "wrangler.toml"


async def test_example_upload_range_and_list():
    async with Pyflare(EXAMPLE) as mf:
        put = await mf.dispatch_fetch("/files/docs/a.txt", method="PUT", content=b"hello range world",
                                      headers={"content-type": "text/plain"})
        assert put.status_code == 201
        got = await mf.dispatch_fetch("/files/docs/a.txt", headers={"range": "bytes=6-10"})
        assert got.status_code == 206 and got.text == "range"
        assert got.headers["content-range"] == "bytes 6-10/17"
        listed = (await mf.dispatch_fetch("/list")).json()
        assert listed["folders"] == ["docs/"] and listed["objects"] == []
        etag = put.json()["etag"]
        assert (await mf.dispatch_fetch("/files/docs/a.txt", headers={"if-none-match": f'"{etag}"'})).status_code == 304


async def test_example_answers_ranges_as_cloudflare_serves_files():
    async with Pyflare(EXAMPLE) as mf:
        await mf.dispatch_fetch("/files/a.txt", method="PUT", content=b"0123456789abcdefghijkl")  # 22 bytes
        past_end = await mf.dispatch_fetch("/files/a.txt", headers={"range": "bytes=100-"})
        assert past_end.status_code == 416 and past_end.headers["content-range"] == "bytes */22"
        several = await mf.dispatch_fetch("/files/a.txt", headers={"range": "bytes=0-1,4-5"})
        assert several.status_code == 200 and several.content == b"0123456789abcdefghijkl"
        assert "content-range" not in several.headers
        suffix = await mf.dispatch_fetch("/files/a.txt", headers={"range": "bytes=-3"})
        assert suffix.status_code == 206 and suffix.text == "jkl"
        assert suffix.headers["content-range"] == "bytes 19-21/22"
        open_ended = await mf.dispatch_fetch("/files/a.txt", headers={"range": "bytes=20-"})
        assert open_ended.status_code == 206 and open_ended.text == "kl"
