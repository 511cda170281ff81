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

    def do_objects(self, namespace_id: str) -> list[dict[str, Any]]:
        namespace = self._do_namespace(namespace_id)
        layer = self.pyflare.objects
        result = []
        for object_id in layer.ids(namespace["script"], namespace["class"]):
            address = self._address(namespace, object_id)
            result.append({"id": object_id, "hasStoredData": True, "alarm": layer.get_alarm(address),
                           "live": layer.live(address) is not None})
        return result

    def _address(self, namespace: dict[str, Any], object_id: str) -> Any:
        from pyflare.objects import ObjectAddress

        if object_id not in self.pyflare.objects.ids(namespace["script"], namespace["class"]):
            raise ApiError(404, f"object {object_id!r} has no stored data", 10097)
        return ObjectAddress(namespace["script"], namespace["class"], object_id)

    def do_object(self, namespace_id: str, object_id: str, limit: int) -> dict[str, Any]:
        namespace = self._do_namespace(namespace_id)
        address = self._address(namespace, object_id)
        store = self.pyflare.objects.storage(address)
        return {"id": object_id, "alarm": self.pyflare.objects.get_alarm(address), "size": store.size(),
                "keys": [{"key": key, "value": value} for key, value in store.list(limit=limit)],
                "tables": store.user_tables()}

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

