"""``pyflare kv key put|get|list|delete``: read and edit a worker's local KV state, as ``wrangler kv key`` does.

The commands open the same persisted state ``pyflare dev`` uses (``.pyflare/state`` beside the config, or
``--persist-to``) and go through the same ``KVNamespace`` objects the worker sees, so every limit and
error text is the binding's. ``--binding`` may be left out when the worker has exactly one namespace.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pyflare.cli.common import add_state_options, run_on_local_state


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("kv", help="work on local KV namespaces", description=__doc__)
    kv_commands = parser.add_subparsers(dest="kv_command", metavar="COMMAND")
    key = kv_commands.add_parser("key", help="put, get, list or delete keys")
    key_commands = key.add_subparsers(dest="key_command", metavar="COMMAND")

    put = key_commands.add_parser("put", help="store a value")
    put.add_argument("key")
    put.add_argument("value", nargs="?", default=None, help="the value (or use --path)")
    put.add_argument("--path", default=None, help="read the value from this file")
    put.add_argument("--ttl", type=int, default=None, help="expire after this many seconds (at least 60)")
    put.add_argument(
        "--expiration", type=int, default=None, help="expire at this time (seconds since the epoch)"
    )
    put.add_argument("--metadata", default=None, help="metadata as JSON")
    put.set_defaults(handler=_put)

    get = key_commands.add_parser("get", help="print a value")
    get.add_argument("key")
    get.set_defaults(handler=_get)

    list_ = key_commands.add_parser("list", help="list keys as JSON")
    list_.add_argument("--prefix", default=None, help="only keys starting with this")
    list_.set_defaults(handler=_list)

    delete = key_commands.add_parser("delete", help="delete a key")
    delete.add_argument("key")
    delete.set_defaults(handler=_delete)

    for sub in (put, get, list_, delete):
        sub.add_argument(
            "--binding", "-b", default=None, help="the namespace's binding name (optional if only one)"
        )
        add_state_options(sub)

    def usage(args: argparse.Namespace) -> int:
        (key if args.kv_command == "key" else parser).print_help()
        return 2

    parser.set_defaults(handler=usage)
    key.set_defaults(handler=usage)


def _run(args: argparse.Namespace, action: Any) -> int:
    """Run ``action(namespace)`` on the local state; binding errors become a message and a status."""
    from pyflare.bindings.kv import KVError, KVPlugin

    async def go(mf: Any) -> int:
        try:
            plugin = mf.plugin(KVPlugin)
        except LookupError:
            print("pyflare: this worker's config has no [[kv_namespaces]]", file=sys.stderr)
            return 2
        try:
            namespace = plugin.namespace(args.binding)
        except LookupError as exc:
            print(f"pyflare: {exc}", file=sys.stderr)
            return 2
        try:
            return await action(namespace)
        except (KVError, TypeError, ValueError) as exc:
            print(f"pyflare: {exc}", file=sys.stderr)
            return 1

    return run_on_local_state(args, go)


def _put(args: argparse.Namespace) -> int:
    if (args.value is None) == (args.path is None):
        print("pyflare: give a VALUE or --path FILE (one of them)", file=sys.stderr)
        return 2
    if args.path is not None:
        with open(args.path, "rb") as handle:
            value: str | bytes = handle.read()
    else:
        value = args.value
    metadata = None
    if args.metadata is not None:
        try:
            metadata = json.loads(args.metadata)
        except ValueError as exc:
            print(f"pyflare: --metadata is not valid JSON: {exc}", file=sys.stderr)
            return 2

    async def action(namespace: Any) -> int:
        await namespace.put(
            args.key, value, expiration=args.expiration, expirationTtl=args.ttl, metadata=metadata
        )
        print(
            f'Writing the value {_describe(value)} to key "{args.key}" on binding {namespace.binding}.',
            file=sys.stderr,
        )
        return 0

    return _run(args, action)


def _describe(value: str | bytes) -> str:
    return f'"{value}"' if isinstance(value, str) and len(value) <= 60 else f"({len(value)} bytes)"


def _get(args: argparse.Namespace) -> int:
    async def action(namespace: Any) -> int:
        value = await namespace.get(args.key, "arrayBuffer")
        if value is None:
            print("Value not found", file=sys.stderr)
            return 1
        sys.stdout.flush()
        sys.stdout.buffer.write(value)
        if sys.stdout.isatty() and not value.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
        sys.stdout.buffer.flush()
        return 0

    return _run(args, action)


def _list(args: argparse.Namespace) -> int:
    async def action(namespace: Any) -> int:
        keys: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = await namespace.list(prefix=args.prefix, cursor=cursor)
            keys.extend(dict(key) for key in page["keys"])
            if page["list_complete"]:
                break
            cursor = page["cursor"]
        print(json.dumps(keys, indent=2, ensure_ascii=False))
        return 0

    return _run(args, action)


def _delete(args: argparse.Namespace) -> int:
    async def action(namespace: Any) -> int:
        await namespace.delete(args.key)
        print(f'Deleting the key "{args.key}" on binding {namespace.binding}.', file=sys.stderr)
        return 0

    return _run(args, action)
