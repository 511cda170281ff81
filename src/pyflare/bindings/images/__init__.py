"""Images, locally: ``images = { binding = "IMAGES" }`` gives ``env.IMAGES`` with ``info(stream)`` and
``input(stream).transform({...}).draw(...).output({format})`` (``.response()``, ``.image()``,
``.contentType()``), computed with Pillow (the optional ``[images]`` extra).

The API is workerd's (src/cloudflare/internal/images-api.ts): a transformer is consumed by ``output()`` or by
being drawn, ``{encoding: "base64"}`` on input and ``image()``; errors are ``ImagesError`` with Cloudflare's
code. Where Miniflare uses sharp with low fidelity (resize/rotate/transcode), pyflare also applies flips, blur,
colour adjustments, borders, trims and draws. Not emulated: ``env.IMAGES.hosted`` (Cloudflare's image
storage) and ``text()`` overlays (they need Cloudflare's fonts); both say so. Layout: ``constants``,
``errors``, ``transform`` (Pillow), this module (the binding objects and the plugin).
"""

from __future__ import annotations

import base64
from typing import Any

from pyflare.bindings.images import constants as c
from pyflare.bindings.images import transform as t
from pyflare.bindings.images.errors import ImagesError
from pyflare.kernel.jsdict import JsDict
from pyflare.runtime.plugin import Platform, Plugin
from pyflare.workers import Headers, ReadableStream, Response

__all__ = ["ImageTransformationResult", "ImageTransformer", "Images", "ImagesError", "ImagesPlugin", "create"]


async def _read(source: Any, options: Any) -> bytes:
    """A stream (or bytes) as bytes, base64-decoded with ``{encoding: "base64"}``."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, ReadableStream) or hasattr(source, "read_all"):
        data = await source.read_all()
    else:
        raise TypeError(f"expected a ReadableStream of the image's bytes, not {type(source).__name__}")
    if isinstance(options, dict) and options.get("encoding") == "base64":
        try:
            data = base64.b64decode(data, validate=False)
        except ValueError:
            raise ImagesError("IMAGES_TRANSFORM_ERROR 9523: ERROR: Input is not valid base64", 9523) from None
    return data


class ImageTransformationResult:
    """What ``output()`` resolves to."""

    def __init__(self, data: bytes, content_type: str) -> None:
        self._data = data
        self._content_type = content_type

    def contentType(self) -> str:  # noqa: N802 - Cloudflare's name
        return self._content_type

    def image(self, options: Any = None) -> ReadableStream:
        data = self._data
        if isinstance(options, dict) and options.get("encoding") == "base64":
            data = base64.b64encode(data)
        return ReadableStream.of(data)

    def response(self, options: Any = None) -> Response:
        headers = Headers((options or {}).get("headers") if isinstance(options, dict) else None)
        headers.set("content-type", self._content_type)
        return Response(self._data, headers=headers)


class ImageTransformer:
    """``env.IMAGES.input(stream)``: transforms and draws applied in order when ``output()`` runs."""

    def __init__(self, source: Any, options: Any = None) -> None:
        self._source = source
        self._options = options
        self._steps: list[tuple[str, Any, Any]] = []
        self._consumed = False

    def transform(self, transform: Any) -> ImageTransformer:
        self._steps.append(("transform", dict(transform) if isinstance(transform, dict) else transform, None))
        return self

    def draw(self, image: Any, options: Any = None) -> ImageTransformer:
        child = image if isinstance(image, ImageTransformer) else ImageTransformer(image)
        if isinstance(image, ImageTransformer):
            image._consume()
        self._steps.append(("draw", child, dict(options or {})))
        return self

    def _consume(self) -> None:
        if self._consumed:
            raise ImagesError(c.CONSUMED, 9525)
        self._consumed = True

    async def _render(self) -> Any:
        t.require_pillow()
        image = t.open_image(await _read(self._source, self._options), "TRANSFORM")
        for kind, step, options in self._steps:
            if kind == "transform":
                image = t.apply(image, step)
            else:
                image = t.draw(image, await step._render(), options)
        return image

    async def output(self, options: Any) -> ImageTransformationResult:
        self._consume()
        image = await self._render()
        data, content_type = t.encode(image, dict(options) if isinstance(options, dict) else options)
        return ImageTransformationResult(data, content_type)


class Images:
    """``env.<binding>``."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def banner_mode(self) -> str:
        return "local" if t.Image is not None else "local (needs Pillow)"

    async def info(self, stream: Any, options: Any = None) -> JsDict:
        return JsDict(t.info(await _read(stream, options)))

    def input(self, stream: Any, options: Any = None) -> ImageTransformer:
        return ImageTransformer(stream, options)

    def text(self, content: str, options: Any = None) -> ImageTransformer:
        raise ImagesError("IMAGES_TRANSFORM_ERROR 9523: text() overlays need Cloudflare's font rendering and are not "
                          "emulated locally; draw an image instead, or run against Cloudflare", 9523)

    @property
    def hosted(self) -> Any:
        raise ImagesError(f"env.{self._name}.hosted: Cloudflare Images storage (upload, list, image) needs "
                          "Cloudflare's network and is not emulated locally", 9523)

    def __repr__(self) -> str:
        return f"<Images binding {self._name}>"


class ImagesPlugin(Plugin):
    def __init__(self, platform: Platform) -> None:
        declared = platform.config.worker.images
        self.images = {declared.binding: Images(declared.binding)} if declared is not None else {}

    def bindings(self) -> dict[str, Any]:
        return dict(self.images)


def create(platform: Platform) -> ImagesPlugin | None:
    return ImagesPlugin(platform) if platform.config.worker.images is not None else None
