"""``pyflare dev``: serve a worker on 127.0.0.1 with hot reload, request logs, a banner of its bindings
and scheduled endpoints."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import gc
import logging
import signal
import socket
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from pyflare.cli.banner import banner_json, banner_lines, banner_rows, header_lines
from pyflare.cli.common import persist_folder, record_dev_state
from pyflare.cli.debugger import DEFAULT_PORT, DebuggerUnavailable, terminal_breakpoints
from pyflare.cli.debugger import listen as listen_for_debugger
from pyflare.cli.logs import console_out, setup_logging
from pyflare.cli.tail import remove_note, write_note
from pyflare.cli.watch import SaveGate, watch_changes, watch_plan
from pyflare.config import ConfigError, ResolvedConfig, load_config
from pyflare.instance import Pyflare
from pyflare.kernel.distribution import MissingDependency
from pyflare.runtime.app import AccessLog
from pyflare.runtime.errors import set_verbose
from pyflare.runtime.guard import local_hostnames
from pyflare.runtime.server import server_options
from pyflare.runtime.worker import WorkerLoadError
from pyflare.storage.descriptors import raise_soft_limit, soft_limit
from pyflare.websockets.constants import MAX_MESSAGE_SIZE

log = logging.getLogger("pyflare")


DESCRIPTION = """\
Start a local server for developing your Worker.

Serves the worker on http://127.0.0.1:8787 with hot reload, one log line per request, cron triggers that
fire on schedule and state kept in .pyflare/state beside the config. It prints "Ready on URL" once it
accepts requests."""


def port_number(text: str) -> int:
    """argparse type for --port: an integer from 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a valid port: use 0-65535 (0 picks a free port)")
    return port


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("dev", help="👂 Start a local server for developing your Worker",
                                   description=DESCRIPTION)
    parser.add_argument("path", nargs="?", default=None,
                        help="The path to your config file, or to a folder that holds one (default: .)")
    parser.add_argument("-c", "--config", action="append", default=[], metavar="FILE",
                        help="Path to a wrangler config file; repeat to run several workers in one process "
                             "(the first is served)")
    parser.add_argument("--port", type=port_number, default=None,
                        help="Port to listen on (default: [dev] port, else 8787; 0 picks a free port)")
    parser.add_argument("--ip", default=None, help="IP address to listen on (default: [dev] ip, else 127.0.0.1)")
    parser.add_argument("--env", "-e", default=None, metavar="NAME",
                        help="Environment to use for operations, and for selecting .env and .dev.vars files")
    parser.add_argument("--var", action="append", default=[], metavar="KEY:VALUE",
                        help="A key-value pair to be injected into the script as a variable (repeatable)")
    parser.add_argument("--test-scheduled", action="store_true",
                        help="Test scheduled events by visiting /__scheduled?cron=... in a browser")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--persist-to", default=None, metavar="DIR",
                       help="Specify directory to use for local persistence (default: .pyflare/state beside "
                            "the config)")
    group.add_argument("--no-persist", action="store_true", help="Use temporary state, deleted on exit")
    parser.add_argument("--local", action="store_true",
                        help="Run on my machine (always the case: accepted for wrangler compatibility)")
    parser.add_argument("--apply-migrations", action="store_true",
                        help="Apply unapplied D1 migrations at start, and each new one when its file is saved "
                             "(as `pyflare d1 migrations apply --local` does; [pyflare] apply_migrations = true in "
                             "the config does it too)")
    parser.add_argument("--registry-dir", default=None, metavar="DIR",
                        help="The dev registry folder where pyflare dev processes find each other (default: "
                             "$PYFLARE_REGISTRY_PATH, else ~/.config/pyflare/registry)")
    parser.add_argument("--no-registry", action="store_true",
                        help="Neither announce these workers to other pyflare dev processes nor reach theirs")
    parser.add_argument("--no-reload", action="store_true", help="Do not reload the worker when files change")
    parser.add_argument("--no-crons", action="store_true", help="Do not fire cron triggers on schedule")
    parser.add_argument("--no-cache", action="store_true",
                        help="Cache API stores nothing: every caches.default/open() match misses")
    parser.add_argument("--no-explorer", action="store_true",
                        help="Do not serve the local explorer at /cdn-cgi/local/explorer")
    parser.add_argument("--no-traces", action="store_true",
                        help="Record no traces (spans and logs of each event: the explorer's Traces view, "
                             "pyflare tail); [pyflare] traces = false does it too")
    parser.add_argument("--kv-propagation-delay", type=float, default=None, metavar="SECONDS",
                        help="Simulate KV's eventual consistency: writes become visible after this delay")
    parser.add_argument("--log-format", choices=("pretty", "json"), default="pretty",
                        help="pretty for people, json for machines (one JSON object per line)")
    parser.add_argument("--verbose", action="store_true",
                        help="Show pyflare's own frames in tracebacks of errors in the worker, and the limits "
                             "pyflare set at start (open files)")
    parser.add_argument("--debug", action="store_true",
                        help="Let a debugger attach (debugpy, as VS Code's Remote Attach uses), on 127.0.0.1:"
                             "--debug-port; breakpoints in the worker's files stop its requests")
    parser.add_argument("--debug-port", type=port_number, default=DEFAULT_PORT, metavar="PORT",
                        help=f"Port the debugger listens on with --debug (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--ready-file", default=None, metavar="PATH",
                        help="Write the URL to PATH once requests are accepted (for CI scripts to wait on)")
    parser.add_argument("--strict-portability", action="store_true",
                        help="Raise where the worker does what fails on Cloudflare's Python Workers (threads, "
                             "entropy at import, subprocesses, sockets); see pyflare check")
    parser.add_argument("--install-deps", action="store_true",
                        help="pip-install the packages the project declares (pyproject.toml or requirements.txt) "
                             "that are missing here, at the versions its pylock.toml or uv.lock pins; refuses when "
                             "that would change a package pyflare itself depends on")
    parser.add_argument("--allow-dependency-changes", action="store_true",
                        help="with --install-deps: install even when that changes packages pyflare depends on")
    parser.set_defaults(handler=run)


def install_declared(configs: list[ResolvedConfig], *, allow_changes: bool = False) -> None:
    """``--install-deps``: install what each worker's project declares (at its locked versions) and this
    environment lacks; raises ``InstallRefused`` if that would change pyflare's own dependencies."""
    from pyflare import dependencies

    for config in configs:
        report = dependencies.check(config.root)
        if report.missing:
            print(f"Installing {', '.join(report.missing)} for {config.name}...", file=sys.stderr, flush=True)
            dependencies.install(report, allow_changes=allow_changes)
            dependencies.forget(report)


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


def freeze_heap() -> None:
    """Leave what start-up (or a reload) built out of the garbage collector's full passes: the ~45,000 objects
    of the loaded modules and workers are live for the server's life, and scanning them took ~40 ms per full
    collection, which the objects of traces waiting to be written set off every few thousand requests. A reload
    first gives the previous objects back to the collector (what it replaced can be freed), then freezes again."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class PortInUse(Exception):
    pass


class DevServer:
    """Owns the running Pyflare, swaps it on reload, and serves it through one stable ASGI app."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.vars = parse_vars(args.var)
        self.configs = self.load_configs()
        self.config = self.configs[0]
        if getattr(args, "install_deps", False):
            install_declared(self.configs, allow_changes=getattr(args, "allow_dependency_changes", False))
        self.persist_to = None if args.no_persist else persist_folder(self.config, args.persist_to)
        self.access_log = AccessLog(args.log_format)
        self.url: str | None = None
        self.mf: Pyflare | None = None
        self.connections: dict[tuple[str, str], tuple[str, str]] = {}
        self.lock = asyncio.Lock()

    def config_paths(self) -> list[str | None]:
        paths: list[str | None] = ([self.args.path] if self.args.path else []) + list(self.args.config)
        return paths or [None]

    def load_configs(self) -> list[ResolvedConfig]:
        """Every worker's config; ``--var`` applies to the first (the served one)."""
        return [load_config(path, environment=self.args.env, vars=self.vars if index == 0 else None)
                for index, path in enumerate(self.config_paths())]

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # One level of indirection so a config change can replace the whole Pyflare under a live server.
        assert self.mf is not None
        await self.mf.asgi_app(scope, receive, send)

    async def start_instance(self, configs: list[ResolvedConfig], *, strict: bool = True) -> None:
        """Start the workers; a binding whose target is missing stops the first start (``strict``) as wrangler
        does, and is only logged when a saved config is reloaded under a running server."""
        mf = Pyflare(
            configs,
            persist_to=self.persist_to,
            kv_propagation_delay=self.args.kv_propagation_delay,
            crons=False if self.args.no_crons else None,
            cache=False if self.args.no_cache else None,
            dev=True,
            access_log=self.access_log,
            test_scheduled=self.args.test_scheduled,
            explorer=not self.args.no_explorer,
            strict_portability=True if getattr(self.args, "strict_portability", False) else None,
            traces=False if getattr(self.args, "no_traces", False) else None,
            apply_migrations=False,  # applied below, where a failing migration is reported, not fatal
            registry=None if getattr(self.args, "no_registry", False) else (getattr(self.args, "registry_dir", None)
                                                                            or True),
            served_at=self.url,
        )
        await mf.start(load_worker=False)
        if self.persist_to is not None:  # the state commands look there (pyflare.cli.common.state_folder)
            record_dev_state(configs, self.persist_to)
        mf.asgi_app.local_hosts = local_hostnames(self.args.ip or self.config.worker.dev.ip)
        self.mf = mf
        self.apply_migrations()
        self.load_worker()
        try:
            mf.check_bindings()
        except ConfigError as exc:
            if strict:
                await mf.close()
                raise
            log.error("%s", exc)
        mf.announce()
        self.print_banner()
        if mf.peers is not None:
            self.connections = self.connection_modes()
            mf.peers.on_change(lambda previous, current: self.connections_changed())
        # Plugins that need the worker (consumers, crons) were started; they find it through the runtime.

    def migrations_enabled(self) -> bool:
        return bool(getattr(self.args, "apply_migrations", False)) or any(
            config.worker.pyflare.apply_migrations for config in self.configs)

    def apply_migrations(self) -> None:
        """``--apply-migrations``: bring every D1 database up to its migrations folder; a failing migration is
        logged (the ones before it stay applied) and the server keeps running, to retry when a file is saved."""
        if not self.migrations_enabled():
            return
        from pyflare.bindings.d1 import D1Plugin, MigrationError

        assert self.mf is not None
        for worker in self.mf.workers.values():
            for plugin in worker.plugins:
                if isinstance(plugin, D1Plugin):
                    try:
                        plugin.apply_migrations()
                    except MigrationError as exc:
                        log.error("%s (worker %s); fix the migration and save it to apply it again", exc,
                                  worker.name)

    def load_worker(self, roots: set[Path] | None = None) -> list[str] | None:
        """(Re)load every worker, or those whose folder is in ``roots``; the names of those loaded, or None
        if any failed."""
        assert self.mf is not None
        ok = True
        loaded: list[str] = []
        for worker in self.mf.workers.values():
            if roots is not None and worker.config.root not in roots:
                continue
            try:
                worker.runtime.load()
            except WorkerLoadError as exc:
                log.error("%s\n%s", exc, exc.details)
                log.error("The server keeps running; fix the error and save to reload.")
                ok = False
            else:
                loaded.append(worker.name)
        return loaded if ok else None

    def roots_of(self, paths: set[str]) -> set[Path]:
        """The config folders of the workers whose files changed (a shared parent counts for all)."""
        roots = {c.root for c in self.configs}
        hit: set[Path] = set()
        for path in paths:
            resolved = Path(path).resolve()
            hit.update(root for root in roots if resolved.is_relative_to(root))
        return hit

    async def on_change(self, paths: set[str]) -> None:
        try:
            await self.reload(paths)
        finally:
            freeze_heap()

    async def reload(self, paths: set[str]) -> None:
        async with self.lock:
            config_names = {"wrangler.toml", "wrangler.json", "wrangler.jsonc"}
            if any(Path(p).name in config_names or Path(p).name.startswith((".dev.vars", ".env")) for p in paths):
                try:
                    configs = self.load_configs()
                except ConfigError as exc:
                    # Keep the running bindings; code saved in the same batch still reloads below.
                    log.error("config not reloaded: %s", exc)
                else:
                    old = self.mf
                    if old is not None:
                        await old.close()
                    self.configs = configs
                    await self.start_instance(configs, strict=False)
                    log.info("Config changed: reloaded worker and bindings")
                    return
            if any(p.endswith(".sql") for p in paths):
                self.apply_migrations()
                if all(p.endswith(".sql") for p in paths):  # a migration saved: applied, nothing to reload
                    return
            started = time.perf_counter()
            loaded = self.load_worker(self.roots_of(paths))
            if loaded is not None:
                log.info("%s in %.0fms", reloaded_text(loaded, len(self.mf.workers)), (time.perf_counter() - started) * 1000)
                try:
                    self.mf.check_bindings()  # a named entrypoint another worker binds may have gone
                except ConfigError as exc:
                    log.error("%s", exc)

    async def watch(self, stop: asyncio.Event, watching: asyncio.Event) -> None:
        """Reload on each save that changes code or config (see :mod:`pyflare.cli.watch`); a config change
        that moves what is watched (``[build] watch_dir``, ``main``) starts watching the new folders."""
        gate = SaveGate()
        while not stop.is_set():
            plan = watch_plan(self.configs, self.persist_to, migrations=self.migrations_enabled())
            async with contextlib.aclosing(watch_changes(plan, stop, gate=gate, watching=watching)) as saves:
                async for paths in saves:
                    await self.on_change(paths)
                    if watch_plan(self.configs, self.persist_to, migrations=self.migrations_enabled()) != plan:
                        break

    def connection_modes(self) -> dict[tuple[str, str], tuple[str, str]]:
        """The banner rows that connect to other pyflare dev processes: (worker, binding) -> (line, mode)."""
        assert self.mf is not None
        modes: dict[tuple[str, str], tuple[str, str]] = {}
        for worker in self.mf.workers.values():
            for row in banner_rows(worker.config, worker.env):
                if "connected]" in row.mode:
                    shown = f"env.{row.name}" + (f" ({row.resource})" if row.resource else "")
                    prefix = f"{worker.name}: " if len(self.mf.workers) > 1 else ""
                    modes[(worker.name, row.name)] = (f"{prefix}{shown}   {row.kind}", row.mode)
        return modes

    def connections_changed(self) -> None:
        """A worker of another process appeared or went away: print the binding lines whose status changed."""
        now = self.connection_modes()
        for key, (line, mode) in now.items():
            if self.connections.get(key, ("", ""))[1] != mode:
                if self.args.log_format == "json":
                    log.info("%s %s", line, mode)
                else:
                    print(f"{line}   {mode}", file=sys.stderr, flush=True)
        self.connections = now

    def print_banner(self) -> None:
        """What the workers have access to (stderr, before the Ready line; again after a config change)."""
        assert self.mf is not None
        workers = list(self.mf.workers.values())
        for worker in workers:
            if self.args.log_format == "json":
                text = banner_json(worker.config, worker.env, persist_to=self.persist_to)
            else:
                text = "\n".join(banner_lines(worker.config, worker.env, persist_to=self.persist_to, url=self.url,
                                              worker_count=len(workers)))
            print(text, file=sys.stderr, flush=True)

    async def serve(self, sock: socket.socket, ip: str, port: int) -> None:
        import uvicorn

        if self.args.log_format != "json":
            print("\n".join(header_lines()), file=sys.stderr, flush=True)

        self.url = f"http://{f'[{ip}]' if ':' in ip else ip}:{port}"

        class Server(uvicorn.Server):
            # uvicorn re-raises SIGINT/SIGTERM after shutdown (exit status -15); a clean stop exits 0.
            @contextlib.contextmanager
            def capture_signals(self) -> Any:
                yield

        await self.start_instance(self.configs)
        server = Server(uvicorn.Config(
            self.app, interface="asgi3", proxy_headers=False, lifespan="off", access_log=False, log_level="warning", server_header=False,
            date_header=False, timeout_graceful_shutdown=10,
            ws_max_size=MAX_MESSAGE_SIZE,  # Cloudflare's 32 MiB: a bigger message closes with 1009
            **server_options(),  # URL and header limits counted as the bytes arrive (runtime.server)
        ))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, lambda: setattr(server, "should_exit", True))
        # The watcher starts first and the Ready line waits for its file watches, so a save made right
        # after the Ready line is seen.
        watching = asyncio.Event()
        watcher = None if self.args.no_reload else asyncio.create_task(self.watch(stop, watching))
        if watcher is not None:
            await asyncio.wait([asyncio.create_task(watching.wait()), watcher], timeout=5,
                               return_when=asyncio.FIRST_COMPLETED)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        notes: list[Path] = []
        while not server.started and not serving.done():
            await asyncio.sleep(0.005)
        if server.started:
            shown_ip = f"[{ip}]" if ":" in ip else ip
            # pyflare tail finds this server through a note beside each config (written before the Ready
            # line, so a script that waits for it can start a tail at once).
            notes = write_note([c.root for c in self.configs], f"http://{shown_ip}:{port}",
                               [c.name for c in self.configs])
            freeze_heap()
            print(f"Ready on http://{shown_ip}:{port}", file=console_out(), flush=True)
            if not self.args.no_explorer:
                explorer = f"Explorer at http://{shown_ip}:{port}/cdn-cgi/local/explorer"
                if self.args.log_format == "json":
                    log.info(explorer)
                else:  # stderr, with the banner: stdout carries only the Ready line scripts wait for
                    print(explorer, file=sys.stderr, flush=True)
            if self.args.ready_file:
                write_ready_file(Path(self.args.ready_file), f"http://{shown_ip}:{port}")
        try:
            await serving
        finally:
            remove_note(notes)
            stop.set()
            if watcher is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(watcher, 2)
            if self.mf is not None:
                await self.mf.close()
            self.access_log.flush()  # request lines still waiting for the next loop turn


def reloaded_text(names: list[str], worker_count: int) -> str:
    """"Reloaded worker", naming the worker(s) when several run in this process."""
    if worker_count <= 1:
        return "Reloaded worker"
    return f"Reloaded worker{'s' if len(names) > 1 else ''} {', '.join(names)}"


def write_ready_file(path: Path, url: str) -> None:
    """Write the URL atomically, so a script polling for the file never reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(url + "\n", encoding="utf-8")
    partial.replace(path)


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop where it is installed (uvicorn[standard] brings it on Linux and macOS), else
    on asyncio's default loop. uvicorn picks httptools over h11 by itself when httptools is installed."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


def run(args: argparse.Namespace) -> int:
    from pyflare.dependencies.installer import InstallRefused

    set_verbose(args.verbose)
    raised = raise_soft_limit()  # Durable Objects and workflow instances each hold a file while in use
    try:
        server = DevServer(args)  # a bad config fails here, before logging is set up for serving
    except InstallRefused as exc:
        print(f"pyflare: {exc}", file=sys.stderr)
        return 1
    setup_logging(args.log_format)
    if args.verbose:
        from pyflare.objects.layer import open_files_cap

        limit = f"raised from {raised[0]} to {raised[1]}" if raised else f"{soft_limit() or 'unlimited'}"
        log.info("open files limit %s; at most %d Durable Object and workflow instance files open at once",
                 limit, open_files_cap())
    dev = server.config.worker.dev
    ip = args.ip or dev.ip or "127.0.0.1"
    port = args.port if args.port is not None else (dev.port if dev.port is not None else 8787)
    try:
        sock = bind_socket(ip, port)
    except PortInUse as exc:
        print(f"pyflare: {exc}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    terminal_breakpoints()
    if args.debug:
        try:
            listen_for_debugger(args.debug_port)
        except (DebuggerUnavailable, MissingDependency) as exc:
            sock.close()
            print(f"pyflare: {exc}", file=sys.stderr)
            return 1
    ready_file = Path(args.ready_file) if args.ready_file else None
    if ready_file is not None:
        ready_file.unlink(missing_ok=True)  # a file left by an earlier run must not look like "ready"
    try:
        run_event_loop(server.serve(sock, ip, port))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)
    return 0
