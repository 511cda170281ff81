"""``pyflare dev``: serve a worker on 127.0.0.1 with hot reload, request logs and scheduled endpoints."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import logging
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from pyflare.cli.common import persist_folder
from pyflare.config import ConfigError, ResolvedConfig, load_config
from pyflare.instance import Pyflare
from pyflare.runtime.app import AccessLog
from pyflare.runtime.worker import WorkerLoadError
from pyflare.websockets.constants import MAX_MESSAGE_SIZE

log = logging.getLogger("pyflare")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("dev", help="serve a worker locally", description=__doc__)
    parser.add_argument("path", nargs="?", default=None, help="config file or a folder holding one (default: .)")
    parser.add_argument("--port", type=int, default=None, help="port (default: [dev] port, else 8787)")
    parser.add_argument("--ip", default=None, help="address to listen on (default: [dev] ip, else 127.0.0.1)")
    parser.add_argument("--env", "-e", default=None, help="environment from [env.NAME]")
    parser.add_argument("--var", action="append", default=[], metavar="KEY:VALUE", help="override a var (repeatable)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--persist-to", default=None, help="state folder (default .pyflare/state beside the config)")
    group.add_argument("--no-persist", action="store_true", help="temporary state, removed on exit")
    parser.add_argument("--no-reload", action="store_true", help="do not reload on code changes")
    parser.add_argument("--no-crons", action="store_true", help="do not fire cron triggers on schedule")
    parser.add_argument("--kv-propagation-delay", type=float, default=None, metavar="SECONDS",
                        help="simulate KV's eventual consistency: writes become visible after this delay")
    parser.add_argument("--log-format", choices=("pretty", "json"), default="pretty")
    parser.set_defaults(handler=run)


def parse_vars(pairs: list[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition(":")
        if not sep or not key:
            raise ConfigError(f"--var {pair!r}: expected KEY:VALUE")
        result[key] = value
    return result


def bind_socket(ip: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves, so a port in use is a clear error before anything starts."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on such sockets (else Nagle adds 40 ms)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((ip, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(f"port {port} on {ip} is already in use; stop the other server or pass --port") from None
        raise PortInUse(f"cannot listen on {ip}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class PortInUse(Exception):
    pass


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"type": "log", "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (pytest's capture swaps it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def setup_logging(fmt: str) -> None:
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter("[pyflare] %(levelname)s %(message)s"))
    root = logging.getLogger("pyflare")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


class DevServer:
    """Owns the running Pyflare, swaps it on reload, and serves it through one stable ASGI app."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.vars = parse_vars(args.var)
        self.config = self.load_config()
        self.persist_to = None if args.no_persist else persist_folder(self.config, args.persist_to)
        self.access_log = AccessLog(args.log_format)
        self.mf: Pyflare | None = None
        self.lock = asyncio.Lock()

    def load_config(self) -> ResolvedConfig:
        return load_config(self.args.path, environment=self.args.env, vars=self.vars)

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # One level of indirection so a config change can replace the whole Pyflare under a live server.
        assert self.mf is not None
        await self.mf.asgi_app(scope, receive, send)

    async def start_instance(self, config: ResolvedConfig) -> None:
        mf = Pyflare(
            config,
            persist_to=self.persist_to,
            kv_propagation_delay=self.args.kv_propagation_delay,
            crons=False if self.args.no_crons else None,
            dev=True,
            access_log=self.access_log,
        )
        await mf.start(load_worker=False)
        self.mf = mf
        self.load_worker()
        # Plugins that need the worker (consumers, crons) were started; they find it through the runtime.

    def load_worker(self) -> bool:
        assert self.mf is not None
        try:
            self.mf.runtime.load()
        except WorkerLoadError as exc:
            log.error("%s\n%s", exc, exc.details)
            log.error("The server keeps running; fix the error and save to reload.")
            return False
        return True

    async def on_change(self, paths: set[str]) -> None:
        async with self.lock:
            config_names = {"wrangler.toml", "wrangler.json", "wrangler.jsonc"}
            if any(Path(p).name in config_names or Path(p).name.startswith((".dev.vars", ".env")) for p in paths):
                try:
                    config = self.load_config()
                except ConfigError as exc:
                    # Keep the running bindings; code saved in the same batch still reloads below.
                    log.error("config not reloaded: %s", exc)
                else:
                    old = self.mf
                    if old is not None:
                        await old.close()
                    await self.start_instance(config)
                    log.info("Config changed: reloaded worker and bindings")
                    return
            started = time.perf_counter()
            if self.load_worker():
                log.info("Reloaded worker in %.0fms", (time.perf_counter() - started) * 1000)

    async def watch(self, stop: asyncio.Event) -> None:
        from watchfiles import DefaultFilter, awatch

        state = self.persist_to

        class Filter(DefaultFilter):
            def __call__(self, change: Any, path: str) -> bool:
                if state is not None and Path(path).resolve().is_relative_to(state):
                    return False
                name = Path(path).name
                return super().__call__(change, path) and (
                    name.endswith(".py") or name.startswith((".dev.vars", ".env", "wrangler.")) or name.endswith(".sql")
                )

        async for changes in awatch(self.config.root, stop_event=stop, watch_filter=Filter(), debounce=100, step=20):
            await self.on_change({path for _, path in changes})

    async def serve(self, sock: socket.socket, ip: str, port: int) -> None:
        import uvicorn

        class Server(uvicorn.Server):
            # uvicorn re-raises SIGINT/SIGTERM after shutdown (exit status -15); a clean stop exits 0.
            @contextlib.contextmanager
            def capture_signals(self) -> Any:
                yield

        await self.start_instance(self.config)
        server = Server(uvicorn.Config(
            self.app, interface="asgi3", proxy_headers=False, lifespan="off", access_log=False, log_level="warning", server_header=False,
            date_header=False, timeout_graceful_shutdown=10,
            ws_max_size=MAX_MESSAGE_SIZE,  # Cloudflare's 32 MiB: a bigger message closes with 1009
        ))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, lambda: setattr(server, "should_exit", True))
        # The watcher starts first: awatch() sets up its file watches when first iterated, so a save
        # made right after the Ready line is seen.
        watcher = None if self.args.no_reload else asyncio.create_task(self.watch(stop))
        for _ in range(3):
            await asyncio.sleep(0)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.005)
        if server.started:
            shown_ip = f"[{ip}]" if ":" in ip else ip
            print(f"Ready on http://{shown_ip}:{port}", flush=True)
        try:
            await serving
        finally:
            stop.set()
            if watcher is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(watcher, 2)
            if self.mf is not None:
                await self.mf.close()


def run(args: argparse.Namespace) -> int:
    server = DevServer(args)  # a bad config fails here, before logging is set up for serving
    setup_logging(args.log_format)
    dev = server.config.worker.dev
    ip = args.ip or dev.ip or "127.0.0.1"
    port = args.port if args.port is not None else (dev.port if dev.port is not None else 8787)
    try:
        sock = bind_socket(ip, port)
    except PortInUse as exc:
        print(f"pyflare: {exc}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    try:
        asyncio.run(server.serve(sock, ip, port))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0
