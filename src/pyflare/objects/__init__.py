"""The object layer: durable, single-instance objects with their own storage and alarms.

This is what Durable Objects are built from (``pyflare.bindings.durable_objects`` is a thin worker-facing
API over it), and what anything else durable and addressable can build on (Workflows instances, tools such
as the explorer). It owns, for every object addressed by ``ObjectAddress(worker, class_name, id)``:

- storage: one SQLite file ``<persist>/do/<worker>-<Class>/<id>.sqlite`` (readable with ``sqlite3``; keys in
  ``_cf_KV``, the alarm in ``_cf_METADATA``, the object's own SQL tables beside them), created by the first
  write; every write commits before it returns, so it survives ``kill -9``;
- at most one live instance per address, created on the first event, with an input gate that
  ``blockConcurrencyWhile`` closes, dropped after 10 s idle on the clock, or on a code reload;
- one persisted alarm per object, driven by pyflare's clock, re-armed by :meth:`ObjectLayer.start` after a
  restart (an alarm that fell due while pyflare was stopped fires then), retried 6 times (2 s doubling).

How to use it (``platform.objects`` is the worker's :class:`ObjectLayer`)::

    from pyflare.objects import ObjectAddress, id_from_name

    layer = platform.objects
    address = ObjectAddress(worker="my-worker", class_name="Engine", id=id_from_name("my-worker-Engine", "i-1"))

    async def on_alarm(address, info):          # info.retryCount, info.isRetry; raising retries it
        ...
    layer.register("my-worker", "Engine", on_alarm=on_alarm)   # factory=... too, to have live instances

    store = layer.storage(address)              # ObjectStorage: sync get/put/delete/list, transaction(),
    store.put("step-1", {"output": 42})         # values as RPC allows (dicts, lists, bytes, datetime...)
    with store.transaction():                   # several writes, all or nothing
        store.put("status", "running"); store.delete("lease")
    store.db.execute("CREATE TABLE IF NOT EXISTS log (at INTEGER, line TEXT)")   # raw SQL on the same file
    layer.set_alarm(address, clock.time_ms() + 5000)   # persisted; on_alarm runs when the clock gets there
    layer.get_alarm(address); layer.set_alarm(address, None)
    layer.ids("my-worker", "Engine")            # ids with storage;  layer.delete_storage(address)

    async with layer.enter(address) as live:    # deliver an event: waits on the gate, builds the instance
        await live.instance.method()            # with factory(live); live.stash holds per-object state

Adapters keep per-object state in ``live.stash`` (typed keys) and cleanup in ``live.on_evict``;
``ObjectClass.can_evict`` can keep an idle object alive (Durable Objects: an open ``accept()``-ed WebSocket).
"""

from pyflare.objects.ids import ObjectAddress, belongs_to, id_from_name, is_well_formed, new_unique_id
from pyflare.objects.layer import (
    ALARM_FIRST_RETRY_DELAY,
    ALARM_MAX_RETRIES,
    IDLE_TIMEOUT,
    LiveObject,
    ObjectClass,
    ObjectLayer,
)
from pyflare.objects.storage import MISSING, ObjectStorage

__all__ = [
    "ALARM_FIRST_RETRY_DELAY",
    "ALARM_MAX_RETRIES",
    "IDLE_TIMEOUT",
    "MISSING",
    "LiveObject",
    "ObjectAddress",
    "ObjectClass",
    "ObjectLayer",
    "ObjectStorage",
    "belongs_to",
    "id_from_name",
    "is_well_formed",
    "new_unique_id",
]
