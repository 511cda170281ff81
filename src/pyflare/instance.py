"""``Pyflare``: emulated workers with their bindings, over one storage layer and one clock; the public Python API.

The pytest fixtures, ``pyflare dev`` and scripts all go through this class: it loads the configs, builds
each worker's bindings over one storage layer and one clock, loads the workers, and exposes the ASGI app
of the first one (the one served). ``Pyflare("wrangler.toml")`` is one worker;
``Pyflare(["gateway/wrangler.toml", "users/wrangler.toml"])`` runs several in one process, reachable from
each other through their bindings (service bindings, Durable Objects in another script, shared queues).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from pyflare import dependencies
from pyflare.config import ConfigError, ResolvedConfig, load_config
from pyflare.config.migrations import class_backends
from pyflare.kernel.background import Background
from pyflare.kernel.clock import Clock
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.stash import Stash
from pyflare.kernel.tracing import TRACER
from pyflare.local import EXPLORER_PATH, LocalEndpoints
from pyflare.objects import ObjectLayer
from pyflare.observability import OBSERVABILITY, Observability, Trace, Traces
from pyflare.peers import PEERS, EntrypointHandler, Peers, WorkerEntry, default_registry_path
from pyflare.peers import PREFIX as PEERS_PATH
from pyflare.peers.listener import LoopbackListener
from pyflare.runtime.app import AccessLog, WorkerApp
from pyflare.runtime.env import Env, build_env
from pyflare.runtime.errors import format_user_traceback
from pyflare.runtime.loader import shadowed_vendored, vendor_folders
from pyflare.runtime.outbound import Outbound
from pyflare.runtime.plugin import Options, Platform, Plugin
from pyflare.runtime.runtime import Runtime, scheduled_time_seconds
from pyflare.storage import Storage
from pyflare.workers.host import ACCESS, CACHES, OUTBOUND, AccessContext

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("pyflare")


# -- the plugin registry: (does the config use it?, module), in the order plugins are built ------------------
def _uses(*attrs: str) -> Callable[[Any], bool]:
    def check(worker: Any) -> bool:
        for attr in attrs:
            value: Any = worker
            for part in attr.split("."):
                value = getattr(value, part)
            if value:
                return True
        return False

    return check


def _offline() -> Any:
    return importlib.import_module("pyflare.bindings.offline")


PLUGINS: list[tuple[Callable[[Any], bool], str]] = [
    (_uses("assets"), "pyflare.assets"),  # static assets (their router runs before the worker)
    (lambda worker: _offline().uses_cloudflare_only(worker), "pyflare.bindings.offline"),  # ai, browser...
    (_uses("worker_loaders"), "pyflare.bindings.worker_loader"),
    (_uses("kv_namespaces"), "pyflare.bindings.kv"),
    (_uses("r2_buckets"), "pyflare.bindings.r2"),
    (_uses("d1_databases"), "pyflare.bindings.d1"),
    (_uses("queues.producers", "queues.consumers"), "pyflare.bindings.queues"),
    (_uses("triggers.crons"), "pyflare.cron"),
    (_uses("durable_objects.bindings", "migrations"), "pyflare.bindings.durable_objects"),
    (_uses("workflows"), "pyflare.bindings.workflows"),
    (_uses("services"), "pyflare.bindings.services"),
    (_uses("vectorize", "pyflare.vectorize"), "pyflare.bindings.vectorize"),
    (_uses("secrets_store_secrets"), "pyflare.bindings.secrets_store"),
    (_uses("version_metadata"), "pyflare.bindings.version_metadata"),
    (_uses("hyperdrive"), "pyflare.bindings.hyperdrive"),
    (_uses("send_email"), "pyflare.bindings.email"),
    (_uses("analytics_engine_datasets"), "pyflare.bindings.analytics_engine"),
    (_uses("images"), "pyflare.bindings.images"),
    (lambda worker: True, "pyflare.bindings.cache"),  # `caches` is a global: every worker has it
    (lambda worker: bool(getattr(worker, "ratelimits", None) or getattr(worker, "unsafe", None)),
     "pyflare.bindings.ratelimit"),
    (_uses("tail_consumers"), "pyflare.bindings.tail_consumers"),
]


def create_plugins(platform: Platform) -> list[Plugin]:
    """The plugins a worker's config uses, each module imported only then."""
    plugins: list[Plugin] = []
    for used, module_name in PLUGINS:
        if not used(platform.config.worker):
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            platform.log.warning("%s is not available in this pyflare build; its bindings are absent", module_name)
            continue
        plugin = module.create(platform)
        if plugin is not None:
            plugins.append(plugin)
    return plugins

DEFAULT_PERSIST = Path(".pyflare") / "state"
OBSERVABILITY_PATH = "/cdn-cgi/local/observability"


def registry_entry(config: ResolvedConfig, storage: Storage) -> WorkerEntry:
    """What the dev registry says of a worker: what it consumes, hosts and runs (its URL is added on announce)."""
    worker = config.worker
    own_workflows = tuple((w.name, w.class_name) for w in worker.workflows
                          if not w.script_name or w.script_name == config.name)
    return WorkerEntry(name=config.name, url="", instance="",
                       queues=tuple(c.queue for c in worker.queues.consumers if c.type != "http_pull"),
                       classes=tuple(class_backends(worker.migrations)), workflows=own_workflows,
                       state=str(storage.root) if storage.persistent else "")

ConfigSource = str | Path | ResolvedConfig
P = TypeVar("P", bound=Plugin)


class PyflareWorker:
    """One worker of a :class:`Pyflare`: its config, env, runtime, bindings and in-process client."""

    def __init__(self, owner: Pyflare, config: ResolvedConfig, options: Options,
                 access_log: AccessLog | None, *, strict_portability: bool = False) -> None:
        self.owner = owner
        self.config = config
        self.options = options
        self._env = Env()
        strict = None
        if strict_portability:  # pyflare.portability loads only for a worker that asks for it
            from pyflare.portability.strict import strict_mode_for

            strict = strict_mode_for(config.worker.compatibility_date, config.worker.compatibility_flags)
        self.runtime = Runtime(config.main_path, self._env, owner.clock, owner.background,
                               compatibility_date=config.worker.compatibility_date,
                               compatibility_flags=config.worker.compatibility_flags, strict=strict)
        self.runtime.handler_crons = frozenset(config.worker.triggers.crons)
        self.platform = Platform(config, owner.storage, owner.clock, owner.background, self.runtime, options,
                                 peers=owner.peer_platform, shared=owner.shared, objects=owner.objects)
        # A reload drops this worker's live Durable Object instances (never their storage or alarms).
        self.runtime.reload_hooks.append(lambda: owner.objects.drop_instances(config.name))
        self.plugins: list[Plugin] = []
        self.asgi_app = WorkerApp(self.runtime, dev=options.dev, access_log=access_log,
                                  lifespan=(owner.start, owner.close))
        self.asgi_app.test_scheduled = options.test_scheduled
        self._client: httpx.AsyncClient | None = None

    @property
    def name(self) -> str:
        return self.config.name

    def build_bindings(self) -> None:
        """Create the plugins and fill the env (called for every worker before any plugin starts)."""
        self.plugins = create_plugins(self.platform)
        bindings: dict[str, Any] = {}
        for plugin in self.plugins:
            bindings.update(plugin.bindings())
            if plugin.front is not None:  # static assets answer before the worker
                self.asgi_app.front = plugin.front
        bindings.update(self.options.extra.get("bindings") or {})  # fakes a test put in (Pyflare(bindings=...))
        self._env.update(build_env(self.config.bindings_vars, bindings))

    async def close(self) -> None:
        await self.runtime.close()
        for plugin in reversed(self.plugins):
            try:
                await plugin.close()
            except Exception as exc:  # keep closing the rest
                log.error("closing %s failed: %s", type(plugin).__name__, exc, exc_info=exc)

    # -- the public surface ----------------------------------------------------------------------
    @property
    def env(self) -> Env:
        """The same bindings, vars and secrets the worker sees."""
        return self._env

    @property
    def client(self) -> httpx.AsyncClient:
        """An httpx client talking to the worker in-process (base URL ``http://localhost``); responses stream
        as the worker produces them (``client.stream(...)``), and closing one early is a client disconnect."""
        if self._client is None:
            # imported on first use (and httpx with it): pyflare dev starts faster without it
            from pyflare.runtime.inprocess import in_process_client

            self._client = in_process_client(self.asgi_app)
        return self._client

    async def dispatch_fetch(self, url: str = "/", *, method: str = "GET", **kwargs: Any) -> httpx.Response:
        """Send one request to the worker; keyword arguments are httpx's (json=, content=, headers=...)."""
        return await self.client.request(method, url, **kwargs)

    def websocket(self, url: str = "/", **kwargs: Any) -> Any:
        """``async with mf.websocket("/room") as ws``: a WebSocket to the worker in-process (httpx-ws session;
        keyword arguments: headers=, subprotocols=). See pyflare.websockets.client."""
        from pyflare.websockets.client import connect

        return connect(self.asgi_app, url, **kwargs)

    async def scheduled(self, cron: str = "", scheduled_time: float | datetime | None = None) -> JsDict:
        """Run the scheduled handler; returns ``{"outcome": "ok"|"exception", "noRetry": bool, ...}``.
        ``scheduled_time``: milliseconds since the epoch (as ``?time=``) or an aware datetime; default now."""
        return await self.runtime.scheduled(cron=cron, scheduled_time=scheduled_time_seconds(scheduled_time))

    def reload(self) -> None:
        """Re-import the worker's code (stored data is kept); raises WorkerLoadError if it fails."""
        self.runtime.load()

    @property
    def caches(self) -> Any:
        """The worker's Cache API (``caches.default``, ``await caches.open(name)``), for tests to inspect."""
        factory = self.runtime.stash.get(CACHES, None)
        if factory is None:
            raise LookupError("the Cache API is not set up: start the pyflare first")
        return factory()

    def plugin(self, kind: type) -> Any:
        """The running plugin of a given class (used by binding helpers and the CLI)."""
        for plugin in self.plugins:
            if isinstance(plugin, kind):
                return plugin
        raise LookupError(f"no {kind.__name__} in the config of worker {self.name!r}")

    def __repr__(self) -> str:
        return f"<PyflareWorker {self.name!r} ({self.config.path})>"


class Pyflare:
    """Workers under emulation: one config, or a list of configs whose first is the one served.

    ``persist_to=None`` gives fresh, isolated, temporary storage (removed on close); a path keeps state
    there. ``dev=True`` (the default) puts the traceback of an uncaught exception in the 500 response;
    ``dev=False`` answers as production does ("Error 1101: Worker threw exception"). ``clock`` is a
    :class:`Clock`, or ``"manual"`` for one that moves only when advanced. ``network=False`` makes a
    worker's ``fetch()`` to anything not routed with ``mf.outbound`` fail instead of reaching the network
    (pyflare.runtime.outbound). ``synchronous="full"`` makes every
    committed write survive an OS crash or power loss too (default: the config's ``[pyflare] synchronous``,
    else ``"normal"``; see docs/durability.md). ``environment`` applies to every
    config; ``vars`` to the first worker only. All workers share the storage root, the clock and the
    background work; each has its own env, vars, bindings and code. ``test_scheduled=True`` makes
    ``/__scheduled?cron=...`` run the scheduled handler (``pyflare dev --test-scheduled``); otherwise that
    path reaches the worker. ``bindings={"AI": fake}`` puts objects into the first worker's ``env`` in place
    of (or beside) its bindings: fakes for tests, e.g. for bindings that need Cloudflare. ``ai={model: fn}``
    answers the first worker's ``env.AI.run(model, inputs)`` with ``fn(inputs)`` (``mf.ai.fake`` adds more).
    ``strict_portability=True`` raises, where the worker's code does it, what would fail on Cloudflare's
    Python Workers (threads, entropy at import, subprocesses, sockets...; default: the config's
    ``[pyflare] strict_portability``; see docs/portability.md). ``traces=False`` records no traces (default:
    the config's ``[pyflare] traces``, else on): see docs/observability.md, ``mf.traces`` and
    ``await mf.last_trace()``.
    ``[pyflare] strict_portability``; see docs/portability.md). ``apply_migrations=True`` applies every D1
    database's unapplied migrations at start (default: the config's ``[pyflare] apply_migrations``).
    ``registry``: the dev registry folder (``True``: the default one, ``$PYFLARE_REGISTRY_PATH`` or
    ``~/.config/pyflare/registry``), through which bindings reach workers of other pyflare processes and
    those reach this one's (``pyflare dev`` uses it; default: none, so tests stay hermetic). ``served_at``: the
    URL a server of this pyflare's app listens on (``pyflare dev``); without one, a pyflare with a persist folder
    and Durable Object classes listens on a loopback port of its own, so that other processes sharing the folder
    reach the objects it hosts. See docs/multi-process.md.
    """

    def __init__(
        self,
        config: ConfigSource | Sequence[ConfigSource] | None = None,
        *,
        environment: str | None = None,
        vars: dict[str, Any] | None = None,
        persist_to: str | Path | None = None,
        clock: Clock | str | None = None,
        kv_propagation_delay: float | None = None,
        crons: bool | None = None,
        cache: bool | None = None,
        network: bool = True,
        dev: bool = True,
        access_log: AccessLog | None = None,
        test_scheduled: bool = False,
        explorer: bool = True,
        synchronous: str | None = None,
        bindings: dict[str, Any] | None = None,
        strict_portability: bool | None = None,
        traces: bool | None = None,
        apply_migrations: bool | None = None,
        registry: str | Path | bool | None = None,
        served_at: str | None = None,
        ai: dict[str, Callable[..., Any]] | None = None,
    ) -> None:
        sources = list(config) if isinstance(config, (list, tuple)) else [config]
        if not sources:
            raise ConfigError("Pyflare([...]): give at least one config")
        configs = [
            source if isinstance(source, ResolvedConfig)
            else load_config(source, environment=environment, vars=vars if index == 0 else None)
            for index, source in enumerate(sources)
        ]
        for resolved in configs:
            for warning in resolved.warnings:
                log.warning(warning)
            for message in dependencies.check(resolved.root).messages():  # the project's declared packages
                log.warning(message)
            worker = resolved.worker
            for message in shadowed_vendored(vendor_folders(resolved.main_path.parent, worker.compatibility_flags,
                                                            worker.compatibility_date)):
                log.warning(message)
        if isinstance(clock, Clock):
            self.clock = clock
        else:
            self.clock = Clock(manual=(clock == "manual"))
        if synchronous is None:  # one storage for all workers: FULL if any of them asks for it
            wanted = {resolved.worker.pyflare.synchronous for resolved in configs}
            synchronous = "full" if "full" in wanted else "normal"
        self.storage = Storage(persist_to, synchronous=synchronous)
        self.background = Background()
        # Every durable object of every worker: one live instance per address, storage files, alarms.
        self.objects = ObjectLayer(self.storage, self.clock, self.background.spawn)
        # Plugins of different workers meet here (e.g. a queue produced in one worker, consumed in another).
        self.shared = Stash()
        # Where every worker's fetch() goes: tests route it or turn the network off (network=False).
        self.outbound = Outbound(network=network)
        # Every worker's traces: one store in the state folder, pyflare tail, tail consumers.
        traced = {resolved.name: resolved.worker.pyflare.traces if traces is None else traces for resolved in configs}
        self.observability = Observability(self.storage, self.clock, keep=any(traced.values()),
                                           format_exception=format_user_traceback)
        self.shared[OBSERVABILITY] = self.observability
        # With tail consumers, every worker is traced (a producer's item includes the workers it called).
        tailed = any(resolved.worker.tail_consumers for resolved in configs)
        # Other pyflare processes: the dev registry (if asked for) and the processes sharing this state folder.
        self.peers: Peers | None = None
        if registry or self.storage.persistent:
            folder = None if not registry else default_registry_path() if registry is True else Path(registry)
            self.peers = self.shared[PEERS] = Peers(folder)
            self.peers.url = served_at
        self._listener: LoopbackListener | None = None
        self.workers: dict[str, PyflareWorker] = {}
        for resolved in configs:
            if resolved.name in self.workers:
                other = self.workers[resolved.name].config.path
                raise ConfigError(f'{resolved.path}: name: worker "{resolved.name}" is already defined by {other}; '
                                  "every worker in one pyflare needs its own name")
            settings = resolved.worker.pyflare
            options = Options(
                kv_propagation_delay=(settings.kv_propagation_delay if kv_propagation_delay is None
                                      else kv_propagation_delay),
                crons=settings.crons if crons is None else crons,
                cache=settings.cache if cache is None else cache,
                dev=dev,
                test_scheduled=test_scheduled,
                apply_migrations=settings.apply_migrations if apply_migrations is None else apply_migrations,
            )
            if bindings and resolved is configs[0]:  # like vars: fakes apply to the served worker
                options.extra["bindings"] = dict(bindings)
            if ai and resolved is configs[0]:  # fake Workers AI models, by name (pyflare.bindings.offline)
                options.extra["ai"] = dict(ai)
            strict = settings.strict_portability if strict_portability is None else strict_portability
            self.workers[resolved.name] = PyflareWorker(self, resolved, options, access_log,
                                                        strict_portability=strict)
            self.workers[resolved.name].runtime.stash[OUTBOUND] = self.outbound
            if traced[resolved.name] or tailed:  # tail workers get their producers' events even with traces off
                self.workers[resolved.name].runtime.stash[TRACER] = self.observability.tracer(
                    resolved.name, keep=traced[resolved.name])
            access = resolved.worker.access.dev if resolved.worker.access is not None else None
            if access is not None:  # [access.dev]: each request's ctx.access, as wrangler dev gives it
                self.workers[resolved.name].runtime.stash[ACCESS] = AccessContext(access.aud, access.identity)
        self.main = next(iter(self.workers.values()))
        self.explorer = explorer
        self.local: LocalEndpoints | None = None
        self._started = False
        self._closed = False

    def _local_endpoints(self) -> LocalEndpoints:
        """pyflare's endpoints under ``/cdn-cgi/local/``: R2's S3 API and public buckets when a worker has R2
        buckets, the incoming-email endpoint, and the explorer (each imported only when used)."""
        local = LocalEndpoints()
        if self.peers is not None:  # calls from other pyflare processes (token-checked)
            local.mount(PEERS_PATH, self.peers.endpoint())
        if any(worker.config.worker.r2_buckets for worker in self.workers.values()):
            from pyflare.bindings.r2 import R2Plugin
            from pyflare.bindings.r2 import endpoints as r2_endpoints

            r2_endpoints.mount(local, lambda: self.all_plugins(R2Plugin), self.clock)
        if self.observability.keep:
            local.mount_lazy(OBSERVABILITY_PATH, lambda: self.observability.endpoint(lambda: list(self.workers)))
        def email_endpoint() -> Any:  # any worker may have an email() handler; imported on the first email
            from pyflare.bindings.email import endpoint_for

            return endpoint_for(self.main.platform)

        local.mount_lazy("/cdn-cgi/local/email", email_endpoint)
        if any(worker.config.worker.analytics_engine_datasets for worker in self.workers.values()):
            def analytics_endpoint() -> Any:  # the SQL API on the data points written locally
                from pyflare.bindings.analytics_engine import store_for
                from pyflare.bindings.analytics_engine.endpoint import SqlEndpoint

                return SqlEndpoint(store_for(self.main.platform))

            local.mount_lazy("/cdn-cgi/local/analytics_engine/sql", analytics_endpoint)
        if self.explorer:
            from pyflare.explorer import Explorer

            explorer = Explorer(self)
            local.mount(EXPLORER_PATH, explorer, close=explorer.close)
        return local

    # -- other pyflare processes --------------------------------------------------------------------
    def _serve_peers(self, peers: Peers) -> None:
        """Answer other processes: run this pyflare's workers' entrypoints for them (service bindings)."""
        from pyflare.bindings.services.entrypoints import call_fetch, call_method

        for worker in self.workers.values():
            runtime = worker.runtime
            peers.entrypoints[worker.name] = EntrypointHandler(
                fetch=lambda entrypoint, props, request, runtime=runtime: call_fetch(runtime, entrypoint, props,
                                                                                     request),
                call=lambda entrypoint, props, method, args, kwargs, runtime=runtime: call_method(
                    runtime, entrypoint, props, method, args, kwargs))
        peers.start_watching()

    def announce(self, url: str | None = None) -> None:
        """This pyflare answers at ``url`` (default: ``served_at``): put its workers in the dev registry."""
        if self.peers is None:
            return
        self.peers.url = url or self.peers.url
        self.peers.announce([registry_entry(worker.config, self.storage) for worker in self.workers.values()])

    def all_plugins(self, kind: type[P]) -> list[P]:
        """The running plugins of a given class, of every worker."""
        return [plugin for worker in self.workers.values() for plugin in worker.plugins if isinstance(plugin, kind)]

    def peer_platform(self, name: str) -> Platform | None:
        """The :class:`Platform` of the worker called ``name`` in this pyflare (None if there is none)."""
        worker = self.workers.get(name)
        return worker.platform if worker is not None else None

    def check_bindings(self) -> None:
        """Check the bindings that point at other workers (service targets and their entrypoints) against
        the loaded workers; raises ConfigError with wrangler's text for a missing target."""
        for worker in self.workers.values():
            for plugin in worker.plugins:
                plugin.check()

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self, *, load_worker: bool = True) -> Pyflare:
        """Build every worker's bindings, load the workers and start background machinery (queues, crons)."""
        if self._started:
            return self
        self._started = True
        try:
            for worker in self.workers.values():
                worker.build_bindings()
            self.local = self.main.asgi_app.local = self._local_endpoints()
            if self.peers is not None and self.peers.url is None and self.storage.persistent and load_worker and any(
                    class_backends(worker.config.worker.migrations) for worker in self.workers.values()):
                self._listener = LoopbackListener(self.main.asgi_app)
                self.peers.url = await self._listener.start()
            if load_worker:
                for worker in self.workers.values():
                    worker.runtime.load()
                self.check_bindings()
            for worker in self.workers.values():
                for plugin in worker.plugins:
                    await plugin.start()
            await self.objects.start()  # re-arm persisted alarms once every class is registered
            if self.peers is not None:
                self._serve_peers(self.peers)
        except BaseException:
            await self.close()
            raise
        return self

    async def close(self) -> None:
        """Finish background work, stop plugins and release storage (temporary storage is deleted)."""
        if self._closed:
            return
        self._closed = True
        if self.peers is not None:  # first: other processes stop routing here while the rest winds down
            await self.peers.close()
        if self._listener is not None:
            await self._listener.stop()
        if self.local is not None:
            self.local.close()
        await self.background.close()
        for worker in reversed(self.workers.values()):
            await worker.close()
        await self.background.close()
        await self.background.cancel_all()  # parked work whose owner is gone (nothing can wake it now)
        self.objects.close()
        self.observability.close()  # after background work: what a waitUntil logged late is written too
        await self.outbound.aclose()
        for worker in self.workers.values():
            if worker._client is not None:
                await worker._client.aclose()
            worker.runtime.unload()
        self.storage.close()

    async def __aenter__(self) -> Pyflare:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- the public surface (of the first worker, the one served) ------------------------------------
    def worker(self, name: str) -> PyflareWorker:
        """Another worker of this pyflare by its config's ``name``."""
        try:
            return self.workers[name]
        except KeyError:
            known = ", ".join(repr(n) for n in self.workers)
            raise LookupError(f"no worker named {name!r} in this pyflare (workers: {known})") from None

    @property
    def config(self) -> ResolvedConfig:
        return self.main.config

    @property
    def options(self) -> Options:
        return self.main.options

    @property
    def runtime(self) -> Runtime:
        return self.main.runtime

    @property
    def platform(self) -> Platform:
        return self.main.platform

    @property
    def plugins(self) -> list[Plugin]:
        return self.main.plugins

    @property
    def asgi_app(self) -> WorkerApp:
        return self.main.asgi_app

    @property
    def env(self) -> Env:
        """The same bindings, vars and secrets the (first) worker sees."""
        return self.main.env

    @property
    def client(self) -> httpx.AsyncClient:
        """An httpx client talking to the worker in-process (base URL ``http://localhost``); responses stream
        as the worker produces them (``client.stream(...)``), and closing one early is a client disconnect."""
        return self.main.client

    async def dispatch_fetch(self, url: str = "/", *, method: str = "GET", **kwargs: Any) -> httpx.Response:
        """Send one request to the worker; keyword arguments are httpx's (json=, content=, headers=...)."""
        return await self.main.dispatch_fetch(url, method=method, **kwargs)

    def websocket(self, url: str = "/", **kwargs: Any) -> Any:
        """``async with mf.websocket("/room") as ws``: a WebSocket to the served worker in-process (an httpx-ws
        session; keyword arguments: headers=, subprotocols=). See pyflare.websockets.client."""
        return self.main.websocket(url, **kwargs)

    async def scheduled(self, cron: str = "", scheduled_time: float | datetime | None = None) -> JsDict:
        """Run the served worker's scheduled handler; returns ``{"outcome": "ok"|"exception", ...}``.
        ``scheduled_time``: milliseconds since the epoch (as ``?time=`` and ``controller.scheduledTime``) or an
        aware datetime; default: the clock's now."""
        return await self.main.runtime.scheduled(cron=cron, scheduled_time=scheduled_time_seconds(scheduled_time))

    async def idle(self) -> None:
        """Wait until background work has finished: waitUntil tasks, queue batches, alarms, crons and workflow
        runs that timers or events started (a workflow instance counts until it sleeps, waits or ends)."""
        await self.background.idle()

    @property
    def traces(self) -> Traces:
        """Every worker's traces: ``await mf.traces.list(worker=..., trigger=..., outcome=..., search=...)``,
        ``.get(id)``, ``.query(sql, params)``, ``.clear()`` (docs/observability.md)."""
        return self.observability.traces

    async def last_trace(self, *, worker: str | None = None, trigger: str | None = None) -> Trace | None:
        """The newest trace (of ``worker``, of a ``trigger`` event: ``fetch``, ``queue``...), or None:
        ``trace = await mf.last_trace(); assert trace.touched("KV") and trace.logged("hello")``."""
        return await self.observability.traces.last(worker=worker, trigger=trigger)

    def reload(self) -> None:
        """Re-import the worker's code (stored data is kept); raises WorkerLoadError if it fails."""
        self.main.reload()

    @property
    def caches(self) -> Any:
        """The (first) worker's Cache API, for tests to inspect: ``await mf.caches.default.match(url)``."""
        return self.main.caches

    def plugin(self, kind: type) -> Any:
        """The running plugin of a given class (used by binding helpers and the CLI)."""
        return self.main.plugin(kind)

    @property
    def ai(self) -> Any:
        """The (first) worker's fake Workers AI models: ``mf.ai.fake("@cf/...", lambda inputs: {...})``, and
        ``mf.ai.calls`` (what ``env.AI.run`` was asked); see docs/workers-ai.md."""
        return _offline().ai_fakes(self.main.options)
