"""Email's limits and fixed names.

Sources: Email Routing's limits (developers.cloudflare.com/email-routing/limits/: messages up to 25 MiB,
References up to 100 entries), Miniflare's email plugin (packages/miniflare/src/workers/core/email.ts,
workers/email/send_email.worker.ts, workers/email/validate.ts) for the local endpoint and the checks.
"""

from __future__ import annotations

MAX_MESSAGE_BYTES = 25 * 1024 * 1024  # Email Routing's message size limit
MAX_REFERENCES = 100  # entries in a References header Email Routing still replies to
EMAIL_PATH = "/cdn-cgi/local/email"  # wrangler's /cdn-cgi/handler/email is rewritten to it
PLUGIN = "email"  # <state>/email/<id>.eml
