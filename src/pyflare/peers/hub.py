"""``Peers``: one pyflare process's side of the dev registry and of the calls between processes.

The composition root makes one per :class:`~pyflare.Pyflare` and puts it in ``platform.shared`` under
:data:`PEERS`; plugins read it from there (absent when the process neither registers nor shares state):

- workers this process serves are announced in the registry (:meth:`announce`) once its URL is known;
- a binding that names a worker of another process reaches it by name (:meth:`route`, :meth:`fetch`,
  :meth:`call`); while that worker is not running every call gets wrangler's text, :func:`not_found`;
- the endpoint (:meth:`endpoint`) answers other processes, through the handlers plugins register here;
- the registry is read again every :data:`POLL_SECONDS` (real time: this is inter-process plumbing, not emulated
  time), and :meth:`on_change` listeners hear when a worker appears, restarts or goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pyflare.kernel.jserrors import JsException
from pyflare.kernel.stash import StashKey
from pyflare.peers.registry import RegistryFolder, WorkerEntry
from pyflare.peers.transport import Missing, PeerClient, PeerEndpoint, PeerError, PeerGone, Route
from pyflare.workers import Request, Response

log = logging.getLogger("pyflare")

POLL_SECONDS = 0.25

Listener = Callable[[dict[str, WorkerEntry], dict[str, WorkerEntry]], None]


def not_found(worker: str) -> str:
    """Miniflare's text for a worker the dev registry does not have (dev-registry-proxy-shared.worker.ts)."""
    return f'Worker "{worker}" not found. Make sure it is running locally.'


class WorkerNotFound(JsException):
    """A call to a worker of another process that is not running (wrangler's ``Error``)."""


@dataclass
class EntrypointHandler:
    """How this process runs a worker's entrypoints for another process (set by the composition root)."""

    fetch: Callable[[str | None, dict[str, Any], Request], Awaitable[Response]]
    call: Callable[[str | None, dict[str, Any], str, list[Any], dict[str, Any]], Awaitable[Any]]


@dataclass
class ObjectHandler:
    """How this process delivers events to the Durable Objects of one class for another process."""

    fetch: Callable[[str, str | None, Request], Awaitable[Response]]
    call: Callable[[str, str | None, str, list[Any], dict[str, Any]], Awaitable[Any]]


class Peers:
    """This process in the dev registry: its identity, its entries, its endpoint and its calls to others."""

    def __init__(self, registry: Path | None) -> None:
        self.instance = secrets.token_hex(16)
        self.token = secrets.token_hex(32)  # accepted from processes that read it in our state folder
        self.folder = RegistryFolder(registry) if registry is not None else None
        self._secret = self.folder.secret() if self.folder is not None else ""
        self.url: str | None = None
        self.client = PeerClient()
        self.entries: dict[str, WorkerEntry] = {}
        self.listeners: list[Listener] = []
        self._announced: dict[str, WorkerEntry] = {}
        self._refused: set[str] = set()  # names another live process holds
        self._watcher: asyncio.Task[None] | None = None
        # Handlers for calls from other processes, registered by the composition root and the plugins.
        self.entrypoints: dict[str, EntrypointHandler] = {}
        self.objects: dict[tuple[str, str], ObjectHandler] = {}
        self.queues: dict[str, Callable[[list[dict[str, Any]]], Awaitable[int]]] = {}
        self.workflows: dict[tuple[str, str], Callable[[str, str | None, dict[str, Any]], Awaitable[Any]]] = {}

    @property
    def registry_enabled(self) -> bool:
        return self.folder is not None

    def tokens(self) -> list[str]:
        return [self.token, self._secret]

    # -- the registry ---------------------------------------------------------------------------------
    def announce(self, entries: list[WorkerEntry]) -> None:
        """Register (or update) this process's workers; a name another live process holds is logged, once."""
        if self.folder is None:
            return
        for entry in entries:
            entry = replace(entry, url=self.url or entry.url, instance=self.instance, pid=os.getpid())
            if self.folder.register(entry):
                self._announced[entry.name] = entry
                self._refused.discard(entry.name)
            elif entry.name not in self._refused:
                self._refused.add(entry.name)
                self._announced[entry.name] = entry  # tried again on every refresh until the other one stops
                other = self.folder.entries().get(entry.name)
                where = f" at {other.url} (pid {other.pid})" if other else ""
                log.warning('Worker "%s" is already registered in the dev registry by another process%s; this one is '
                            "not reachable from other pyflare processes until that one stops", entry.name, where)
        self.refresh()

    def refresh(self) -> dict[str, WorkerEntry]:
        """Read the registry now; tell the listeners what changed."""
        if self.folder is None:
            return self.entries
        for name in list(self._refused):  # its holder may have stopped: take the name now
            entry = self._announced[name]
            if self.folder.register(entry):
                self._refused.discard(name)
                log.info('Worker "%s" is now registered in the dev registry', name)
        current = self.folder.entries()
        if current != self.entries:
            previous, self.entries = self.entries, current
            for listener in list(self.listeners):
                try:
                    listener(previous, current)
                except Exception as exc:  # a listener must not stop the others
                    log.error("dev registry listener failed: %s", exc, exc_info=exc)
        return current

    def on_change(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def start_watching(self) -> None:
        if self.folder is not None and self._watcher is None:
            self._watcher = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                self.refresh()
            except OSError as exc:  # a registry folder removed under us: try again next time
                log.debug("dev registry unreadable: %s", exc)

    def route(self, worker: str) -> Route | None:
        entry = self.entries.get(worker)
        if entry is None or entry.instance == self.instance:
            return None
        return Route(entry.url, entry.instance, self._secret)

    def connected(self, worker: str) -> bool:
        return worker in self.entries and self.entries[worker].instance != self.instance

    def consumer_of(self, queue: str) -> WorkerEntry | None:
        """The registered worker (of another process) that consumes ``queue``."""
        for entry in self.entries.values():
            if queue in entry.queues and entry.instance != self.instance:
                return entry
        return None

    # -- calls to other processes ---------------------------------------------------------------------
    async def _routed(self, worker: str, send: Callable[[Route], Awaitable[Any]]) -> Any:
        """``send(route)`` to the process of ``worker``; after a failed connection the registry is read again
        and the call made once more if the worker came back (restarted): else wrangler's error."""
        route = self.route(worker)
        if route is None:
            self.refresh()
            route = self.route(worker)
        for attempt in range(2):
            if route is None:
                raise WorkerNotFound(not_found(worker))
            try:
                return await send(route)
            except PeerGone:
                self.refresh()
                fresh = self.route(worker)
                if attempt or fresh is None or fresh == route:
                    raise WorkerNotFound(not_found(worker)) from None
                route = fresh
            except Missing as exc:
                raise WorkerNotFound(str(exc) or not_found(worker)) from None
            except PeerError as exc:
                raise exc.error from None
        raise WorkerNotFound(not_found(worker))

    async def fetch(self, worker: str, target: dict[str, Any], request: Request) -> Response:
        return await self._routed(worker, lambda route: self.client.fetch(route, target, request))

    async def call(self, worker: str, op: str, payload: dict[str, Any]) -> Any:
        return await self._routed(worker, lambda route: self.client.call(route, op, payload))

    async def call_route(self, route: Route, op: str, payload: dict[str, Any]) -> Any:
        """A call to a process found another way (a Durable Object owner's card); PeerGone if it is gone."""
        try:
            return await self.client.call(route, op, payload)
        except PeerError as exc:
            raise exc.error from None

    async def fetch_route(self, route: Route, target: dict[str, Any], request: Request) -> Response:
        try:
            return await self.client.fetch(route, target, request)
        except PeerError as exc:
            raise exc.error from None

    def card(self) -> dict[str, Any]:
        """How another process sharing our state folder reaches us (written beside what we own there)."""
        return {"url": self.url, "instance": self.instance, "token": self.token, "pid": os.getpid()}

    # -- calls from other processes ---------------------------------------------------------------------
    def endpoint(self) -> PeerEndpoint:
        return PeerEndpoint(self.instance, self.tokens, self._serve_fetch,
                            {"call": self._serve_call, "queue": self._serve_queue, "workflow": self._serve_workflow})

    async def _serve_fetch(self, target: dict[str, Any], request: Request) -> Response:
        kind = target.get("kind")
        if kind == "service":
            handler = self.entrypoints.get(str(target.get("worker")))
            if handler is None:
                raise Missing(not_found(str(target.get("worker"))))
            return await handler.fetch(target.get("entrypoint"), dict(target.get("props") or {}), request)
        if kind == "object":
            objects = self.objects.get((str(target.get("worker")), str(target.get("class"))))
            if objects is None:
                raise Missing(not_found(str(target.get("worker"))))
            return await objects.fetch(str(target["id"]), target.get("name"), request)
        raise Missing(f"unknown target {kind!r}")

    async def _serve_call(self, payload: dict[str, Any]) -> Any:
        target = payload["target"]
        args, kwargs = list(payload.get("args") or []), dict(payload.get("kwargs") or {})
        if target.get("kind") == "service":
            handler = self.entrypoints.get(str(target.get("worker")))
            if handler is None:
                raise Missing(not_found(str(target.get("worker"))))
            return await handler.call(target.get("entrypoint"), dict(target.get("props") or {}), payload["method"],
                                      args, kwargs)
        objects = self.objects.get((str(target.get("worker")), str(target.get("class"))))
        if objects is None:
            raise Missing(not_found(str(target.get("worker"))))
        return await objects.call(str(target["id"]), target.get("name"), payload["method"], args, kwargs)

    async def _serve_queue(self, payload: dict[str, Any]) -> int:
        queue = str(payload["queue"])
        accept = self.queues.get(queue)
        if accept is None:
            raise Missing(f'No Worker consuming queue "{queue}" found in the local dev registry. Make sure the '
                          "consumer Worker is running locally.")
        return await accept(list(payload["messages"]))

    async def _serve_workflow(self, payload: dict[str, Any]) -> Any:
        key = (str(payload["worker"]), str(payload["workflow"]))
        handler = self.workflows.get(key)
        if handler is None:
            raise Missing(not_found(key[0]))
        return await handler(str(payload["op"]), payload.get("id"), dict(payload.get("args") or {}))

    # -- shutdown ---------------------------------------------------------------------------------------
    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        if self.folder is not None:
            self.folder.unregister_all()
        await self.client.aclose()


# Where plugins find this process's Peers (platform.shared); absent when there is none.
PEERS = StashKey[Peers]("peers")
