"""Analytics Engine, locally: ``[[analytics_engine_datasets]] binding, dataset`` gives ``env.<binding>``, whose
``writeDataPoint({"blobs": [...], "doubles": [...], "indexes": [...]})`` stores the data point (with workerd's
limits and texts), queryable with the SQL API's dialect through ``POST /cdn-cgi/local/analytics_engine/sql``
and ``pyflare analytics query "SQL"``.

Miniflare's binding drops every data point (packages/miniflare/src/workers/analytics-engine); pyflare keeps
them, so a worker's analytics can be checked before deploying. Layout: ``constants`` (limits),
``validation`` (writeDataPoint's checks), ``store`` (SQLite), ``sql`` (the dialect and the answer formats),
``endpoint`` (the local SQL API), this module (the binding and the plugin).
"""

from __future__ import annotations

from typing import Any

from pyflare.bindings.analytics_engine import constants as c
from pyflare.bindings.analytics_engine.sql import QueryResult, SqlError, run_query
from pyflare.bindings.analytics_engine.store import DataPointStore
from pyflare.bindings.analytics_engine.validation import data_point
from pyflare.kernel.stash import StashKey
from pyflare.runtime.plugin import Platform, Plugin

__all__ = ["AnalyticsEngineDataset", "AnalyticsEnginePlugin", "DataPointStore", "QueryResult", "SqlError", "create",
           "query", "store_for"]

STORE = StashKey[DataPointStore]("analytics engine data points")


def store_for(platform: Platform) -> DataPointStore:
    """The data points of every dataset of this pyflare."""
    store = platform.shared.get(STORE, None)
    if store is None:
        store = platform.shared[STORE] = DataPointStore(platform.storage.database(c.PLUGIN, "analytics"),
                                                        platform.clock)
        store.expire_now()
    return store


def query(platform: Platform, sql: str) -> QueryResult:
    """Run a query of the SQL API's dialect (``result.body()`` is what the API answers)."""
    return run_query(store_for(platform), sql)


class AnalyticsEngineDataset:
    """``env.<binding>``: writes data points to one dataset."""

    def __init__(self, store: DataPointStore, dataset: str) -> None:
        self._store = store
        self._dataset = dataset

    def writeDataPoint(self, event: Any = None, /, **fields: Any) -> None:  # noqa: N802 - Cloudflare's name
        """Store one data point now (on Cloudflare it is sent without waiting; nothing is returned). Keyword
        arguments are the data point's fields, as Pyodide passes them to JavaScript as a last object."""
        if fields:
            event = {**(event or {}), **fields}
        index, blobs, doubles = data_point(event)
        self._store.write_now(self._dataset, index, blobs, doubles)

    def __repr__(self) -> str:
        return f"<AnalyticsEngineDataset {self._dataset!r}>"


class AnalyticsEnginePlugin(Plugin):
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.store = store_for(platform)
        self.datasets = {entry.binding: AnalyticsEngineDataset(self.store, entry.dataset_name)
                         for entry in platform.config.worker.analytics_engine_datasets}

    def bindings(self) -> dict[str, Any]:
        return dict(self.datasets)

    def query(self, sql: str) -> QueryResult:
        return run_query(self.store, sql)


def create(platform: Platform) -> AnalyticsEnginePlugin | None:
    return AnalyticsEnginePlugin(platform) if platform.config.worker.analytics_engine_datasets else None
