"""Images' limits and option names.

Sources: workerd's src/cloudflare/internal/images-api.ts and images.d.ts (the API, the 9525 text, the
transform options), Miniflare's packages/miniflare/src/plugins/images/fetcher.ts (local error texts and
codes), Cloudflare's image transformation limits (developers.cloudflare.com/images/transform-images/: input up
to 70 MB and 100 megapixels, output up to 12,000 pixels a side).
"""

from __future__ import annotations

MAX_INPUT_BYTES = 70 * 1024 * 1024
MAX_INPUT_PIXELS = 100_000_000
MAX_OUTPUT_SIDE = 12_000
TRANSFORM_KEYS = {"width", "height", "background", "blur", "border", "brightness", "contrast", "fit", "flip", "gamma",
                  "gravity", "rotate", "saturation", "sharpen", "trim", "segment"}
NEEDS_PILLOW = ("IMAGES_TRANSFORM_ERROR 9523: the local Images binding needs Pillow: pip install Pillow "
                "(pyflare's [images] extra)")
CONSUMED = ("IMAGES_TRANSFORM_ERROR 9525: ImageTransformer consumed; you may only call .output() or draw a "
            "transformer once")
