"""The image work itself, with Pillow: reading an image's info, the transforms of ``transform({...})``, drawing
one image on another, and encoding the output. Every refusal is an :class:`ImagesError` with Cloudflare's
code (9520: unsupported input or output, 9523: bad request) and a text naming what was wrong.

Semantics follow Cloudflare's image transformation options (developers.cloudflare.com/images/
transform-images/transform-via-workers/): ``fit`` ``scale-down`` (the default: shrink to fit, never
enlarge), ``contain``, ``cover``, ``crop``, ``pad``, ``squeeze``; ``gravity`` ``center``/``left``/``right``/
``top``/``bottom`` or ``{x, y}`` (``auto``, ``face`` and ``entropy`` fall back to the centre locally);
``rotate`` 90/180/270 clockwise; ``flip`` h/v/hv; ``blur`` (1-250); ``brightness``, ``contrast``,
``saturation``, ``gamma`` (1 = unchanged); ``sharpen`` (0-10); ``background``; ``border``; ``trim``.
"""

from __future__ import annotations

import io
from typing import Any

from pyflare.bindings.images import constants as c
from pyflare.bindings.images.errors import ImagesError

try:  # Pillow is the optional [images] extra; the binding says how to install it when it is missing
    from PIL import Image, ImageChops, ImageColor, ImageEnhance, ImageFilter, ImageOps
except ImportError:  # pragma: no cover - exercised only without Pillow
    Image = None  # type: ignore[assignment]

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif", "AVIF": "image/avif"}
OUTPUTS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF", "image/avif": "AVIF"}
FITS = ("scale-down", "contain", "cover", "crop", "pad", "squeeze")


def require_pillow() -> None:
    if Image is None:
        raise ImagesError(c.NEEDS_PILLOW, 9523)


def is_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096].lower())


def open_image(data: bytes, operation: str) -> Any:
    """The decoded image, or the error Cloudflare gives for an input it cannot use."""
    require_pillow()
    if len(data) > c.MAX_INPUT_BYTES:
        raise ImagesError(f"IMAGES_{operation}_ERROR 9523: ERROR: Input image is larger than "
                          f"{c.MAX_INPUT_BYTES // (1024 * 1024)} MB", 9523)
    try:
        image = Image.open(io.BytesIO(data))
        kind = image.format
    except Exception:
        raise ImagesError(f"IMAGES_{operation}_ERROR 9520: ERROR: Unsupported image type, expected one of: JPEG, SVG, "
                          "PNG, WebP, GIF or AVIF", 9520) from None
    if kind not in FORMATS:
        raise ImagesError(f"IMAGES_{operation}_ERROR 9520: ERROR: Unsupported image type {str(kind).lower()}, "
                          "expected one of: JPEG, SVG, PNG, WebP, GIF or AVIF", 9520)
    width, height = image.size
    if width * height > c.MAX_INPUT_PIXELS:
        raise ImagesError(f"IMAGES_{operation}_ERROR 9523: ERROR: Input image area {width}x{height} exceeds "
                          f"{c.MAX_INPUT_PIXELS // 1_000_000} megapixels", 9523)
    image.load()
    return image


def info(data: bytes) -> dict[str, Any]:
    if is_svg(data):
        return {"format": "image/svg+xml"}
    image = open_image(data, "INFO")
    return {"format": FORMATS[image.format], "fileSize": len(data), "width": image.width, "height": image.height}


# -- transforms ------------------------------------------------------------------------------------
def _number(transform: dict[str, Any], key: str, low: float, high: float) -> float | None:
    value = transform.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ImagesError(f"IMAGES_TRANSFORM_ERROR 9523: ERROR: {key} must be a number, not {value!r}", 9523)
    if not low <= value <= high:
        raise ImagesError(f"IMAGES_TRANSFORM_ERROR 9523: ERROR: {key} must be between {low:g} and {high:g}, "
                          f"not {value!r}", 9523)
    return float(value)


def _color(value: Any, default: str = "#ffffff") -> tuple[int, int, int, int]:
    text = str(value) if value is not None else default
    try:
        rgb = ImageColor.getcolor(text, "RGBA")
    except ValueError:
        raise ImagesError(f"IMAGES_TRANSFORM_ERROR 9523: ERROR: Invalid color {text!r}", 9523) from None
    return rgb  # type: ignore[return-value]


def _gravity(gravity: Any) -> tuple[float, float]:
    """Where to keep the image when cropping or padding: (x, y) in 0..1."""
    if isinstance(gravity, dict):
        return float(gravity.get("x", 0.5)), float(gravity.get("y", 0.5))
    return {"left": (0.0, 0.5), "right": (1.0, 0.5), "top": (0.5, 0.0), "bottom": (0.5, 1.0)}.get(str(gravity),
                                                                                                (0.5, 0.5))


def _resize(image: Any, transform: dict[str, Any]) -> Any:
    width = _number(transform, "width", 1, c.MAX_OUTPUT_SIDE)
    height = _number(transform, "height", 1, c.MAX_OUTPUT_SIDE)
    if width is None and height is None:
        return image
    fit = transform.get("fit") or "scale-down"
    if fit not in FITS:
        raise ImagesError(f"IMAGES_TRANSFORM_ERROR 9523: ERROR: fit must be one of {', '.join(FITS)}, not {fit!r}",
                          9523)
    w0, h0 = image.size
    if width is None or height is None:  # one side given: keep the aspect ratio
        scale = (width / w0) if width is not None else (height / h0)  # type: ignore[operator]
        if fit in ("scale-down", "crop") and scale > 1:
            return image
        return image.resize((max(1, round(w0 * scale)), max(1, round(h0 * scale))), Image.LANCZOS)
    w, h = int(width), int(height)
    if fit == "squeeze":
        return image.resize((w, h), Image.LANCZOS)
    contain_scale = min(w / w0, h / h0)
    cover_scale = max(w / w0, h / h0)
    if fit in ("scale-down", "contain", "pad"):
        scale = min(contain_scale, 1.0) if fit == "scale-down" else contain_scale
        resized = image.resize((max(1, round(w0 * scale)), max(1, round(h0 * scale))), Image.LANCZOS)
        if fit != "pad":
            return resized
        canvas = Image.new("RGBA", (w, h), _color(transform.get("background")))
        gx, gy = _gravity(transform.get("gravity"))
        canvas.paste(resized, (round((w - resized.width) * gx), round((h - resized.height) * gy)),
                     resized.convert("RGBA"))
        return canvas
    # cover / crop: fill the box, then cut what overflows around the gravity point
    scale = cover_scale if fit == "cover" else min(cover_scale, 1.0)
    resized = image.resize((max(1, round(w0 * scale)), max(1, round(h0 * scale))), Image.LANCZOS)
    cw, ch = min(w, resized.width), min(h, resized.height)
    gx, gy = _gravity(transform.get("gravity"))
    left, top = round((resized.width - cw) * gx), round((resized.height - ch) * gy)
    return resized.crop((left, top, left + cw, top + ch))


def _trim(image: Any, trim: Any) -> Any:
    if trim == "border":
        background = Image.new(image.mode, image.size, image.getpixel((0, 0)))
        box = ImageChops.difference(image, background).getbbox()
        return image.crop(box) if box else image
    if isinstance(trim, dict):
        left, top = int(trim.get("left", 0)), int(trim.get("top", 0))
        right = image.width - int(trim.get("right", 0))
        bottom = image.height - int(trim.get("bottom", 0))
        if "width" in trim:
            right = left + int(trim["width"])
        if "height" in trim:
            bottom = top + int(trim["height"])
        if not (0 <= left < right <= image.width and 0 <= top < bottom <= image.height):
            raise ImagesError("IMAGES_TRANSFORM_ERROR 9523: ERROR: trim leaves no image", 9523)
        return image.crop((left, top, right, bottom))
    raise ImagesError(f"IMAGES_TRANSFORM_ERROR 9523: ERROR: trim must be 'border' or an object, not {trim!r}", 9523)


def apply(image: Any, transform: dict[str, Any]) -> Any:
    """One ``transform({...})`` step."""
    if not isinstance(transform, dict):
        raise ImagesError("IMAGES_TRANSFORM_ERROR 9523: ERROR: Expected JSON array of valid transforms in transforms "
                          "field", 9523)
    unknown = sorted(set(transform) - c.TRANSFORM_KEYS)
    if unknown:
        raise ImagesError(f"IMAGES_TRANSFORM_ERROR 9523: ERROR: unknown transform option {unknown[0]!r}", 9523)
    if transform.get("trim") is not None:
        image = _trim(image, transform["trim"])
    rotate = transform.get("rotate")
    if rotate not in (None, 0, 90, 180, 270):
        raise ImagesError(f"IMAGES_TRANSFORM_ERROR 9523: ERROR: rotate must be 0, 90, 180 or 270, not {rotate!r}",
                          9523)
    if rotate:
        image = image.rotate(-rotate, expand=True)  # Cloudflare turns clockwise, Pillow counter-clockwise
    flip = transform.get("flip")
    if flip is not None:
        if flip not in ("h", "v", "hv"):
            raise ImagesError(f"IMAGES_TRANSFORM_ERROR 9523: ERROR: flip must be h, v or hv, not {flip!r}", 9523)
        if "h" in flip:
            image = ImageOps.mirror(image)
        if "v" in flip:
            image = ImageOps.flip(image)
    image = _resize(image, transform)
    blur = _number(transform, "blur", 0, 250)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur / 2))
    for key, enhancer in (("brightness", "Brightness"), ("contrast", "Contrast"), ("saturation", "Color")):
        factor = _number(transform, key, 0, 100)
        if factor is not None and factor != 1:
            base = image.convert("RGBA") if image.mode not in ("RGB", "RGBA", "L") else image
            image = getattr(ImageEnhance, enhancer)(base).enhance(factor)
    gamma = _number(transform, "gamma", 0.01, 100)
    if gamma is not None and gamma != 1:
        table = [min(255, round(255 * (v / 255) ** (1 / gamma))) for v in range(256)]
        base = image.convert("RGBA") if image.mode not in ("RGB", "RGBA") else image
        bands = len(base.getbands())
        image = base.point(table * bands if bands < 4 else table * 3 + list(range(256)))
    sharpen = _number(transform, "sharpen", 0, 10)
    if sharpen:
        image = image.filter(ImageFilter.UnsharpMask(radius=2, percent=int(sharpen * 50), threshold=0))
    border = transform.get("border")
    if border is not None:
        if not isinstance(border, dict):
            raise ImagesError("IMAGES_TRANSFORM_ERROR 9523: ERROR: border must be an object", 9523)
        every = int(border.get("width", 0))
        sides = tuple(int(border.get(side, every)) for side in ("left", "top", "right", "bottom"))
        image = ImageOps.expand(image.convert("RGBA"), border=sides, fill=_color(border.get("color"), "#000000"))
    return image


def draw(canvas: Any, overlay: Any, options: dict[str, Any]) -> Any:
    """``draw(image, {opacity, top, left, bottom, right, repeat})``: the overlay painted on the canvas."""
    canvas = canvas.convert("RGBA")
    overlay = overlay.convert("RGBA")
    opacity = _number(options, "opacity", 0, 1)
    if opacity is not None and opacity < 1:
        alpha = overlay.getchannel("A").point(lambda a: round(a * opacity))
        overlay.putalpha(alpha)
    repeat = options.get("repeat")
    if repeat:
        step_x = overlay.width if repeat in (True, "x") or repeat is True else canvas.width + 1
        step_y = overlay.height if repeat in (True, "y") or repeat is True else canvas.height + 1
        for y in range(0, canvas.height, step_y):
            for x in range(0, canvas.width, step_x):
                canvas.alpha_composite(overlay, (x, y))
        return canvas
    left = options.get("left")
    top = options.get("top")
    if left is None:
        right = options.get("right")
        left = canvas.width - overlay.width - int(right) if right is not None else (canvas.width - overlay.width) // 2
    if top is None:
        bottom = options.get("bottom")
        top = canvas.height - overlay.height - int(bottom) if bottom is not None else (
            canvas.height - overlay.height) // 2
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    layer.paste(overlay, (int(left), int(top)))  # onto a transparent layer: the overlay keeps its own alpha
    return Image.alpha_composite(canvas, layer)


def encode(image: Any, options: dict[str, Any]) -> tuple[bytes, str]:
    """``output({format, quality, background})``: the encoded bytes and their content type."""
    if not isinstance(options, dict) or not options.get("format"):
        raise ImagesError("IMAGES_TRANSFORM_ERROR 9523: ERROR: output() needs a format, e.g. {'format': "
                          "'image/webp'}", 9523)
    wanted = options["format"]
    if max(image.size) > c.MAX_OUTPUT_SIDE:
        raise ImagesError(f"IMAGES_TRANSFORM_ERROR 9523: ERROR: Output image side exceeds {c.MAX_OUTPUT_SIDE} "
                          "pixels", 9523)
    if wanted in ("rgb", "rgba"):
        return image.convert(wanted.upper()).tobytes(), wanted
    if wanted not in OUTPUTS:
        raise ImagesError(f"IMAGES_TRANSFORM_ERROR 9520: ERROR: Unsupported output format {wanted!r}, expected one "
                          "of: image/jpeg, image/png, image/gif, image/webp, image/avif, rgb, rgba", 9520)
    pil_format = OUTPUTS[wanted]
    quality = _number(options, "quality", 1, 100)
    if pil_format in ("JPEG",) or (options.get("background") is not None and image.mode in ("RGBA", "LA", "P")):
        if image.mode in ("RGBA", "LA", "P"):  # no alpha in JPEG: flatten on the background (white by default)
            rgba = image.convert("RGBA")
            flat = Image.new("RGBA", rgba.size, _color(options.get("background")))
            image = Image.alpha_composite(flat, rgba)
        image = image.convert("RGB") if pil_format == "JPEG" else image
    params: dict[str, Any] = {}
    if quality is not None and pil_format in ("JPEG", "WEBP", "AVIF"):
        params["quality"] = int(quality)
    out = io.BytesIO()
    try:
        image.save(out, format=pil_format, **params)
    except (OSError, KeyError, ValueError) as exc:
        raise ImagesError(f"IMAGES_TRANSFORM_ERROR 9520: ERROR: {wanted} output is not supported locally ({exc})",
                          9520) from None
    return out.getvalue(), wanted
