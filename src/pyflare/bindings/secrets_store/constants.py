"""Secrets Store's limits and fixed names.

Sources: wrangler's ``secrets-store secret`` commands (packages/wrangler/src/secrets-store/commands.ts:
``validateSecretName``, ``MAX_SECRET_VALUE_BYTES``), Miniflare's binding (packages/miniflare/src/workers/
secrets-store/secret.worker.ts) and Cloudflare's Secrets Store docs (developers.cloudflare.com/secrets-store/).
"""

from __future__ import annotations

import re

MAX_VALUE_BYTES = 64 * 1024  # "The Cloudflare API rejects longer values" (wrangler's MAX_SECRET_VALUE_BYTES)
NAME = re.compile(r"^[A-Za-z0-9_-]+$")  # "alphanumeric characters, underscores, or dashes"
PLUGIN = "secrets-store"  # <persist>/secrets-store/secrets.sqlite
DEFAULT_PER_PAGE = 10  # wrangler's --per-page default
