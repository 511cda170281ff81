"""Analytics Engine's limits and fixed names.

Sources: workerd's src/workerd/api/analytics-engine-impl.h (20 blobs, 20 doubles, 1 index of 96 bytes,
blobs 16,000 bytes in all: ``800 * MAX_ARRAY_MEMBERS``) and its error texts; Cloudflare's docs
(developers.cloudflare.com/analytics/analytics-engine/limits/: 250 data points per invocation, three months
of retention) and SQL API (.../analytics-engine/sql-api/, sql-reference/).
"""

from __future__ import annotations

MAX_BLOBS = 20
MAX_DOUBLES = 20
MAX_INDEXES = 1
MAX_INDEX_BYTES = 96
MAX_BLOB_BYTES_TOTAL = 800 * MAX_BLOBS  # 16,000
RETENTION_SECONDS = 92 * 24 * 3600  # "three months"
PLUGIN = "analytics-engine"  # <state>/analytics-engine/analytics.sqlite
SQL_PATH = "/cdn-cgi/local/analytics_engine/sql"  # the SQL API's path tail, under pyflare's local endpoints
ERROR_PREFIX = "writeDataPoint(): "
