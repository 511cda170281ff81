"""Limits of the rate limiting binding."""

from __future__ import annotations

# The only windows Cloudflare supports, in seconds.
PERIODS = (10, 60)

# Keys ``limit()`` accepts in its options object.
OPTION_KEYS = ("key", "limit", "period")
