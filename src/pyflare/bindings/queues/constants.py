"""Queues limits and defaults, as named numbers (production Cloudflare, not Miniflare's looser defaults)."""

from __future__ import annotations

# -- producer limits ---------------------------------------------------------------------------------
MAX_MESSAGE_BYTES = 128_000  # one message, serialized
MAX_BATCH_MESSAGES = 100  # messages in one sendBatch()
MAX_BATCH_BYTES = 256_000  # all messages of one sendBatch(), serialized
MAX_DELAY_SECONDS = 43_200  # 12 hours: delaySeconds on send, sendBatch, retry and retry_delay

# -- consumer defaults (Cloudflare's; Miniflare uses 5 messages / 1 s / 2 retries) -------------------
DEFAULT_MAX_BATCH_SIZE = 10
DEFAULT_MAX_BATCH_TIMEOUT = 5.0  # seconds
DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_CONCURRENCY = 1  # batches of one queue in flight at once, unless max_concurrency says more

# -- content types -----------------------------------------------------------------------------------
TEXT, JSON, BYTES, V8 = "text", "json", "bytes", "v8"
CONTENT_TYPES = (TEXT, JSON, BYTES, V8)
# From this compatibility date (or with the queues_json_messages flag) send() without contentType uses
# json; before it, v8. no_queues_json_messages turns it off.
JSON_DEFAULT_DATE = "2024-03-18"

# How long to wait before offering a batch again when the worker could not be loaded at all.
LOAD_ERROR_BACKOFF = 1.0
