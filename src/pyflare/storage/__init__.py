"""The one storage layer every binding uses: where state lives, SQLite access and blob files.

A :class:`Storage` is rooted either in a persist folder (``.pyflare/state`` by default, readable files
that survive restarts) or in a fresh temporary folder that is removed on close. Bindings ask it for a
SQLite database or a blob store by plugin and name; they never build file paths themselves. A store waits
for another process's lock itself (``retrying``); its callers call plain methods.
"""

from pyflare.storage.blobs import BlobStore
from pyflare.storage.errors import StorageError
from pyflare.storage.root import Storage, safe_name
from pyflare.storage.sqlite import Database, retrying

__all__ = ["BlobStore", "Database", "Storage", "StorageError", "retrying", "safe_name"]
