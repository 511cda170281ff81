"""The object layer: live instances, their input gates, idle eviction, storage handles and alarms.

See the package docstring for how to use it. Everything timed here (eviction, alarms, retries) is a timer
on pyflare's clock, so a manual clock makes it deterministic in tests.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import sqlite3
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyflare.kernel.context import enter_object, leave_object
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.stash import Stash
from pyflare.objects.ids import ObjectAddress
from pyflare.objects.storage import PLUGIN, ObjectStorage
from pyflare.storage.descriptors import soft_limit
from pyflare.storage.sqlite import is_busy

if TYPE_CHECKING:
    from pyflare.kernel.clock import Clock, Timer
    from pyflare.storage import Database, Storage

log = logging.getLogger("pyflare")

IDLE_TIMEOUT = 10.0  # seconds without work before workerd frees an object locally ("Actor freed due to inactivity")
ALARM_MAX_RETRIES = 6  # workerd's alarm scheduler: 6 retries (7 attempts), then the alarm is dropped
# Object files open at once (three file descriptors each: the file, its WAL and shared memory), live objects
# included: past this, the least recently used are closed (reopened on their next use), sparing files in the
# middle of a transaction or with a sql.exec cursor still being read. Never more than a quarter of the
# process's descriptor limit either (open_files_cap), so a low `ulimit -n` is not exhausted.
MAX_OPEN_FILES = 256
MIN_OPEN_FILES = 16
ALARM_FIRST_RETRY_DELAY = 2.0  # seconds, doubling per retry: 2, 4, 8, 16, 32, 64

Factory = Callable[["LiveObject"], Any]

AlarmHandler = Callable[[ObjectAddress, JsDict], Awaitable[Any]]


@dataclass
class ObjectClass:
    """How the layer makes and drives the objects of one (worker, class).

    ``factory(live)`` builds the instance for a live object (None: the class has storage and alarms only);
    ``on_alarm(address, info)`` runs a due alarm (``info.retryCount``, ``info.isRetry``); raising retries it.
    ``can_evict(live)`` may keep an idle object alive (an open WebSocket does, for Durable Objects).
    """

    factory: Factory | None = None
    on_alarm: AlarmHandler | None = None
    can_evict: Callable[[LiveObject], bool] | None = None
    idle_timeout: float | None = IDLE_TIMEOUT
    # Does this process host the class now? (Processes sharing a state folder take turns: only the owner arms
    # the alarms; see pyflare.objects.ownership.) None: always.
    owned: Callable[[], bool] | None = None


class LiveObject:
    """One live object: its instance, storage, in-flight events and the gate ``blockConcurrencyWhile`` closes."""

    __slots__ = ("address", "storage", "instance", "active", "last_used", "gate", "evict_timer", "alive", "stash",
                 "on_evict")

    def __init__(self, address: ObjectAddress, storage: ObjectStorage, now: float) -> None:
        self.address = address
        self.storage = storage
        self.instance: Any = None
        self.active = 0
        self.last_used = now
        self.gate: asyncio.Event | None = None  # set while blockConcurrencyWhile holds events back
        self.evict_timer: Timer | None = None
        self.alive = True
        # Adapters keep their per-object state here, under their own keys (the Durable Object's ctx...).
        self.stash = Stash()
        self.on_evict: list[Callable[[LiveObject], None]] = []

    def close_gate(self) -> asyncio.Event:
        """Hold back new events until :meth:`open_gate`; returns the event waiters wait on."""
        if self.gate is None:
            self.gate = asyncio.Event()
        return self.gate

    def open_gate(self) -> None:
        gate, self.gate = self.gate, None
        if gate is not None:
            gate.set()


class _Entry:
    """``async with layer.enter(address) as live``: one event delivered to an object."""

    __slots__ = ("layer", "address", "live", "token")

    def __init__(self, layer: ObjectLayer, address: ObjectAddress) -> None:
        self.layer = layer
        self.address = address
        self.live: LiveObject | None = None
        self.token: contextvars.Token[LiveObject | None] | None = None

    async def __aenter__(self) -> LiveObject:
        layer = self.layer
        while True:
            live = layer._live.get(self.address)
            if live is None:
                live = layer._create(self.address)
            gate = live.gate
            if gate is not None:  # the input gate: wait until blockConcurrencyWhile() is done
                await gate.wait()
                continue
            live.active += 1
            self.live = live
            self.token = enter_object(live)
            return live

    async def __aexit__(self, *exc: Any) -> None:
        if self.token is not None:
            leave_object(self.token)
        live = self.live
        if live is not None:
            live.active -= 1
            live.last_used = self.layer.clock.time()
            if live.evict_timer is None and live.alive:
                self.layer._arm_eviction(live)


class ObjectLayer:
    """Every object of one pyflare instance (one storage root, one clock)."""

    def __init__(self, storage: Storage, clock: Clock, spawn: Callable[[Awaitable[Any], str], Any]) -> None:
        self.storage_root = storage
        self.clock = clock
        self.spawn = spawn
        self._classes: dict[tuple[str, str], ObjectClass] = {}
        self._live: dict[ObjectAddress, LiveObject] = {}
        # Every store someone holds (a live object, a workflow run...): one per address, never two connections
        # to one file; a store nobody holds any more is let go.
        self._stores: weakref.WeakValueDictionary[ObjectAddress, ObjectStorage] = weakref.WeakValueDictionary()
        self._open: dict[ObjectAddress, ObjectStorage] = {}  # stores with an open file, least recently used first
        self.max_open_files = open_files_cap()
        self._alarm_timers: dict[ObjectAddress, Timer] = {}
        self._alarm_retries: dict[ObjectAddress, int] = {}
        self._running_alarms: dict[ObjectAddress, int] = {}
        self._index: Database | None = None
        self._names: dict[ObjectAddress, str] = {}  # names ids were made from (idFromName), this run
        self._names_database: Database | None = None
        # State of the adapters built over the layer, under their own keys (the Durable Object classes...).
        self.stash = Stash()
        self._started = False
        self._closed = False

    # -- classes ----------------------------------------------------------------------------------
    def register(self, worker: str, class_name: str, object_class: ObjectClass | None = None, **fields: Any) -> None:
        """Declare how objects of ``worker``'s ``class_name`` are made and alarmed (replaces an earlier one)."""
        self._classes[(worker, class_name)] = object_class or ObjectClass(**fields)

    def object_class(self, address: ObjectAddress) -> ObjectClass | None:
        return self._classes.get((address.worker, address.class_name))

    # -- storage ----------------------------------------------------------------------------------
    def storage(self, address: ObjectAddress) -> ObjectStorage:
        """The storage of ``address`` (usable with or without a live instance)."""
        store = self._stores.get(address)
        if store is None:
            store = ObjectStorage(self.storage_root, address, self._store_opened, self._store_closed)
            self._stores[address] = store
        elif address in self._open:  # most recently used now
            self._open[address] = self._open.pop(address)
        return store

    def _store_opened(self, store: ObjectStorage) -> None:
        """A store opened its file: count it, and close the least recently used past the cap."""
        self._open[store.address] = store
        if len(self._open) > self.max_open_files:
            for other in list(self._open.values()):
                if other is not store and not other.busy():
                    other.close()  # leaves _open through _store_closed
                    if len(self._open) <= self.max_open_files:
                        break

    def _store_closed(self, store: ObjectStorage) -> None:
        if self._open.get(store.address) is store:
            del self._open[store.address]

    def open_files(self) -> int:
        """How many object files are open now (at most :attr:`max_open_files`, beyond it only files that are
        in a transaction or have a cursor still being read)."""
        return len(self._open)

    def name_object(self, address: ObjectAddress, name: str) -> None:
        """Remember that ``address``'s id was made from ``name`` (``idFromName``), in ``do/names.sqlite`` beside
        the objects' folders, so tools can show the object by name after a restart too. Not in the object's
        own file: workerd keeps no name there, and an object's ``sqlite_master`` shows what workerd's shows."""
        if self._names.get(address) == name:
            return
        try:
            self._names_db().execute("INSERT OR REPLACE INTO names VALUES (?, ?, ?, ?)",
                                     (address.worker, address.class_name, address.id, name))
        except sqlite3.OperationalError as exc:
            # idFromName is synchronous and must not wait for (or fail on) another process holding the file:
            # the name is for tools only, so it is recorded on a later call instead.
            if not is_busy(exc):
                raise
            return
        self._names[address] = name

    def name_of(self, address: ObjectAddress) -> str | None:
        """The name ``address``'s id was made from, if known (this run, or recorded by an earlier one)."""
        name = self._names.get(address)
        if name is None and (self._names_database is not None
                             or self.storage_root.database_path(PLUGIN, "names").exists()):
            row = self._names_db().one("SELECT name FROM names WHERE worker = ? AND class_name = ? AND id = ?",
                                       (address.worker, address.class_name, address.id))
            name = None if row is None else str(row[0])
        return name

    def _names_db(self) -> Database:
        if self._names_database is None:
            self._names_database = self.storage_root.database(PLUGIN, "names")
            self._names_database.execute(
                "CREATE TABLE IF NOT EXISTS names (worker TEXT NOT NULL, class_name TEXT NOT NULL, id TEXT NOT NULL, "
                "name TEXT NOT NULL, PRIMARY KEY (worker, class_name, id)) WITHOUT ROWID")
        return self._names_database

    def ids(self, worker: str, class_name: str) -> list[str]:
        """Ids of the objects of a class that have storage (a file), sorted."""
        folder = self.storage_root.database_path(PLUGIN, "x", folder=f"{worker}-{class_name}").parent
        if not folder.is_dir():
            return []
        return sorted(entry[:-7] for entry in os.listdir(folder) if entry.endswith(".sqlite"))

    def namespaces(self) -> list[str]:
        """Folders of namespaces with stored objects (``"<worker>-<Class>"``)."""
        root = self.storage_root.root / PLUGIN
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def delete_storage(self, address: ObjectAddress) -> None:
        """Remove the object's file (keys, tables, alarm), as ``deleteAll()`` on a SQLite object does."""
        self._cancel_alarm_timer(address)
        self._index_delete(address)
        self.storage(address).destroy()

    # -- live instances ---------------------------------------------------------------------------
    def enter(self, address: ObjectAddress) -> _Entry:
        """``async with layer.enter(address) as live``: deliver one event, creating the instance if needed.

        Waits while the object's gate is closed; the object is not evicted while any event is inside."""
        return _Entry(self, address)

    def live(self, address: ObjectAddress) -> LiveObject | None:
        return self._live.get(address)

    def live_objects(self, worker: str | None = None) -> list[LiveObject]:
        return [live for live in self._live.values() if worker is None or live.address.worker == worker]

    def _create(self, address: ObjectAddress) -> LiveObject:
        if self._closed:
            raise RuntimeError("pyflare is shutting down: no new Durable Object instances")
        object_class = self.object_class(address)
        live = LiveObject(address, self.storage(address), self.clock.time())
        self._live[address] = live
        if object_class is not None and object_class.factory is not None:
            try:
                live.instance = object_class.factory(live)
            except BaseException:
                self._drop(live)
                raise
        return live

    def evict(self, address: ObjectAddress, reason: str = "evicted") -> bool:
        """Drop the live instance (storage and alarm stay); the next event constructs it again."""
        live = self._live.get(address)
        if live is None:
            return False
        log.debug("Durable Object %s %s", address, reason)
        self._drop(live)
        return True

    def drop_instances(self, worker: str | None = None) -> int:
        """Drop every live instance (of ``worker``): what a code reload does. Storage and alarms stay."""
        dropped = self.live_objects(worker)
        for live in dropped:
            self._drop(live)
        return len(dropped)

    def _drop(self, live: LiveObject) -> None:
        if self._live.get(live.address) is live:
            del self._live[live.address]
        live.alive = False
        if live.evict_timer is not None:
            live.evict_timer.cancel()
            live.evict_timer = None
        live.open_gate()  # waiters retry and find a fresh instance
        for callback in live.on_evict:
            try:
                callback(live)
            except Exception as exc:  # an extension's cleanup must not stop eviction
                log.error("cleanup of %s failed: %s", live.address, exc, exc_info=exc)
        if live.address not in self._alarm_timers:  # free the file now rather than when the cap says so
            store = self._stores.get(live.address)
            if store is not None and not store.busy():
                store.close()

    def _arm_eviction(self, live: LiveObject) -> None:
        object_class = self.object_class(live.address)
        timeout = IDLE_TIMEOUT if object_class is None else object_class.idle_timeout
        if timeout is None:
            return
        live.evict_timer = self.clock.call_at(live.last_used + timeout, lambda: self._idle_check(live, timeout))

    def _idle_check(self, live: LiveObject, timeout: float) -> None:
        live.evict_timer = None
        if not live.alive or live.active:
            return  # the event that is inside re-arms the timer when it leaves
        if live.gate is not None:  # blockConcurrencyWhile() is running outside any event: look again later
            live.last_used = self.clock.time()
            self._arm_eviction(live)
            return
        due = live.last_used + timeout
        if self.clock.time() < due:
            live.evict_timer = self.clock.call_at(due, lambda: self._idle_check(live, timeout))
            return
        object_class = self.object_class(live.address)
        if object_class is not None and object_class.can_evict is not None and not object_class.can_evict(live):
            live.last_used = self.clock.time()
            self._arm_eviction(live)
            return
        self.evict(live.address, "freed due to inactivity")

    # -- alarms -----------------------------------------------------------------------------------
    @property
    def _alarm_index(self) -> Database:
        # Which objects have an alarm, so a restart re-arms them without opening every object's file.
        # The object's own file is the truth; the index may only name objects whose alarm is gone.
        if self._index is None:
            self._index = self.storage_root.database(PLUGIN, "alarms", listed=True)
            self._index.execute(
                "CREATE TABLE IF NOT EXISTS alarms (worker TEXT NOT NULL, class_name TEXT NOT NULL, "
                "id TEXT NOT NULL, scheduled_ms INTEGER NOT NULL, PRIMARY KEY (worker, class_name, id))"
            )
        return self._index

    def _index_delete(self, address: ObjectAddress) -> None:
        self._alarm_index.execute("DELETE FROM alarms WHERE worker = ? AND class_name = ? AND id = ?",
                                  (address.worker, address.class_name, address.id))

    def get_alarm(self, address: ObjectAddress) -> int | None:
        """The scheduled alarm in ms since the epoch, or None (None too while that alarm is running)."""
        scheduled = self.storage(address).read_alarm()
        if scheduled is not None and self._running_alarms.get(address) == scheduled:
            return None
        return scheduled

    def set_alarm(self, address: ObjectAddress, when_ms: int | None) -> None:
        """Schedule (replacing any earlier one) or, with None, delete the alarm of ``address``; persisted."""
        store = self.storage(address)
        if when_ms is None:
            store.write_alarm(None)
            self._cancel_alarm_timer(address)
            self._index_delete(address)
            return
        when_ms = int(when_ms)
        # Index first: a crash between the two writes leaves an index row the restart discards.
        self._alarm_index.execute("INSERT OR REPLACE INTO alarms VALUES (?, ?, ?, ?)",
                                  (address.worker, address.class_name, address.id, when_ms))
        store.write_alarm(when_ms)
        self._alarm_retries.pop(address, None)
        self._arm_alarm(address, when_ms / 1000)

    def _cancel_alarm_timer(self, address: ObjectAddress) -> None:
        timer = self._alarm_timers.pop(address, None)
        if timer is not None:
            timer.cancel()
        self._alarm_retries.pop(address, None)

    def _arm_alarm(self, address: ObjectAddress, when: float) -> None:
        timer = self._alarm_timers.pop(address, None)
        if timer is not None:
            timer.cancel()
        if self._closed:
            return
        object_class = self.object_class(address)
        if object_class is not None and object_class.owned is not None and not object_class.owned():
            return  # another process hosts the class: it runs the alarm (rearm() when this one takes over)

        def fire() -> None:
            if self._alarm_timers.get(address) is armed:
                del self._alarm_timers[address]
            self.spawn(self._run_alarm(address), f"alarm of {address}")

        armed = self._alarm_timers[address] = self.clock.call_at(max(when, self.clock.time()), fire)
        if when <= self.clock.time():  # due already: run now, even on a manual clock
            self.clock.advance(0)

    async def start(self) -> None:
        """Re-arm every persisted alarm (one due while pyflare was stopped fires now). Idempotent."""
        if self._started:
            return
        self._started = True
        if self._index is None and not self.storage_root.database_path(PLUGIN, "alarms").exists():
            return  # no alarm was ever set here: create nothing
        rows = self._alarm_index.all("SELECT worker, class_name, id, scheduled_ms FROM alarms")
        for worker, class_name, object_id, _ in rows:
            address = ObjectAddress(worker, class_name, object_id)
            store = self.storage(address)
            scheduled = store.read_alarm() if store.exists() else None
            if scheduled is None:
                self._index_delete(address)
                continue
            self._arm_alarm(address, scheduled / 1000)

    def rearm(self, worker: str, class_name: str) -> int:
        """Arm the persisted alarms of one class (this process has just become its host); returns how many."""
        if self._index is None and not self.storage_root.database_path(PLUGIN, "alarms").exists():
            return 0
        rows = self._alarm_index.all("SELECT id FROM alarms WHERE worker = ? AND class_name = ?", (worker, class_name))
        armed = 0
        for (object_id,) in rows:
            address = ObjectAddress(worker, class_name, object_id)
            scheduled = self.storage(address).read_alarm()
            if scheduled is not None:
                self._arm_alarm(address, scheduled / 1000)
                armed += 1
        return armed

    async def run_alarm(self, address: ObjectAddress) -> bool:
        """Run the alarm of ``address`` now, due or not (the testing helper); False if none is scheduled."""
        if self.storage(address).read_alarm() is None:
            return False
        timer = self._alarm_timers.pop(address, None)
        if timer is not None:
            timer.cancel()
        return await self._run_alarm(address, force=True)

    async def _run_alarm(self, address: ObjectAddress, *, force: bool = False) -> bool:
        store = self.storage(address)
        scheduled = store.read_alarm()
        if scheduled is None or address in self._running_alarms:
            return False
        if not force and scheduled > self.clock.time_ms():  # moved later since the timer was armed
            self._arm_alarm(address, scheduled / 1000)
            return False
        object_class = self.object_class(address)
        if object_class is None or object_class.on_alarm is None:
            log.warning("alarm of %s is due but its class has no alarm handler here; it stays scheduled", address)
            return False
        retry = self._alarm_retries.pop(address, 0)
        self._running_alarms[address] = scheduled
        failed: BaseException | None = None
        try:
            await object_class.on_alarm(address, JsDict(retryCount=retry, isRetry=retry > 0))
        except Exception as exc:
            failed = exc
        finally:
            del self._running_alarms[address]
        current = store.read_alarm()
        if current != scheduled:  # the handler set or deleted the alarm: that stands
            if current is not None and address not in self._alarm_timers:
                self._arm_alarm(address, current / 1000)
            return True
        if failed is None:
            self.set_alarm(address, None)
            return True
        if retry >= ALARM_MAX_RETRIES:
            log.error("alarm of %s failed %d times; giving up: %s: %s", address, retry + 1,
                      type(failed).__name__, failed, exc_info=failed)
            self.set_alarm(address, None)
            return True
        delay = ALARM_FIRST_RETRY_DELAY * (2**retry)
        log.error("alarm of %s failed (retry %d of %d in %gs): %s: %s", address, retry + 1, ALARM_MAX_RETRIES,
                  delay, type(failed).__name__, failed, exc_info=failed)
        self._arm_alarm(address, self.clock.time() + delay)
        self._alarm_retries[address] = retry + 1
        return True

    # -- shutdown ---------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop timers and drop instances; storage stays on disk."""
        self._closed = True
        for timer in self._alarm_timers.values():
            timer.cancel()
        self._alarm_timers.clear()
        for live in list(self._live.values()):
            self._drop(live)
        for store in list(self._stores.values()):
            store.close()
        self._stores.clear()
        self._open.clear()
        if self._index is not None:
            self.storage_root.release_database(self._index)
            self._index = None
        if self._names_database is not None:
            self.storage_root.release_database(self._names_database)
            self._names_database = None


def open_files_cap() -> int:
    """How many object files may be open at once: :data:`MAX_OPEN_FILES`, or a quarter of the process's
    descriptor limit in files of three descriptors if that is fewer (never under :data:`MIN_OPEN_FILES`)."""
    limit = soft_limit()
    if limit is None:
        return MAX_OPEN_FILES
    return max(MIN_OPEN_FILES, min(MAX_OPEN_FILES, limit // 4 // 3))
