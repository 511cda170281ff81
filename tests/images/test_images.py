"""Images: info, transforms, draws and outputs computed with Pillow, workerd's API shape and errors."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.bindings.images import ImagesError
from pyflare.workers import ReadableStream

Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (pip install -e '.[images]')")

PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==")

WORKER = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/info"):
            return Response.json(await self.env.IMAGES.info(request.body))
        width = int(request.headers.get("x-width") or 100)
        result = await (self.env.IMAGES.input(request.body)
                        .transform({"width": width, "height": width, "fit": "cover"})
                        .output({"format": "image/webp", "quality": 80}))
        return result.response()
"""


def picture(width: int, height: int, color: str = "red", mode: str = "RGB", fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), color).save(out, format=fmt)
    return out.getvalue()


def decode(data: bytes):
    return Image.open(io.BytesIO(data))


@pytest.fixture
async def mf(tmp_path: Path):
    config = write_worker(tmp_path / "w", 'name = "img"\nmain = "src/entry.py"\nimages = { binding = "IMAGES" }\n',
                          {"src/entry.py": WORKER})
    async with Pyflare(config, clock="manual") as mf:
        yield mf


async def test_a_worker_gets_info_and_a_resized_webp(mf: Pyflare) -> None:
    source = picture(400, 200, fmt="JPEG")
    info = (await mf.dispatch_fetch("/info", method="POST", content=source)).json()
    assert info == {"format": "image/jpeg", "fileSize": len(source), "width": 400, "height": 200}
    response = await mf.dispatch_fetch("/", method="POST", content=source, headers={"x-width": "50"})
    assert response.headers["content-type"] == "image/webp"
    out = decode(response.content)
    assert (out.format, out.size) == ("WEBP", (50, 50))


async def test_cloudflares_own_assertions(mf: Pyflare) -> None:
    images = mf.env["IMAGES"]
    result = await images.input(ReadableStream.of(PNG_1X1)).output({"format": "image/png"})
    assert result.response().headers.get("content-type") == "image/png"
    result = await images.input(ReadableStream.of(PNG_1X1)).transform({"width": 1, "height": 1}).output(
        {"format": "image/png"})
    assert result.contentType() == "image/png"
    assert decode(await result.image().read_all()).size == (1, 1)


@pytest.mark.parametrize(("fit", "size", "expected"), [
    ("scale-down", (100, 100), (100, 50)),   # shrinks to fit
    ("scale-down", (800, 800), (400, 200)),  # never enlarges
    ("contain", (800, 800), (800, 400)),
    ("cover", (100, 100), (100, 100)),
    ("crop", (100, 100), (100, 100)),
    ("crop", (800, 800), (400, 200)),        # never enlarges: what fits of the original
    ("pad", (100, 100), (100, 100)),
    ("squeeze", (30, 90), (30, 90)),
])
async def test_fit_modes(mf: Pyflare, fit: str, size: tuple[int, int], expected: tuple[int, int]) -> None:
    result = await mf.env["IMAGES"].input(picture(400, 200)).transform(
        {"width": size[0], "height": size[1], "fit": fit}).output({"format": "image/png"})
    assert decode(await result.image().read_all()).size == expected


async def test_rotate_flip_pad_background_and_one_side(mf: Pyflare) -> None:
    images = mf.env["IMAGES"]
    turned = await images.input(picture(40, 10)).transform({"rotate": 90}).output({"format": "image/png"})
    assert decode(await turned.image().read_all()).size == (10, 40)
    half = Image.new("RGB", (20, 10), "white")
    half.paste(Image.new("RGB", (10, 10), "black"), (0, 0))
    buffer = io.BytesIO()
    half.save(buffer, "PNG")
    flipped = await images.input(buffer.getvalue()).transform({"flip": "h"}).output({"format": "image/png"})
    out = decode(await flipped.image().read_all()).convert("RGB")
    assert out.getpixel((0, 5)) == (255, 255, 255) and out.getpixel((19, 5)) == (0, 0, 0)
    padded = await images.input(picture(20, 10, "black")).transform(
        {"width": 20, "height": 20, "fit": "pad", "background": "#00ff00"}).output({"format": "image/png"})
    out = decode(await padded.image().read_all()).convert("RGB")
    assert out.getpixel((10, 0)) == (0, 255, 0) and out.getpixel((10, 10)) == (0, 0, 0)
    wide = await images.input(picture(400, 200)).transform({"width": 100}).output({"format": "image/jpeg"})
    assert decode(await wide.image().read_all()).size == (100, 50)


async def test_draw_an_overlay_with_opacity_and_position(mf: Pyflare) -> None:
    images = mf.env["IMAGES"]
    watermark = images.input(picture(10, 10, "blue")).transform({"width": 5, "height": 5, "fit": "squeeze"})
    result = await images.input(picture(50, 50, "white")).draw(watermark, {"bottom": 0, "right": 0}).output(
        {"format": "image/png"})
    out = decode(await result.image().read_all()).convert("RGB")
    assert out.getpixel((47, 47)) == (0, 0, 255) and out.getpixel((10, 10)) == (255, 255, 255)
    with pytest.raises(ImagesError, match="9525: ImageTransformer consumed") as caught:
        await watermark.output({"format": "image/png"})  # drawn: consumed
    assert caught.value.code == 9525
    faded = await images.input(picture(10, 10, "white")).draw(picture(10, 10, "black"), {"opacity": 0.5}).output(
        {"format": "image/png"})
    assert 120 < decode(await faded.image().read_all()).convert("L").getpixel((5, 5)) < 135


async def test_base64_in_and_out(mf: Pyflare) -> None:
    images = mf.env["IMAGES"]
    info = await images.info(base64.b64encode(picture(3, 4)), {"encoding": "base64"})
    assert (info.width, info.height, info.format) == (3, 4, "image/png")
    result = await images.input(picture(3, 4)).output({"format": "image/png"})
    assert decode(base64.b64decode(await result.image({"encoding": "base64"}).read_all())).size == (3, 4)


async def test_errors_carry_cloudflares_codes(mf: Pyflare) -> None:
    images = mf.env["IMAGES"]
    with pytest.raises(ImagesError, match="IMAGES_INFO_ERROR 9520: ERROR: Unsupported image type") as caught:
        await images.info(b"not an image")
    assert caught.value.code == 9520
    assert (await images.info(b'<svg xmlns="http://www.w3.org/2000/svg"/>')) == {"format": "image/svg+xml"}
    with pytest.raises(ImagesError, match="Unsupported output format 'image/tiff'"):
        await images.input(picture(2, 2)).output({"format": "image/tiff"})
    with pytest.raises(ImagesError, match="rotate must be 0, 90, 180 or 270"):
        await images.input(picture(2, 2)).transform({"rotate": 45}).output({"format": "image/png"})
    with pytest.raises(ImagesError, match="unknown transform option 'zoom'"):
        await images.input(picture(2, 2)).transform({"zoom": 2}).output({"format": "image/png"})
    with pytest.raises(ImagesError, match="width must be between 1 and 12000"):
        await images.input(picture(2, 2)).transform({"width": 20000}).output({"format": "image/png"})
    with pytest.raises(ImagesError, match="not emulated locally"):
        images.hosted  # noqa: B018 - the property raises
    rgba = await images.input(picture(2, 1)).output({"format": "rgba"})
    assert await rgba.image().read_all() == bytes([255, 0, 0, 255]) * 2


async def test_the_banner_shows_it_as_local(mf: Pyflare) -> None:
    from pyflare.cli.banner import banner_rows

    [row] = [r for r in banner_rows(mf.config, mf.env) if r.name == "IMAGES"]
    assert (row.kind, row.mode) == ("Images", "local")
