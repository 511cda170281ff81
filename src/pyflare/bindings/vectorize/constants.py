"""Vectorize's limits and fixed names, as named numbers.

Sources: Cloudflare's Vectorize limits page (developers.cloudflare.com/vectorize/platform/limits/, V2 indexes,
as updated 2026-08-05), the metadata filtering page (/vectorize/reference/metadata-filtering/), the client API
page (/vectorize/reference/client-api/), workerd's binding (src/cloudflare/internal/vectorize-api.ts) and
wrangler's commands (packages/wrangler/src/vectorize/). Two limits the docs do not list (ids per
``getByIds`` and per ``deleteByIds``) come from the production errors users quote (see errors.py).
"""

from __future__ import annotations

# -- indexes ---------------------------------------------------------------------------------------
MAX_DIMENSIONS = 1536  # "Maximum dimensions per vector: 1536 dimensions, 32 bits precision"
MAX_INDEX_NAME_BYTES = 64  # "Maximum index name length: 64 bytes"
MAX_VECTORS_PER_INDEX = 20_000_000  # "Maximum vectors per index: 20,000,000"
MAX_NAMESPACES = 50_000  # "Maximum namespaces per index: 50,000 (Workers Paid) / 1000 (Free)"
MAX_METADATA_INDEXES = 10  # "Maximum metadata indexes per Vectorize index: 10"
METRICS = ("euclidean", "cosine", "dot-product")  # wrangler's --metric choices; workerd's DistanceMetric
METADATA_INDEX_TYPES = ("string", "number", "boolean")  # wrangler's create-metadata-index --type choices

# wrangler's --preset choices (workerd's KnownModel) and the index each one makes. The dimensions are the
# models' output sizes (the create-indexes page lists bge-base 768, ada-002 1536, embed-multilingual-v2.0 768);
# Cloudflare does not document the preset's metric: pyflare uses cosine, the metric the docs recommend
# for these text-embedding models.
PRESETS: dict[str, tuple[int, str]] = {
    "@cf/baai/bge-small-en-v1.5": (384, "cosine"),
    "@cf/baai/bge-base-en-v1.5": (768, "cosine"),
    "@cf/baai/bge-large-en-v1.5": (1024, "cosine"),
    "openai/text-embedding-ada-002": (1536, "cosine"),
    "cohere/embed-multilingual-v2.0": (768, "cosine"),
}

# -- vectors ---------------------------------------------------------------------------------------
MAX_ID_BYTES = 64  # "Maximum vector ID length: 64 bytes"
MAX_NAMESPACE_BYTES = 64  # "Maximum namespace name length: 64 bytes"
MAX_METADATA_BYTES = 10 * 1024  # "Metadata per vector: 10KiB" (of its JSON)
MAX_INDEXED_STRING_BYTES = 64  # "Maximum indexed data per metadata index per vector: 64 bytes"
MAX_BATCH_WORKERS = 1000  # "Maximum upsert batch size (per batch): 1000 (Workers) / 5000 (HTTP API)"
MAX_BATCH_HTTP = 5000  # the CLI's insert/upsert batches (wrangler sends them through the HTTP API)
MAX_GET_IDS = 20  # getByIds: "too many ids in payload; max id count is 20" (production, code 40007)
MAX_DELETE_IDS = 100  # deleteByIds: "too many ids in payload; max id count is 100" (production, code 40007)
MAX_LIST_VECTORS = 1000  # "Maximum vectors in a list-vectors page: 1000"

# -- queries ---------------------------------------------------------------------------------------
DEFAULT_TOP_K = 5  # "Configure the number of returned matches by setting topK (default: 5)"
MAX_TOP_K = 100  # "Maximum returned results (topK) without values and metadata: 100"
MAX_TOP_K_WITH_PAYLOAD = 50  # "... (topK) with values or metadata: 50" (returnValues=true or returnMetadata="all")
RETURN_METADATA_LEVELS = ("none", "indexed", "all")  # workerd's MetadataRetrievalLevel
MAX_FILTER_BYTES = 2048  # "compact JSON representation must be less than 2048 bytes"
MAX_FILTER_KEY_CHARS = 512  # filter keys cannot "be longer than 512 characters"
EQUALITY_OPS = ("$eq", "$ne")
SET_OPS = ("$in", "$nin")
UPPER_OPS = ("$lt", "$lte")
LOWER_OPS = ("$gt", "$gte")

# -- local emulation -------------------------------------------------------------------------------
PLUGIN = "vectorize"  # indexes live in <persist>/vectorize/<index name>.sqlite
SLOW_SEARCH_HINT_AT = 10_000  # vectors in an index past which the pure-Python search says NumPy is faster
