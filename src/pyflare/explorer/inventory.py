"""What the explorer can show: every binding of every worker in one Pyflare, found through the plugins
that serve the workers (never by opening storage files), with namespaces, buckets, databases and queues
identified as Cloudflare's API identifies them (KV namespace id, bucket name, database name, queue name)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pyflare.explorer.errors import ApiError

if TYPE_CHECKING:
    from pyflare.explorer.site import Site, SiteWorker


@dataclass
class KVEntry:
    id: str
    namespace: Any
    bindings: list[str] = field(default_factory=list)


def _plugin(worker: SiteWorker, kind: type) -> Any:
    """The worker's plugin of class ``kind``, or None (binding packages are imported only where used)."""
    try:
        return worker.plugin(kind)
    except LookupError:
        return None


# Cloudflare's API names for binding kinds (the "type" of a Worker's bindings), by config key.
API_TYPES = {
    "kv_namespaces": "kv_namespace", "r2_buckets": "r2_bucket", "d1_databases": "d1", "queues.producers": "queue",
    "durable_objects.bindings": "durable_object_namespace", "workflows": "workflow", "services": "service",
    "ratelimits": "ratelimit", "analytics_engine_datasets": "analytics_engine", "browser": "browser",
    "vectorize": "vectorize", "hyperdrive": "hyperdrive", "assets": "assets", "send_email": "send_email",
}


DEFAULT_CACHE = "default"  # how the explorer names caches.default


def _cache_name(namespace: str) -> str:
    """A cache as the explorer names it: ``default``, or the name given to ``caches.open`` (a cache opened as
    "default" keeps its stored name, ``named:default``, so it is not taken for caches.default)."""
    from pyflare.bindings.cache.constants import NAMED_PREFIX

    if not namespace:
        return DEFAULT_CACHE
    name = namespace.removeprefix(NAMED_PREFIX)
    return namespace if name == DEFAULT_CACHE else name


def _cache_namespace(name: str) -> str:
    from pyflare.bindings.cache.constants import NAMED_PREFIX

    if name == DEFAULT_CACHE:
        return ""
    return name if name.startswith(NAMED_PREFIX) else NAMED_PREFIX + name


def _iso(ms: int | None) -> str | None:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat() if ms else None


class Inventory:
    def __init__(self, pyflare: Site) -> None:
        self.pyflare = pyflare

    def _workers(self) -> Iterator[SiteWorker]:
        return iter(self.pyflare.workers.values())

    # -- workers ---------------------------------------------------------------------------------
    def workers(self) -> list[dict[str, Any]]:
        """Each worker with every binding its config declares (described generically, as the banner does),
        whether pyflare emulates it, its queue consumers and crons."""
        from pyflare.config.bindings import describe_bindings

        result = []
        for worker in self._workers():
            config = worker.config.worker
            bindings = [{"name": d.name, "type": API_TYPES.get(d.key, d.key.rsplit(".", 1)[-1]), "kind": d.kind,
                         "resource": d.resource, "emulated": d.name in worker.env}
                        for d in describe_bindings(config)]
            result.append({"name": worker.name, "main": str(worker.config.main_path), "bindings": bindings,
                           "queue_consumers": [c.queue for c in config.queues.consumers],
                           "crons": list(config.triggers.crons)})
        return result

    # -- KV --------------------------------------------------------------------------------------
    def kv_namespaces(self) -> list[KVEntry]:
        found: dict[str, KVEntry] = {}
        for worker in self._workers():
            for config in worker.config.worker.kv_namespaces:
                entry = found.get(config.storage_name)
                if entry is None:
                    entry = found[config.storage_name] = KVEntry(config.storage_name, worker.env[config.binding])
                entry.bindings.append(f"{worker.name}.{config.binding}")
        return list(found.values())

    def kv(self, namespace_id: str) -> Any:
        for entry in self.kv_namespaces():
            if entry.id == namespace_id:
                return entry.namespace
        raise ApiError(404, f"namespace {namespace_id!r} not found", 10013)

    # -- R2 --------------------------------------------------------------------------------------
    def r2_names(self) -> list[tuple[str, list[str]]]:
        names: dict[str, list[str]] = {}
        for worker in self._workers():
            for config in worker.config.worker.r2_buckets:
                names.setdefault(config.storage_name, []).append(f"{worker.name}.{config.binding}")
        return sorted(names.items())

    def r2_created(self, bucket: str) -> int | None:
        """When the bucket was created (ms since the epoch), from the store of a worker that binds it."""
        from pyflare.bindings.r2 import R2Plugin

        for worker in self._workers():
            plugin = _plugin(worker, R2Plugin)
            if plugin is not None and bucket in plugin.stores:
                return plugin.stores[bucket].created_ms
        return None

    def r2(self, bucket: str) -> Any:
        for worker in self._workers():
            for config in worker.config.worker.r2_buckets:
                if config.storage_name == bucket:
                    return worker.env[config.binding]
        raise ApiError(404, "The specified bucket does not exist.", 10006)

    # -- D1 --------------------------------------------------------------------------------------
    def d1_names(self) -> list[str]:
        return sorted({c.storage_name for w in self._workers() for c in w.config.worker.d1_databases})

    def d1(self, name: str) -> Any:
        from pyflare.bindings.d1 import D1Plugin

        for worker in self._workers():
            plugin = _plugin(worker, D1Plugin)
            if plugin is None:
                continue
            for config in worker.config.worker.d1_databases:
                if name in (config.storage_name, config.database_id, config.binding):
                    return plugin.store(config.binding)
        raise ApiError(404, f"database {name!r} not found", 7404)

    def d1_summary(self, name: str, tables: bool = False) -> dict[str, Any]:
        store = self.d1(name)
        summary: dict[str, Any] = {"uuid": name, "name": name, "version": "production",
                                   "file_size": store.path.stat().st_size if store.path.exists() else 0}
        names = [row[0] for row in store.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '_cf_%' ORDER BY name")]
        summary["num_tables"] = len(names)
        if tables:
            summary["tables"] = [
                {"name": table, "columns": [row[1] for row in store.rows(f'PRAGMA table_info("{table}")')],
                 "rows": store.rows(f'SELECT COUNT(*) FROM "{table}"')[0][0]}
                for table in names
            ]
        return summary

    # -- Queues ----------------------------------------------------------------------------------
    def _queues_plugin(self) -> Any:
        from pyflare.bindings.queues.plugin import QueuesPlugin

        for worker in self._workers():
            plugin = _plugin(worker, QueuesPlugin)
            if plugin is not None:
                return plugin
        raise ApiError(404, "no worker has queues", 11000)

    def queues(self) -> list[dict[str, Any]]:
        queues: dict[str, dict[str, Any]] = {}

        def entry(name: str) -> dict[str, Any]:
            return queues.setdefault(name, {"queue_id": name, "queue_name": name, "producers": [], "consumers": [],
                                            "dead_letter_queue_of": []})

        for worker in self._workers():
            for producer in worker.config.worker.queues.producers:
                entry(producer.queue)["producers"].append({"script": worker.name, "binding": producer.binding})
            for consumer in worker.config.worker.queues.consumers:
                entry(consumer.queue)["consumers"].append({
                    "script": worker.name, "settings": {
                        "batch_size": consumer.max_batch_size, "max_retries": consumer.max_retries,
                        "max_wait_time_ms": int(consumer.max_batch_timeout * 1000),
                        "dead_letter_queue": consumer.dead_letter_queue}})
                if consumer.dead_letter_queue:
                    entry(consumer.dead_letter_queue)["dead_letter_queue_of"].append(consumer.queue)
        try:
            store = self._queues_plugin().store
        except ApiError:
            store = None
        for name, info in queues.items():
            info["messages"] = len(store.messages(name)) if store is not None else 0
        return sorted(queues.values(), key=lambda q: q["queue_name"])

    def queue_messages(self, queue: str) -> list[dict[str, Any]]:
        plugin = self._queues_plugin()
        leased = plugin.store.leased_ids(queue)
        return [{**dict(message), "in_flight": message["id"] in leased} for message in plugin.messages(queue)]

    async def queue_send(self, queue: str, body: Any, content_type: str) -> None:
        from pyflare.bindings.queues.producer import Queue

        plugin = self._queues_plugin()
        producer = Queue(queue, plugin.store, plugin.platform.clock, plugin.notify)
        await producer.send(body, contentType=content_type)

    def queue_delete(self, queue: str, message_id: str) -> bool:
        return self._queues_plugin().store.remove(queue, message_id)

    def queue_redrive(self, queue: str, message_id: str, target: str | None) -> str:
        """Send a dead letter back to the queue whose dead-letter queue ``queue`` is (or ``target``)."""
        sources = next((q["dead_letter_queue_of"] for q in self.queues() if q["queue_name"] == queue), [])
        destination = target or (sources[0] if len(sources) == 1 else None)
        if destination is None:
            raise ApiError(400, f"queue {queue!r} is the dead-letter queue of {len(sources)} queues; "
                                "choose one with ?to=<queue>" if sources else
                           f"queue {queue!r} is no queue's dead-letter queue; choose a target with ?to=<queue>")
        plugin = self._queues_plugin()
        if not plugin.store.move(queue, message_id, destination, plugin.platform.clock.time()):
            raise ApiError(404, "message not found")
        plugin.notify(destination)
        return destination

    # -- Workflows -------------------------------------------------------------------------------
    def _workflow_engines(self) -> dict[str, tuple[str, Any]]:
        from pyflare.bindings.workflows import WorkflowsPlugin

        engines: dict[str, tuple[str, Any]] = {}
        for worker in self._workers():
            plugin = _plugin(worker, WorkflowsPlugin)
            if plugin is not None:
                for name, engine in plugin.engines.items():
                    engines.setdefault(name, (worker.name, engine))
        return engines

    def workflow_engine(self, name: str) -> Any:
        found = self._workflow_engines().get(name)
        if found is None:
            raise ApiError(404, f"workflow {name!r} not found", 10200)
        return found[1]

    def workflows(self) -> list[dict[str, Any]]:
        return [{"name": name, "class_name": engine.class_name, "script_name": script,
                 "instances": engine.index.status_counts()}
                for name, (script, engine) in sorted(self._workflow_engines().items())]

    def workflow_instances(self, name: str, status: str | None) -> list[dict[str, Any]]:
        engine = self.workflow_engine(name)
        return [{"id": row.id, "status": row.status, "created_on": _iso(row.created_ms),
                 "modified_on": _iso(row.modified_ms), "ended_on": _iso(row.ended_ms)}
                for row in engine.index.instances(status=status or None, limit=1000)]

    def workflow_instance(self, name: str, instance_id: str) -> dict[str, Any]:
        engine = self.workflow_engine(name)
        try:
            return engine.describe(instance_id)
        except Exception as exc:  # the engine's own "(instance.not_found) ..." text
            raise ApiError(404, str(exc), 10201) from None

    def workflow_command(self, name: str, action: str, instance_id: str | None, args: dict[str, Any]) -> Any:
        from pyflare.bindings.workflows.plugin import apply_command

        engine = self.workflow_engine(name)
        if instance_id is not None and action != "create":
            self.workflow_instance(name, instance_id)  # 404 for an unknown instance
        return apply_command(engine, action, instance_id, args)

    # -- Vectorize -------------------------------------------------------------------------------
    async def vectorize_indexes(self) -> list[dict[str, Any]]:
        """Every Vectorize index in local state (bound or not), as Cloudflare's API lists them, with the
        local additions ``vectorCount``, ``metadataIndexes`` and ``bindings``."""
        workers = [w for w in self._workers() if w.config.worker.vectorize or w.config.worker.pyflare.vectorize]
        if not workers:
            return []
        from pyflare.bindings.vectorize import catalog_for

        catalog = catalog_for(workers[0].platform)
        bindings: dict[str, list[str]] = {}
        for worker in workers:
            for entry in worker.config.worker.vectorize:
                bindings.setdefault(entry.index_name, []).append(f"{worker.name}.{entry.binding}")
        result = []
        for name in catalog.names():
            store = catalog.require(name)
            info = await store.info()
            result.append({"name": name, "description": info["description"] or "",
                           "config": {"dimensions": info["dimensions"], "metric": info["metric"]},
                           "created_on": info["created_on"], "modified_on": info["modified_on"],
                           "vectorCount": info["vector_count"], "metadataIndexes": await store.metadata_indexes(),
                           "bindings": bindings.get(name, [])})
        return result

    # -- Durable Objects -------------------------------------------------------------------------
    def do_namespaces(self) -> list[dict[str, Any]]:
        """One namespace per (worker that defines the class, class), as ``"<worker>-<Class>"``."""
        found: dict[str, dict[str, Any]] = {}
        for worker in self._workers():
            sqlite_classes = {name for migration in worker.config.worker.migrations
                              for name in migration.new_sqlite_classes}
            for binding in worker.config.worker.durable_objects.bindings:
                script = binding.script_name or worker.name
                namespace_id = f"{script}-{binding.class_name}"
                entry = found.setdefault(namespace_id, {
                    "id": namespace_id, "name": binding.class_name, "script": script, "class": binding.class_name,
                    "use_sqlite": binding.class_name in sqlite_classes if script == worker.name else None,
                    "bindings": []})
                entry["bindings"].append(f"{worker.name}.{binding.name}")
        return sorted(found.values(), key=lambda n: n["id"])

    def _do_namespace(self, namespace_id: str) -> dict[str, Any]:
        for namespace in self.do_namespaces():
            if namespace["id"] == namespace_id:
                return namespace
        raise ApiError(404, f"Durable Object namespace {namespace_id!r} not found", 10097)

    def _do_ids(self, namespace: dict[str, Any]) -> tuple[set[str], set[str], set[str]]:
        """Ids with storage, with a live instance, and holding hibernatable WebSockets."""
        from pyflare.bindings.durable_objects.hibernation import hibernation_addresses

        layer = self.pyflare.objects
        script, class_name = namespace["script"], namespace["class"]
        stored = set(layer.ids(script, class_name))
        live = {o.address.id for o in layer.live_objects(script) if o.address.class_name == class_name}
        sockets = {a.id for a in hibernation_addresses(layer) if (a.worker, a.class_name) == (script, class_name)}
        return stored, live, sockets

    def do_objects(self, namespace_id: str) -> list[dict[str, Any]]:
        """Objects with storage, live ones and ones holding WebSockets (a chat room may store nothing), with
        the name each id was made from where it was (``idFromName``), as Cloudflare's dashboard shows them."""
        from pyflare.bindings.durable_objects.hibernation import describe_websockets
        from pyflare.objects import ObjectAddress

        namespace = self._do_namespace(namespace_id)
        layer = self.pyflare.objects
        stored, live, sockets = self._do_ids(namespace)
        result = []
        for object_id in sorted(stored | live | sockets):
            address = ObjectAddress(namespace["script"], namespace["class"], object_id)
            result.append({"id": object_id, "name": layer.name_of(address), "hasStoredData": object_id in stored,
                           "alarm": layer.get_alarm(address) if object_id in stored else None,
                           "live": object_id in live,
                           "websockets": len(describe_websockets(layer, address)["websockets"])})
        return result

    def _address(self, namespace: dict[str, Any], object_id: str) -> Any:
        from pyflare.objects import ObjectAddress

        if not any(object_id in ids for ids in self._do_ids(namespace)):
            raise ApiError(404, f"object {object_id!r} has no stored data, instance or WebSocket", 10097)
        return ObjectAddress(namespace["script"], namespace["class"], object_id)

    def do_object(self, namespace_id: str, object_id: str, limit: int) -> dict[str, Any]:
        from pyflare.bindings.durable_objects.hibernation import describe_websockets

        namespace = self._do_namespace(namespace_id)
        address = self._address(namespace, object_id)
        layer = self.pyflare.objects
        store = layer.storage(address)
        return {"id": object_id, "name": layer.name_of(address), "alarm": layer.get_alarm(address),
                "size": store.size(), "keys": [{"key": key, "value": value} for key, value in store.list(limit=limit)],
                "tables": store.user_tables(), **describe_websockets(layer, address)}

    def do_query(self, namespace_id: str, object_id: str, sql: str, params: list[Any]) -> dict[str, Any]:
        import sqlite3

        namespace = self._do_namespace(namespace_id)
        store = self.pyflare.objects.storage(self._address(namespace, object_id))
        # The same authorizer as the object's own ctx.storage.sql (as Miniflare runs the console through it):
        # the console reaches this object's file and nothing else.
        try:
            with store.user_sql() as connection:
                cursor = connection.execute(sql, params)
                rows = [list(row) for row in cursor.fetchall()]
        except (sqlite3.Error, ValueError) as exc:
            raise ApiError(400, f"SQL error: {exc}", 7500) from None
        columns = [column[0] for column in cursor.description or ()]
        return {"columns": columns, "rows": rows, "rows_written": max(cursor.rowcount, 0) if not columns else 0}


    # -- Cache API -------------------------------------------------------------------------------
    def _cache_store(self) -> Any:
        """The zone's cache every worker shares (None when caching is off)."""
        from pyflare.bindings.cache.plugin import STORE, CachePlugin

        for worker in self._workers():
            plugin = _plugin(worker, CachePlugin)
            if plugin is not None:
                plugin.caches()  # opens the store as a worker's first use would
                return plugin.platform.shared.get(STORE, None)
        return None

    def caches(self) -> list[dict[str, Any]]:
        """Each cache with entries: ``default`` is ``caches.default``, others the names given to ``caches.open``."""
        store = self._cache_store()
        if store is None:
            return []
        return [{"name": _cache_name(namespace), "entries": count}
                for namespace, count in store.namespaces(self.pyflare.clock.time())]

    def cache_entries(self, name: str) -> list[dict[str, Any]]:
        store = self._cache_store()
        if store is None:
            return []
        entries = store.entries(_cache_namespace(name), self.pyflare.clock.time())
        for entry in entries:
            entry["stored_at"] = _iso(int(entry["stored_at"] * 1000))
            entry["expires"] = _iso(int(entry.pop("expires_at") * 1000))
        return entries

    def cache_delete(self, name: str, url: str) -> bool:
        store = self._cache_store()
        return store is not None and store.delete_now(_cache_namespace(name), url, self.pyflare.clock.time())
