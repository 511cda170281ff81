"""Limits of Workers Static Assets (wrangler / Miniflare), as named numbers. The limits and options of the
``[assets]`` config itself (file size and count, ``html_handling``...) are in ``pyflare.config.assets``."""

MAX_HEADER_RULES = 100  # _headers
MAX_STATIC_REDIRECTS = 2_000  # _redirects without placeholders or splats
MAX_DYNAMIC_REDIRECTS = 100  # _redirects with them
MAX_LINE_LENGTH = 2_000  # a line of _headers or _redirects
REDIRECT_STATUSES = (200, 301, 302, 303, 307, 308)

# Always hidden from the assets, whatever .assetsignore says.
ALWAYS_IGNORED = (".assetsignore", "_headers", "_redirects")

CACHE_CONTROL = "public, max-age=0, must-revalidate"

# Content types where Python's built-in table differs from the `mime` package Cloudflare uses.
CONTENT_TYPES = {
    ".js": "text/javascript", ".mjs": "text/javascript", ".cjs": "text/javascript",
    ".json": "application/json", ".map": "application/json", ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm", ".ico": "image/vnd.microsoft.icon", ".svg": "image/svg+xml",
    ".webp": "image/webp", ".avif": "image/avif", ".woff": "font/woff", ".woff2": "font/woff2",
    ".ttf": "font/ttf", ".otf": "font/otf", ".md": "text/markdown", ".csv": "text/csv", ".txt": "text/plain",
    ".xml": "application/xml", ".mp4": "video/mp4", ".webm": "video/webm", ".mp3": "audio/mpeg",
    ".html": "text/html", ".htm": "text/html", ".css": "text/css", ".png": "image/png", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".gif": "image/gif", ".pdf": "application/pdf", ".zip": "application/zip",
}
