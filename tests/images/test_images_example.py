"""The bundled examples/images worker: image info and square WebP thumbnails."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pyflare import Pyflare

Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (pip install -e '.[images]')")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "images"


async def test_info_and_thumbnails():
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), "orange").save(photo, format="JPEG")
    async with Pyflare(EXAMPLE, clock="manual") as mf:
        info = (await mf.dispatch_fetch("/info", method="POST", content=photo.getvalue())).json()
        assert (info["format"], info["width"], info["height"]) == ("image/jpeg", 640, 480)
        thumb = await mf.dispatch_fetch("/thumbnail?size=128", method="POST", content=photo.getvalue())
        assert thumb.headers["content-type"] == "image/webp"
        assert thumb.headers["cache-control"] == "public, max-age=86400"
        assert Image.open(io.BytesIO(thumb.content)).size == (128, 128)
        bad = await mf.dispatch_fetch("/thumbnail", method="POST", content=b"not a picture")
        assert bad.status_code == 400 and "9520" in bad.json()["error"]
