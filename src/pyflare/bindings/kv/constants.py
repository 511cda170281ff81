"""KV's limits and fixed names, as Cloudflare documents and enforces them."""

from __future__ import annotations

MAX_KEY_SIZE = 512  # bytes of UTF-8
MAX_VALUE_SIZE = 25 * 1024 * 1024  # 26214400 bytes
MAX_METADATA_SIZE = 1024  # bytes of the JSON-serialized metadata
MIN_EXPIRATION_TTL = 60  # seconds
MIN_CACHE_TTL = 30  # seconds
MAX_LIST_KEYS = 1000  # also the default list limit
MAX_BULK_GET_KEYS = 100
MAX_BULK_SIZE = 25 * 1024 * 1024  # total size of the values one bulk get returns

GET_TYPES = ("text", "json", "arrayBuffer", "stream")
BULK_GET_TYPES = ("text", "json")
DEFAULT_TYPE = "text"

STREAM_CHUNK = 64 * 1024  # chunk size of values read as "stream"

# The storage plugin name: namespaces live in <persist>/kv/<namespace id>.sqlite
PLUGIN = "kv"
