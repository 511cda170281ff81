"""The runtime: the currently loaded worker, reloading it, and dispatching events to it."""

from __future__ import annotations

import datetime
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyflare.kernel.background import Background
from pyflare.kernel.clock import Clock
from pyflare.kernel.context import call_as_sync
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.stash import Stash
from pyflare.kernel.tracing import invocation
from pyflare.runtime.loader import pth_imports, vendor_folders
from pyflare.runtime.worker import WorkerCode, WorkerLoadError
from pyflare.websockets.registry import SOCKETS, Settings, WorkerSockets
from pyflare.workers import Response
from pyflare.workers.host import COMPATIBILITY, Compatibility

if TYPE_CHECKING:
    from pyflare.portability.strict import StrictMode

log = logging.getLogger("pyflare")


# A number of milliseconds below this is a date before March 1973: such a scheduled_time was given in
# seconds (pyflare's unit before it matched ?time= and controller.scheduledTime).
_SECONDS_BEFORE = 1e11


def scheduled_time_seconds(value: float | int | datetime.datetime | None) -> float | None:
    """``Pyflare.scheduled(scheduled_time=)`` as epoch seconds for the clock: milliseconds since the epoch
    (the unit of ``?time=`` and ``controller.scheduledTime``), or an aware ``datetime``. A number too small
    to be milliseconds is taken as seconds, with a DeprecationWarning."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError("scheduled_time: give an aware datetime (e.g. tzinfo=timezone.utc), or milliseconds")
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"scheduled_time must be milliseconds since the epoch or a datetime, not "
                        f"{type(value).__name__}")
    if value < _SECONDS_BEFORE:
        warnings.warn("scheduled_time is in milliseconds since the epoch (as ?time= and controller.scheduledTime); "
                      "seconds are still accepted but deprecated", DeprecationWarning, stacklevel=3)
        return float(value)
    return value / 1000


class ScheduledController:
    """The ``controller`` a scheduled handler receives."""

    type = "scheduled"

    def __init__(self, cron: str, scheduled_time_ms: int) -> None:
        self.cron = cron
        self.scheduledTime = scheduled_time_ms
        self.no_retry_requested = False

    @property
    def scheduled_time(self) -> int:
        return self.scheduledTime

    def noRetry(self) -> None:  # noqa: N802 - Cloudflare's name
        """Ask the platform not to retry this run if it fails."""
        self.no_retry_requested = True

    no_retry = noRetry


class Runtime:
    """Owns the worker's live :class:`~pyflare.runtime.worker.WorkerCode` (or the error that stopped it
    loading), hands it events, and owns the worker's platform state (``stash``, ``sockets``)."""

    def __init__(self, main: Any, env: Any, clock: Clock, background: Background, *,
                 compatibility_date: str | None = None, compatibility_flags: Iterable[str] = (),
                 strict: StrictMode | None = None) -> None:
        self.main = main
        self.strict = strict  # strict portability mode (pyflare.portability.strict), or None
        self.env = env
        self.clock = clock
        self.background = background
        # The worker's own platform state, which worker code reaches without a binding (``from js import
        # caches``, the outbound fetch route, WebSocket settings), under typed keys; plugins fill it, and every
        # load of the code shares it.
        self.stash = Stash()
        self.stash[COMPATIBILITY] = Compatibility.of(compatibility_date, compatibility_flags)
        # The worker's WebSocket settings and live connections, closed with the runtime (close()).
        self.sockets = WorkerSockets(Settings.of(compatibility_date, compatibility_flags))
        self.stash[SOCKETS] = self.sockets
        self.worker: WorkerCode | None = None
        self.load_error: WorkerLoadError | None = None
        self.generation = 0
        # Called after each (re)load: instances made from the old code must not outlive it (Durable Objects).
        self.reload_hooks: list[Callable[[], None]] = []
        # What else a cron starts besides the worker's scheduled() (workflows with ``schedules``): cron
        # expression -> callbacks taking the scheduled time in ms. A cron that only these handle does not run
        # scheduled() unless it is also one of ``handler_crons`` (the worker's ``[triggers] crons``).
        self.cron_handlers: dict[str, list[Callable[[int], Awaitable[Any]]]] = {}
        self.handler_crons: frozenset[str] = frozenset()
        # Where vendored packages are (python_modules/, src/vendor/) and the .pth import lines to run, for the
        # compatibility settings (pyflare.runtime.loader.vendor_folders).
        folder = Path(main).parent
        self.vendor = vendor_folders(folder, compatibility_flags, compatibility_date)
        self.startup = pth_imports(folder, compatibility_flags, compatibility_date)

    def load(self) -> WorkerCode:
        """Import (or re-import) the worker; on failure keep the previous state and raise."""
        try:
            worker = WorkerCode(self.main, self.env, self.background.spawn, self.clock, stash=self.stash,
                                strict=self.strict, vendor=self.vendor, startup=self.startup)
        except WorkerLoadError as exc:
            self.load_error = exc
            raise
        if self.worker is not None:
            self.worker.unload()
        self.worker, self.load_error = worker, None
        self.generation += 1
        for hook in self.reload_hooks:
            hook()
        return worker

    def current(self) -> WorkerCode:
        if self.worker is None or self.load_error is not None:
            raise self.load_error or WorkerLoadError("the worker is not loaded", "")
        return self.worker

    def construct(self, class_name: str, ctx: Any) -> Any:
        """A new instance of exported class ``class_name`` built as Cloudflare does, ``cls(ctx, env)``.

        The object layer (pyflare.objects) decides when: it keeps one live instance per object."""
        worker = self.current()
        cls = worker.exports.get(class_name)
        if cls is None:
            exported = ", ".join(sorted(worker.exports)) or "none"
            raise LookupError(f"{self.main.name} exports no class {class_name!r} (exported: {exported})")
        return call_as_sync(worker, cls, ctx, self.env)

    async def fetch(self, request: Any) -> Response:
        return await self.current().fetch(request)

    async def scheduled(self, cron: str = "", scheduled_time: float | None = None) -> JsDict:
        """Run what ``cron`` starts once: the scheduled handler, and the workflows scheduled on that cron (see
        ``cron_handlers``); returns ``{"outcome": "ok"|"exception", "noRetry": bool}``."""
        when_ms = int((scheduled_time if scheduled_time is not None else self.clock.time()) * 1000)
        controller = ScheduledController(cron, when_ms)
        started = time.perf_counter()
        outcome, error = "ok", None
        handlers = self.cron_handlers.get(cron, ())
        try:
            worker = self.current()
            with invocation(worker, "scheduled", f"scheduled {cron}".rstrip(), "scheduled", detached=True,
                            event={"cron": cron, "scheduledTime": when_ms}):
                for handler in handlers:
                    await handler(when_ms)
                if not handlers or cron in self.handler_crons:
                    await worker.scheduled(controller)
        except Exception as exc:  # the outcome reports it; the caller decides how to surface it
            outcome, error = "exception", exc
            log.error("scheduled handler (cron %r) failed: %s: %s", cron, type(exc).__name__, exc, exc_info=exc)
        result = JsDict(outcome=outcome, noRetry=controller.no_retry_requested, cron=cron,
                        scheduledTime=when_ms, duration_ms=round((time.perf_counter() - started) * 1000, 2))
        if error is not None:
            result["error"] = f"{type(error).__name__}: {error}"
        return result

    async def queue(self, batch: Any) -> None:
        worker = self.current()
        with invocation(worker, "queue", f"queue {batch.queue}", "queue", detached=True,
                        event={"queue": batch.queue, "batchSize": len(batch.messages)}):
            await worker.queue(batch)

    async def tail(self, events: list[Any]) -> None:
        """Run the tail handler with trace items of other workers (``tail_consumers``); raises what it raises."""
        worker = self.current()
        consumed = [{"scriptName": event.get("scriptName")} for event in events]
        with invocation(worker, "tail", "tail", "tail", detached=True, event={"consumedEvents": consumed}):
            await worker.tail(events)

    async def email(self, message: Any) -> None:
        """Run the worker's ``email`` handler (``on_email`` at top level) with a ForwardableEmailMessage."""
        worker = self.current()
        sender, recipient = getattr(message, "from_", None), getattr(message, "to", None)
        with invocation(worker, "email", f"email from {sender} to {recipient}", "email", detached=True,
                        event={"mailFrom": sender, "rcptTo": recipient, "rawSize": getattr(message, "rawSize", None)}):
            await worker.email(message)

    async def close(self) -> None:
        """Close what the worker holds open beside its code: its WebSocket connections (1012)."""
        await self.sockets.close()

    def unload(self) -> None:
        if self.worker is not None:
            self.worker.unload()
            self.worker = None
