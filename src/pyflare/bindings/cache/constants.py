"""Limits and status lists of the Cache API."""

from __future__ import annotations

# workerd: CacheStorage::open requires name.size() < 1024.
MAX_CACHE_NAME_LENGTH = 1024

DEFAULT_NAMESPACE = ""  # caches.default
NAMED_PREFIX = "named:"  # caches.open(name) is stored as "named:<name>" (so no name collides with the default)

# Statuses a shared cache understands, and those it may store without explicit freshness
# (RFC 9111 4.2.2 "heuristically cacheable"), as http-cache-semantics lists them.
UNDERSTOOD_STATUSES = frozenset({200, 203, 204, 206, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501})
CACHEABLE_BY_DEFAULT = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})

# Without explicit freshness, a response with Last-Modified stays fresh for this fraction of its age.
HEURISTIC_FRACTION = 0.1
# `immutable` responses stay at least this long (http-cache-semantics' immutableMinTimeToLive).
IMMUTABLE_MIN_TTL = 24 * 3600

# Connection-level headers a cache never stores (RFC 9110 7.6.1).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "transfer-encoding", "upgrade", "proxy-connection"})

CACHE_STATUS_HEADER = "CF-Cache-Status"
