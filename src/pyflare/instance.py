"""``Pyflare``: one emulated worker with its bindings, storage and clock; the public Python API.

The pytest fixtures, ``pyflare dev`` and scripts all go through this class: it loads the config, builds
the bindings over one storage layer and one clock, loads the worker, and exposes the ASGI app.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from pyflare.bindings import Options, Plugin, Services, create_plugins
from pyflare.clock import Clock
from pyflare.config import ResolvedConfig, load_config
from pyflare.runtime.app import AccessLog, WorkerApp
from pyflare.runtime.background import Background
from pyflare.runtime.env import Env, build_env
from pyflare.runtime.runtime import Runtime
from pyflare.storage import Storage
from pyflare.workers._jsdict import JsDict

log = logging.getLogger("pyflare")

DEFAULT_PERSIST = Path(".pyflare") / "state"


class Pyflare:
    """A worker under emulation.

    ``persist_to=None`` gives fresh, isolated, temporary storage (removed on close); a path keeps state
    there. ``dev=True`` (the default) puts the traceback of an uncaught exception in the 500 response;
    ``dev=False`` answers as production does ("Error 1101: Worker threw exception"). ``clock`` is a :class:`Clock`, or ``"manual"`` for one that moves only when advanced.
    """

    def __init__(
        self,
        config: str | Path | ResolvedConfig | None = None,
        *,
        environment: str | None = None,
        vars: dict[str, Any] | None = None,
        persist_to: str | Path | None = None,
        clock: Clock | str | None = None,
        kv_propagation_delay: float | None = None,
        crons: bool | None = None,
        dev: bool = True,
        access_log: AccessLog | None = None,
    ) -> None:
        self.config = config if isinstance(config, ResolvedConfig) else load_config(
            config, environment=environment, vars=vars
        )
        for warning in self.config.warnings:
            log.warning(warning)
        if isinstance(clock, Clock):
            self.clock = clock
        else:
            self.clock = Clock(manual=(clock == "manual"))
        settings = self.config.worker.pyflare
        self.options = Options(
            kv_propagation_delay=settings.kv_propagation_delay if kv_propagation_delay is None else kv_propagation_delay,
            crons=settings.crons if crons is None else crons,
            dev=dev,
        )
        self.storage = Storage(persist_to)
        self.background = Background()
        self._env = Env()
        self.runtime = Runtime(self.config.main_path, self._env, self.clock, self.background)
        self.services = Services(self.config, self.storage, self.clock, self.background, self.runtime, self.options)
        self.plugins: list[Plugin] = []
        self.asgi_app = WorkerApp(self.runtime, dev=dev, access_log=access_log,
                                  lifespan=(self.start, self.close))
        self._client: httpx.AsyncClient | None = None
        self._started = False
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self, *, load_worker: bool = True) -> Pyflare:
        """Build the bindings, load the worker and start background machinery (queues, crons)."""
        if self._started:
            return self
        self._started = True
        try:
            self.plugins = create_plugins(self.services)
            bindings: dict[str, Any] = {}
            for plugin in self.plugins:
                bindings.update(plugin.bindings())
            self._env.update(build_env(self.config.bindings_vars, bindings))
            if load_worker:
                self.runtime.load()
            for plugin in self.plugins:
                await plugin.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def close(self) -> None:
        """Finish background work, stop plugins and release storage (temporary storage is deleted)."""
        if self._closed:
            return
        self._closed = True
        await self.background.close()
        for plugin in reversed(self.plugins):
            try:
                await plugin.close()
            except Exception as exc:  # keep closing the rest
                log.error("closing %s failed: %s", type(plugin).__name__, exc, exc_info=exc)
        await self.background.close()
        if self._client is not None:
            await self._client.aclose()
        self.runtime.unload()
        self.storage.close()

    async def __aenter__(self) -> Pyflare:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- the public surface ----------------------------------------------------------------------
    @property
    def env(self) -> Env:
        """The same bindings, vars and secrets the worker sees."""
        return self._env

    @property
    def client(self) -> httpx.AsyncClient:
        """An httpx client talking to the worker in-process (base URL ``http://localhost``)."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.asgi_app), base_url="http://localhost"
            )
        return self._client

    async def dispatch_fetch(self, url: str = "/", *, method: str = "GET", **kwargs: Any) -> httpx.Response:
        """Send one request to the worker; keyword arguments are httpx's (json=, content=, headers=...)."""
        return await self.client.request(method, url, **kwargs)

    def websocket(self, url: str = "/", **kwargs: Any) -> Any:
        """``async with mf.websocket("/room") as ws``: a WebSocket to the worker in-process (httpx-ws session;
        keyword arguments: headers=, subprotocols=). See pyflare.websockets.client."""
        from pyflare.websockets.client import connect

        return connect(self.asgi_app, url, **kwargs)

    async def scheduled(self, cron: str = "", scheduled_time: float | None = None) -> JsDict:
        """Run the scheduled handler; returns ``{"outcome": "ok"|"exception", "noRetry": bool, ...}``."""
        return await self.runtime.scheduled(cron=cron, scheduled_time=scheduled_time)

    async def idle(self) -> None:
        """Wait until background work (waitUntil tasks, consumers, timers that are due) has finished."""
        await self.background.idle()

    def reload(self) -> None:
        """Re-import the worker's code (stored data is kept); raises WorkerLoadError if it fails."""
        self.runtime.load()

    def plugin(self, kind: type) -> Any:
        """The running plugin of a given class (used by binding helpers and the CLI)."""
        for plugin in self.plugins:
            if isinstance(plugin, kind):
                return plugin
        raise LookupError(f"no {kind.__name__} in this worker's config")
