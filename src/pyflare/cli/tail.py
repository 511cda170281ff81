"""``pyflare tail``: the live events of a running ``pyflare dev``, as ``wrangler tail`` shows a deployed worker's.

It finds the dev server through the note ``pyflare dev`` leaves beside each config while it runs
(``.pyflare/dev-server.json``: its URL and process), or takes ``--url``; attaches to its
``/cdn-cgi/local/observability/tail`` endpoint with wrangler's filters; and prints each event as wrangler
does (``--format pretty``) or as the JSON trace item (``--format json``, the default when stdout is not a
terminal). If the server goes away (a restart), it reconnects with wrangler's backoff.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from pyflare.config import ConfigError, load_config
from pyflare.observability.tail import FilterError, api_filters, pretty_lines

DEV_SERVER_NOTE = Path(".pyflare") / "dev-server.json"
TAIL_PATH = "/cdn-cgi/local/observability/tail"
RECONNECT_BACKOFF = (1, 2, 4, 8, 16)  # seconds, as wrangler tail's reconnects

DESCRIPTION = """\
Start a log tailing session for a Worker running under pyflare dev.

Each event the worker runs (requests, cron runs, queue batches, alarms, RPC calls...) prints as it finishes,
with what it logged and any uncaught exception. The dev server is found through the note pyflare dev leaves
beside the config, or given with --url."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("tail", help="🦚 Start a log tailing session for a Worker", description=DESCRIPTION)
    parser.add_argument("worker", nargs="?", default=None,
                        help="Name of the worker to tail (default: the config's worker; every worker with --url "
                             "and no config)")
    parser.add_argument("--config", "-c", action="append", default=None, metavar="FILE",
                        help="Path to the worker's wrangler config (repeat for several workers of one pyflare dev)")
    parser.add_argument("--env", "-e", default=None, metavar="NAME", help="Environment of the config")
    parser.add_argument("--url", default=None,
                        help="The address of the pyflare dev to attach to (default: found beside the config)")
    parser.add_argument("--format", choices=("json", "pretty"), default=None,
                        help="The format of log entries (default: pretty on a terminal, else json)")
    parser.add_argument("--status", choices=("ok", "error", "canceled"), action="extend", nargs="+", default=None,
                        help="Filter by invocation status")
    parser.add_argument("--header", default=None, help="Filter by HTTP header (NAME or NAME:VALUE)")
    parser.add_argument("--method", action="extend", nargs="+", default=None, help="Filter by HTTP method")
    parser.add_argument("--sampling-rate", type=float, default=None,
                        help="Adds a percentage of requests to log sampling rate")
    parser.add_argument("--search", default=None, help="Filter by a text match in console.log messages")
    parser.add_argument("--ip", action="extend", nargs="+", default=None,
                        help='Filter by the IP address the request originates from. Use "self" to filter for '
                             "your own IP")
    parser.set_defaults(handler=run)


class TailError(Exception):
    """Why the tail could not start or stopped (printed as ``pyflare: ...``, exit status 1)."""


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def read_note(root: Path) -> dict[str, Any] | None:
    """The running ``pyflare dev`` a config's folder names, or None (no note, or its process is gone)."""
    try:
        note = json.loads((root / DEV_SERVER_NOTE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(note, dict) or not isinstance(note.get("url"), str) or not _alive(note.get("pid")):
        return None
    return note


def write_note(roots: list[Path], url: str, workers: list[str]) -> list[Path]:
    """``pyflare dev``: say where it listens, beside every config (atomically); the paths written."""
    text = json.dumps({"url": url, "pid": os.getpid(), "workers": workers}, indent=2) + "\n"
    written = []
    for root in dict.fromkeys(roots):
        path = root / DEV_SERVER_NOTE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
            partial.write_text(text, encoding="utf-8")
            partial.replace(path)
        except OSError:  # a read-only project folder: pyflare tail then needs --url
            continue
        written.append(path)
    return written


def remove_note(paths: list[Path]) -> None:
    """``pyflare dev`` stopping: remove the notes that still name this process."""
    for path in paths:
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
                path.unlink()
        except (OSError, ValueError, AttributeError):
            pass


def target(args: argparse.Namespace) -> tuple[str, list[str] | None]:
    """The dev server's URL and the workers to follow (None: every worker it runs)."""
    configs = []
    for path in args.config or [None]:
        try:
            configs.append(load_config(path, environment=args.env, require_main=False))
        except ConfigError:
            if path is not None or args.url is None:
                raise
    workers = [args.worker] if args.worker else ([c.name for c in configs] or None)
    if args.url:
        return args.url.rstrip("/"), workers
    for config in configs:
        note = read_note(config.root)
        if note is not None:
            return note["url"].rstrip("/"), workers
    where = ", ".join(str(c.root / DEV_SERVER_NOTE) for c in configs)
    raise TailError(f"no pyflare dev is running for {', '.join(c.name for c in configs)} (no live note at {where}); "
                    "start it with `pyflare dev`, or pass --url http://127.0.0.1:8787")


def run(args: argparse.Namespace) -> int:
    fmt = args.format or ("pretty" if sys.stdout.isatty() else "json")
    try:
        filters = api_filters(status=args.status, header=args.header, method=args.method, search=args.search,
                              sampling_rate=args.sampling_rate, client_ip=args.ip)
        url, workers = target(args)
        follow(url, workers, filters, fmt)
    except (TailError, FilterError) as exc:
        print(f"pyflare: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping tail...", file=sys.stderr)
    return 0


def follow(url: str, workers: list[str] | None, filters: list[dict[str, Any]], fmt: str) -> None:
    """Print events until interrupted; reconnect (1, 2, 4, 8, 16 s apart) while the server is away."""
    import httpx

    attempt = 0
    connected_once = False
    shown = ", ".join(workers) if workers else url
    while True:
        try:
            with httpx.Client(timeout=httpx.Timeout(10.0, read=None)) as client, client.stream(
                    "POST", url + TAIL_PATH, json={"workers": workers, "filters": filters}) as response:
                if response.status_code == 404 and not response.read().startswith(b"{"):
                    raise TailError(f"{url} serves no traces: that pyflare dev runs with --no-traces (or "
                                    "[pyflare] traces = false); restart it without")
                if response.status_code != 200:
                    raise TailError(_error_text(response))
                for line in response.iter_lines():
                    if not line.strip():
                        continue
                    message = json.loads(line)
                    if "connected" in message:
                        names = ", ".join(message["connected"])
                        if fmt == "pretty":
                            print(f"{'Reconnected to' if connected_once else 'Connected to'} {names}"
                                  f"{'.' if connected_once else ', waiting for logs...'}", flush=True)
                        connected_once, attempt = True, 0
                        continue
                    show(message, fmt, several=workers is None or len(workers) > 1)
        except httpx.TransportError as exc:
            if not connected_once:
                raise TailError(f"cannot reach pyflare dev at {url}: {exc}") from None
        if attempt >= len(RECONNECT_BACKOFF):
            raise TailError(f"Connection to {shown} closed unexpectedly.")
        time.sleep(RECONNECT_BACKOFF[attempt])
        attempt += 1


def show(item: dict[str, Any], fmt: str, *, several: bool = False) -> None:
    if fmt == "json":
        print(json.dumps(item, indent=4), flush=True)
        return
    out, err = pretty_lines(item, worker_prefix=several)
    print("\n".join(out), flush=True)
    for line in err:
        print(line, file=sys.stderr, flush=True)


def _error_text(response: Any) -> str:
    try:
        return str(json.loads(response.read()).get("error"))
    except (ValueError, AttributeError):
        return f"{response.status_code} {response.read().decode(errors='replace')[:200]}"
