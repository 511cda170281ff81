"""The workflows plugin: one engine per ``[[workflows]]`` entry, who runs the instances, and commands.

Only one process runs a worker's instances: the one holding the exclusive lock on
``workflows/<worker>.lock`` (``pyflare dev``, or a ``Pyflare`` with its worker loaded). A process without the
worker (``pyflare workflows ...``) records what it wants in the ``commands`` table: if nobody owns the
state it takes the lock and applies the commands itself; otherwise the owner picks them up (it polls
SQLite's cheap ``data_version``) and writes back the outcome, so the two processes never both write an
instance and no update is lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from pyflare.bindings.workflows.binding import Workflow
from pyflare.bindings.workflows.constants import (
    DEFAULT_STEP_LIMIT,
    IMPLICIT_DEPENDENCIES_DATE,
    PRESERVE_NON_RETRYABLE_MESSAGE_DATE,
    PYTHON_WORKFLOWS_DATE,
)
from pyflare.bindings.workflows.engine import Engine
from pyflare.bindings.workflows.errors import WorkflowError
from pyflare.bindings.workflows.remote import RemoteWorkflow
from pyflare.bindings.workflows.store import InstanceObjects, WorkflowIndex
from pyflare.config import ConfigError
from pyflare.config.cron import CronSchedule, parse_cron
from pyflare.kernel.stash import StashKey
from pyflare.peers import PEERS
from pyflare.runtime.crons import CronTimers, iso_minute
from pyflare.runtime.plugin import Platform, Plugin
from pyflare.storage import safe_name
from pyflare.storage.locks import FileLock

log = logging.getLogger("pyflare")

# Every workflow's engine, whichever worker runs it: workflow name -> engine.
ENGINES = StashKey[dict[str, Engine]]("workflow engines")

# How often the owner looks for commands from other processes (real time: this is inter-process
# plumbing, not emulated time, so pyflare's clock does not apply).
COMMAND_POLL_SECONDS = 0.05


def compat_enabled(worker: Any, flag: str, date: str) -> bool:
    flags = set(worker.compatibility_flags)
    if f"no_{flag}" in flags:
        return False
    if flag in flags:
        return True
    return bool(worker.compatibility_date and worker.compatibility_date >= date)


class WorkflowsPlugin(Plugin):
    """The workflows of one worker."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        worker = platform.config.worker
        implicit = compat_enabled(worker, "python_workflows_implicit_dependencies", IMPLICIT_DEPENDENCIES_DATE)
        preserve = compat_enabled(worker, "workflows_preserve_non_retryable_error_message",
                                  PRESERVE_NON_RETRYABLE_MESSAGE_DATE)
        if not compat_enabled(worker, "python_workflows", PYTHON_WORKFLOWS_DATE):
            platform.log.warning(
                "%s: Python Workflows need compatibility_date >= %s or the python_workflows compatibility flag on "
                "Cloudflare; pyflare runs them anyway", platform.config.path, PYTHON_WORKFLOWS_DATE)
        self.engines: dict[str, Engine] = {}
        self.workflows: dict[str, Workflow] = {}
        # Every workflow run by any worker of this pyflare, by name (a binding may name another worker's).
        self.all_engines: dict[str, Engine] = platform.shared.setdefault(ENGINES, {})
        self._remote: list[tuple[int, Any]] = []
        # Workflows with `schedules`: an instance per cron firing, on the clock and through the scheduled endpoint.
        self.schedules: dict[str, list[CronSchedule]] = {}
        for index, config in enumerate(worker.workflows):
            if config.script_name and config.script_name != platform.config.name:
                if config.schedules:  # wrangler's text (deploy-helpers triggers/deploy.ts)
                    raise ConfigError(
                        f'{platform.config.path}: workflows[{index}]: Workflow "{config.name}" has "schedules" '
                        f'configured but references external script "{config.script_name}". Configure schedules '
                        "on the worker that defines the workflow.")
                peers = platform.shared.get(PEERS, None)
                if platform.peers is not None and platform.peers(config.script_name) is None and (
                        peers is not None and peers.registry_enabled):
                    # runs in another pyflare process: reached through the dev registry
                    self.workflows[config.binding] = RemoteWorkflow(peers, config.script_name, config.name)
                    continue
                self._remote.append((index, config))
                self.workflows[config.binding] = Workflow(lambda config=config, index=index: self._remote_engine(index, config))
                continue
            engine = self.engines.get(config.name)
            if engine is None:
                limits = getattr(config, "limits", None)
                engine = self.engines[config.name] = Engine(
                    name=config.name, class_name=config.class_name,
                    index=WorkflowIndex(platform.storage.database("workflows", config.name)),
                    objects=InstanceObjects(platform.objects, platform.config.name, config.name),
                    clock=platform.clock, runtime=platform.runtime, env=lambda: platform.runtime.env,
                    background=platform.background,
                    step_limit=(limits.steps if limits and limits.steps else DEFAULT_STEP_LIMIT),
                    implicit_dependencies=implicit, preserve_non_retryable_message=preserve,
                )
            self.all_engines.setdefault(config.name, engine)
            self.workflows[config.binding] = Workflow(engine)
            for cron in config.crons:
                if cron not in (s.expression for s in self.schedules.get(config.name, [])):
                    self.schedules.setdefault(config.name, []).append(parse_cron(cron))
                    platform.runtime.cron_handlers.setdefault(cron, []).append(
                        lambda when_ms, name=config.name, cron=cron: self.start_scheduled(name, cron, when_ms))
        self._cron_timers = CronTimers(platform.clock, platform.spawn, self._cron_due)
        peers = platform.shared.get(PEERS, None)
        if peers is not None:  # other processes' bindings (script_name) reach these workflows
            for name in self.engines:
                peers.workflows[(platform.config.name, name)] = (
                    lambda op, instance_id, args, name=name: self.serve(name, op, instance_id, args))
        platform.runtime.reload_hooks.append(self._reloaded)
        # One owner per worker's workflows (several workers of one pyflare share the state folder); temporary
        # storage is this process's alone.
        self._lock = (FileLock(platform.storage.folder("workflows") / f"{safe_name(platform.config.name)}.lock")
                      if platform.storage.persistent else None)
        self._poller: asyncio.Task[None] | None = None
        self._activating: asyncio.Task[None] | None = None
        self._closed = False

    def _remote_engine(self, index: int, config: Any) -> Engine:
        """The engine of a workflow defined by another worker of this pyflare (``script_name``)."""
        where = f"{self.platform.config.path}: workflows[{index}]"
        try:
            self.platform.resolve_worker(config.script_name)
        except LookupError as exc:
            raise ConfigError(f"{where}.script_name: {exc}") from None
        engine = self.all_engines.get(config.name)
        if engine is None or engine.objects.worker != config.script_name:
            raise ConfigError(f'{where}: the worker "{config.script_name}" has no [[workflows]] entry named '
                              f'"{config.name}"; add it there (with class_name = "{config.class_name}")')
        if engine.class_name != config.class_name:
            raise ConfigError(f'{where}.class_name: workflow "{config.name}" runs class "{engine.class_name}" in '
                              f'worker "{config.script_name}", not "{config.class_name}"')
        return engine

    def check(self) -> None:
        """Bindings to workflows of other workers must find them (checked once every worker has loaded)."""
        for index, config in self._remote:
            self._remote_engine(index, config)

    def _reloaded(self) -> None:
        for engine in self.engines.values():
            engine.reload()

    def bindings(self) -> dict[str, Any]:
        return dict(self.workflows)

    def engine(self, name: str) -> Engine:
        """The engine of a workflow by its name (``[[workflows]] name``)."""
        try:
            return self.engines[name]
        except KeyError:
            known = ", ".join(sorted(self.engines)) or "none"
            raise LookupError(f'no workflow named "{name}" in this worker\'s config (configured: {known})') from None

    # -- owning the state ------------------------------------------------------------------------
    async def start(self) -> None:
        if not self.engines:
            return
        if self._worker_attempted() and self._try_lock():
            self._activate()  # Pyflare.start loaded the worker first: instances run from the start
        else:
            self._activating = asyncio.ensure_future(self._activate_when_loaded())

    def _worker_attempted(self) -> bool:
        runtime = self.platform.runtime
        return runtime.worker is not None or runtime.load_error is not None

    async def _activate_when_loaded(self) -> None:
        # `pyflare dev` loads the worker right after starting the plugins; the CLI never does.
        await asyncio.sleep(0)
        if not self._worker_attempted():
            return
        while not self._try_lock():
            if self._closed:
                return
            await asyncio.sleep(COMMAND_POLL_SECONDS)  # another process has the state for a moment
        if self._closed:
            self._unlock()
            return
        self._activate()

    def _activate(self) -> None:
        """This process holds the lock: it runs the instances, applies commands and fires the schedules."""
        for engine in self.engines.values():
            engine.active = True
        self.process_commands()
        for engine in self.engines.values():
            engine.resume_all()
        if self.schedules and self.platform.options.crons:
            self._cron_timers.start([s for schedules in self.schedules.values() for s in schedules])
        if self.platform.storage.persistent:
            self._poller = asyncio.ensure_future(self._poll_commands())

    @property
    def active(self) -> bool:
        return any(engine.active for engine in self.engines.values())

    def _try_lock(self) -> bool:
        return self._lock is None or self._lock.acquire(wait=False)

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()

    # -- calls from other processes ---------------------------------------------------------------
    async def serve(self, workflow: str, op: str, instance_id: str | None, args: dict[str, Any]) -> Any:
        """A binding call another process made on one of this worker's workflows (RemoteWorkflow)."""
        engine = self.engine(workflow)
        if op == "create":
            options = list(args.get("options") or [])
            if engine.active:
                return engine.create(options)
            return [await self.submit(workflow, "create", option.get("id"), {"params": option.get("params")})
                    for option in options]
        if instance_id is None:
            raise TypeError(f"workflow {op} needs an instance id")
        if op == "get":
            engine.instance(instance_id)
            return None
        if op == "status":
            return engine.status(instance_id)
        if op in ("pause", "resume", "terminate", "restart", "send_event"):
            if engine.active:
                return apply_command(engine, op, instance_id, args)
            return await self.submit(workflow, op, instance_id, args)
        raise ValueError(f"unknown workflow operation {op!r}")

    # -- schedules -------------------------------------------------------------------------------
    async def _cron_due(self, schedule: CronSchedule, when: float) -> None:
        for name, schedules in self.schedules.items():
            if schedule in schedules:
                await self.start_scheduled(name, schedule.expression, int(when * 1000))

    async def start_scheduled(self, workflow: str, cron: str, when_ms: int) -> str | None:
        """Start the instance a cron firing makes (id ``"<cron>-<scheduled ms>"``, trigger ``cron``, no params);
        None if that firing already made it (another process, or the endpoint called twice)."""
        instance_id = f"{cron}-{when_ms}"
        try:
            if self.engine(workflow).active:
                apply_command(self.engine(workflow), "create", instance_id, {"trigger": "cron"})
            else:
                await self.submit(workflow, "create", instance_id, {"trigger": "cron"})
        except (WorkflowError, RuntimeError) as exc:
            if "instance.already_exists" in str(exc):
                return None
            raise
        log.info('CRON %s at %s: started workflow "%s" instance "%s"', cron, iso_minute(when_ms / 1000), workflow,
                 instance_id)
        return instance_id

    async def close(self) -> None:
        self._cron_timers.stop()
        self._closed = True
        for task in (self._poller, self._activating):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        for engine in self.engines.values():
            await engine.close()
        self._unlock()

    # -- commands from other processes -----------------------------------------------------------
    async def _poll_commands(self) -> None:
        stores = [engine.index for engine in self.engines.values()]
        versions = [store.data_version() for store in stores]
        self.process_commands()  # any left between activation and this first reading
        while True:
            await asyncio.sleep(COMMAND_POLL_SECONDS)
            now = [store.data_version() for store in stores]
            if now != versions:
                versions = now
                self.process_commands()

    def process_commands(self) -> None:
        for engine in self.engines.values():
            for command_id, action, instance_id, args in engine.index.pending_commands():
                try:
                    result = apply_command(engine, action, instance_id, args)
                except Exception as exc:  # reported back to the process that asked
                    engine.index.finish_command(command_id, None, str(exc) or type(exc).__name__)
                else:
                    engine.index.finish_command(command_id, result, None)

    async def submit(self, workflow: str, action: str, instance_id: str | None, args: dict[str, Any],
                     timeout: float = 10.0) -> Any:
        """Ask for ``action`` on the state (from a process that does not run the worker); returns the result
        or raises RuntimeError with the error text."""
        engine = self.engine(workflow)
        command_id = engine.index.add_command(action, instance_id, args, self.platform.clock.time_ms())
        if self._try_lock():
            try:
                self.process_commands()
            finally:
                self._unlock()
        deadline = time.monotonic() + timeout
        while True:
            done, result, error = engine.index.command_outcome(command_id)
            if done:
                if error is not None:
                    raise RuntimeError(error)
                return result
            if time.monotonic() > deadline:
                raise RuntimeError(f"the pyflare process that owns {self.platform.storage.root} did not answer "
                                   f"within {timeout:.0f}s; the command stays queued and runs when it does")
            await asyncio.sleep(COMMAND_POLL_SECONDS)


def apply_command(engine: Engine, action: str, instance_id: str | None, args: dict[str, Any]) -> Any:
    if action == "create":
        options: dict[str, Any] = {"params": args.get("params")}
        if instance_id is not None:
            options["id"] = instance_id
        return engine.create([options], trigger="cron" if args.get("trigger") == "cron" else "api")[0]
    assert instance_id is not None
    if action == "send_event":
        engine.send_event(instance_id, args.get("type"), args.get("payload"))
    elif action in ("pause", "resume", "terminate", "restart"):
        getattr(engine, action)(instance_id)
    else:
        raise ValueError(f"unknown workflow command {action!r}")
    return None
