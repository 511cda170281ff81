"""``pyflare kv``: wrangler's ``kv namespace``, ``kv key`` and ``kv bulk`` commands on a worker's local KV state.

The commands open the same persisted state ``pyflare dev`` uses (``.pyflare/state`` beside the config, or
``--persist-to``) and go through the same ``KVNamespace`` objects the worker sees, so every limit and
error text is the binding's. A namespace is chosen by ``--binding`` or ``--namespace-id`` (either may be
left out when the worker has exactly one namespace); an id that is not in the config opens the local
namespace of that id, as ``wrangler kv ... --local --namespace-id`` does.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from pathlib import Path
from typing import Any

from pyflare.cli.common import add_state_options, find_plugin, run_on_local_state

DESCRIPTION = "Manage Workers KV namespaces in local state"
BULK_FORMAT = """\
interface KeyValue {
  key: string;
  value: string;
  expiration?: number;
  expiration_ttl?: number;
  metadata?: object;
  base64?: boolean;
}"""
BULK_KEYS = {"key", "value", "expiration", "expiration_ttl", "metadata", "base64"}
BULK_MAX_MESSAGES = 12  # wrangler lists at most this many bad items


class _Failure(Exception):
    """A user error: printed as one message, exit status ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("kv", help="🗂️  Manage Workers KV namespaces (local)", description=DESCRIPTION)
    kv_commands = parser.add_subparsers(dest="kv_command", metavar="COMMAND")

    namespace = kv_commands.add_parser("namespace", help="Interact with your Workers KV namespaces",
                                       description="Interact with your Workers KV namespaces")
    namespace_commands = namespace.add_subparsers(dest="namespace_command", metavar="COMMAND")
    listing = namespace_commands.add_parser(
        "list", help="Output a list of the worker's KV namespaces (JSON)",
        description="Output a list of the KV namespaces in the worker's config, as JSON (wrangler lists your "
                    "account's; locally the config is the account)")
    add_state_options(listing)
    listing.set_defaults(handler=_namespace_list)

    key = kv_commands.add_parser("key", help="Individually manage Workers KV key-value pairs",
                                 description="Individually manage Workers KV key-value pairs")
    key_commands = key.add_subparsers(dest="key_command", metavar="COMMAND")

    put = key_commands.add_parser("put", help="Write a single key/value pair to the given namespace",
                                  description="Write a single key/value pair to the given namespace")
    put.add_argument("key", help="The key to write to")
    put.add_argument("value", nargs="?", default=None, help="The value to write")
    put.add_argument("--path", default=None, help="Read value from the file at a given path")
    put.add_argument("--ttl", type=int, default=None, help="Time for which the entries should be visible (seconds, "
                                                            "at least 60)")
    put.add_argument("--expiration", type=int, default=None,
                     help="Time since the UNIX epoch after which the entry expires")
    put.add_argument("--metadata", default=None, help="Arbitrary JSON that is associated with a key")
    put.set_defaults(handler=_put)

    get = key_commands.add_parser("get", help="Read a single value by key from the given namespace",
                                  description="Read a single value by key from the given namespace")
    get.add_argument("key", help="The key value to get")
    get.add_argument("--text", action="store_true", help="Decode the returned value as a utf8 string")
    get.set_defaults(handler=_get)

    list_ = key_commands.add_parser("list", help="Output a list of all keys in a given namespace",
                                    description="Output a list of all keys in a given namespace, as JSON")
    list_.add_argument("--prefix", default=None, help="A prefix to filter listed keys")
    list_.set_defaults(handler=_list)

    delete = key_commands.add_parser("delete", help="Remove a single key value pair from the given namespace",
                                     description="Remove a single key value pair from the given namespace")
    delete.add_argument("key", help="The key value to delete")
    delete.set_defaults(handler=_delete)

    bulk = kv_commands.add_parser("bulk", help="Interact with multiple Workers KV key-value pairs at once",
                                  description="Interact with multiple Workers KV key-value pairs at once")
    bulk_commands = bulk.add_subparsers(dest="bulk_command", metavar="COMMAND")
    bulk_put = bulk_commands.add_parser(
        "put", help="Upload multiple key-value pairs to a namespace",
        description="Upload multiple key-value pairs to a namespace, from a JSON file holding an array of\n"
                    + BULK_FORMAT)
    bulk_put.add_argument("filename", help="The file containing the key/value pairs to write")
    bulk_put.set_defaults(handler=_bulk_put)
    bulk_delete = bulk_commands.add_parser(
        "delete", help="Delete multiple key-value pairs from a namespace",
        description="Delete multiple key-value pairs from a namespace; the JSON file holds an array of keys "
                    '(strings, or objects with a "name")')
    bulk_delete.add_argument("filename", help="The file containing the keys to delete")
    bulk_delete.add_argument("--force", "-f", action="store_true", help="Do not ask for confirmation before deleting")
    bulk_delete.set_defaults(handler=_bulk_delete)

    for sub in (put, get, list_, delete, bulk_put, bulk_delete):
        sub.add_argument("--binding", "-b", default=None, help="The binding name of the namespace "
                                                                "(optional if the worker has one)")
        sub.add_argument("--namespace-id", default=None, metavar="ID", help="The id of the namespace")
        sub.add_argument("--preview", action="store_true", help=argparse.SUPPRESS)
        add_state_options(sub)


def _error(message: str, code: int) -> int:
    print(f"✘ [ERROR] {message}", file=sys.stderr)
    return code


def _choose(mf: Any, args: argparse.Namespace) -> Any:
    """The namespace ``--binding`` / ``--namespace-id`` name (or the only one), across the workers of the configs."""
    from pyflare.bindings.kv import KVNamespace, KVPlugin, KVStore
    from pyflare.bindings.kv.constants import PLUGIN

    if args.binding and args.namespace_id:
        raise _Failure("Specify either --binding or --namespace-id, not both", 2)
    if args.namespace_id:
        for worker in mf.workers.values():
            for config in worker.config.worker.kv_namespaces:
                if args.namespace_id in (config.id, config.storage_name):
                    return worker.plugin(KVPlugin).namespace(config.binding)
        store = KVStore(mf.storage.database(PLUGIN, args.namespace_id), mf.clock, 0.0)
        return KVNamespace(store, args.namespace_id)
    if not any(worker.config.worker.kv_namespaces for worker in mf.workers.values()):
        raise _Failure(f"{mf.config.path.name} has no [[kv_namespaces]]; add one or pass --namespace-id", 2)
    what = f'the KV binding "{args.binding}"' if args.binding else "a KV namespace"
    try:
        plugin = find_plugin(mf, KVPlugin, lambda p: p.namespace(args.binding)._store.db.path, what)
        return plugin.namespace(args.binding)
    except LookupError as exc:
        raise _Failure(str(exc).replace("choose one with --binding", "choose one with --binding or --namespace-id"),
                       2) from None


def _run(args: argparse.Namespace, action: Any) -> int:
    """Run ``action(namespace)`` on the local state; binding errors become a message and a status."""
    from pyflare.bindings.kv import KVError

    async def go(mf: Any) -> int:
        try:
            return await action(_choose(mf, args))
        except _Failure as exc:
            return _error(str(exc), exc.code)
        except (KVError, TypeError, ValueError) as exc:
            return _error(str(exc), 1)

    return run_on_local_state(args, go)


def _namespace_list(args: argparse.Namespace) -> int:
    async def go(mf: Any) -> int:
        seen: dict[str, dict[str, Any]] = {}
        for config in (c for worker in mf.workers.values() for c in worker.config.worker.kv_namespaces):
            entry = seen.setdefault(config.storage_name, {"id": config.storage_name, "title": config.binding,
                                                          "supports_url_encoding": True})
            if entry["title"] != config.binding:
                entry["title"] += f", {config.binding}"
        print(json.dumps(list(seen.values()), indent=2))
        return 0

    return run_on_local_state(args, go)


def _put(args: argparse.Namespace) -> int:
    if (args.value is None) == (args.path is None):
        return _error("Exactly one of the arguments value and path is required", 2)
    if args.path is not None:
        try:
            value: str | bytes = Path(args.path).read_bytes()
        except OSError as exc:
            return _error(f"Cannot read {args.path}: {exc.strerror}", 1)
    else:
        value = args.value
    metadata = None
    if args.metadata is not None:
        try:
            metadata = json.loads(args.metadata)
        except ValueError as exc:
            return _error(f"--metadata is not valid JSON: {exc}", 2)

    async def action(namespace: Any) -> int:
        await namespace.put(args.key, value, _given(expiration=args.expiration, expirationTtl=args.ttl,
                                                   metadata=metadata))
        print(
            f'Writing the value {_describe(value)} to key "{args.key}" on binding {namespace.binding}.',
            file=sys.stderr,
        )
        return 0

    return _run(args, action)


def _given(**options: Any) -> dict[str, Any]:
    """The put() options the command line gave (an option passed as None would be JavaScript's null)."""
    return {name: value for name, value in options.items() if value is not None}


def _describe(value: str | bytes) -> str:
    return f'"{value}"' if isinstance(value, str) and len(value) <= 60 else f"({len(value)} bytes)"


def _get(args: argparse.Namespace) -> int:
    async def action(namespace: Any) -> int:
        found = await namespace.get(args.key, "arrayBuffer")
        if found is None:
            print("Value not found", file=sys.stderr)
            return 1
        value = bytes(found)
        sys.stdout.flush()
        if args.text:
            sys.stdout.write(value.decode("utf-8", "replace"))
        else:
            sys.stdout.buffer.write(value)
        if sys.stdout.isatty() and not value.endswith(b"\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
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


# -- bulk ----------------------------------------------------------------------------------------
def _read_json(filename: str) -> Any:
    try:
        return json.loads(Path(filename).read_text(encoding="utf-8"))
    except OSError as exc:
        raise _Failure(f'Cannot read "{filename}": {exc.strerror}') from None
    except ValueError as exc:
        raise _Failure(f'"{filename}" is not valid JSON: {exc}') from None


def _js_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"  # arrays, objects and null, as JavaScript's typeof says


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_key_value(item: Any) -> bool:
    return (isinstance(item, dict) and isinstance(item.get("key"), str) and isinstance(item.get("value"), str)
            and (item.get("expiration") is None or _is_number(item["expiration"]))
            and (item.get("expiration_ttl") is None or _is_number(item["expiration_ttl"]))
            and (item.get("base64") is None or isinstance(item["base64"], bool))
            and (item.get("metadata") is None or isinstance(item["metadata"], dict)))


def _capped(lines: list[str]) -> list[str]:
    return lines[:BULK_MAX_MESSAGES] + (["..."] if len(lines) > BULK_MAX_MESSAGES else [])


def parse_bulk_put(filename: str) -> list[dict[str, Any]]:
    """The key-value objects of a ``kv bulk put`` file, checked as wrangler checks them."""
    content = _read_json(filename)
    if not isinstance(content, list):
        raise _Failure(f'Unexpected JSON input from "{filename}".\n'
                       f'Expected an array of key-value objects but got type "{_js_type(content)}".')
    errors, warnings = [], []
    for index, item in enumerate(content):
        if not _is_key_value(item):
            errors.append(f"The item at index {index} is {json.dumps(item, separators=(',', ':'))}")
        elif set(item) - BULK_KEYS:
            unexpected = json.dumps(sorted(set(item) - BULK_KEYS), separators=(",", ":"))
            warnings.append(f"The item at index {index} contains unexpected properties: {unexpected}.")
    if warnings:
        print(f'▲ [WARNING] Unexpected key-value properties in "{filename}".\n' + "\n".join(_capped(warnings)),
              file=sys.stderr)
    if errors:
        raise _Failure(f'Unexpected JSON input from "{filename}".\n'
                       f"Each item in the array should be an object that matches:\n\n{BULK_FORMAT}\n\n"
                       + "\n".join(_capped(errors)))
    return content


def _bulk_put(args: argparse.Namespace) -> int:
    try:
        items = parse_bulk_put(args.filename)
    except _Failure as exc:
        return _error(str(exc), exc.code)
    values: list[str | bytes] = []
    for index, item in enumerate(items):
        if item.get("base64"):
            try:
                values.append(base64.b64decode(item["value"], validate=True))
            except (binascii.Error, ValueError):
                return _error(f'Unexpected JSON input from "{args.filename}".\n'
                              f"The item at index {index} has base64: true but its value is not valid base64", 1)
        else:
            values.append(item["value"])

    async def action(namespace: Any) -> int:
        for item, value in zip(items, values, strict=True):
            await namespace.put(item["key"], value, _given(expiration=item.get("expiration"),
                                                           expirationTtl=item.get("expiration_ttl"),
                                                           metadata=item.get("metadata")))
        print("Success!")
        return 0

    return _run(args, action)


def parse_bulk_delete(filename: str) -> list[str]:
    """The keys of a ``kv bulk delete`` file: strings, or objects with a string ``name``."""
    content = _read_json(filename)
    if not isinstance(content, list):
        raise _Failure(f'Unexpected JSON input from "{filename}".\nExpected an array of strings but got:\n'
                       f"{json.dumps(content)}")
    keys, errors = [], []
    for index, item in enumerate(content):
        key = item.get("name") if isinstance(item, dict) else item
        if not isinstance(key, str):
            errors.append(f'The item at index {index} is type: "{_js_type(item)}" - '
                          f"{json.dumps(item, separators=(',', ':'))}")
        keys.append(key)
    if errors:
        raise _Failure(f'Unexpected JSON input from "{filename}".\n'
                       f'Expected an array of strings or objects with a "name" key.\n' + "\n".join(errors))
    return keys


def _bulk_delete(args: argparse.Namespace) -> int:
    try:
        keys = parse_bulk_delete(args.filename)
    except _Failure as exc:
        return _error(str(exc), exc.code)

    async def action(namespace: Any) -> int:
        if not args.force and sys.stdin.isatty():
            answer = input(f'Are you sure you want to delete all the keys read from "{args.filename}" from '
                           f'kv-namespace with id "{namespace.binding}"? (y/N) ')
            if answer.strip().lower() not in ("y", "yes"):
                print(f'Not deleting keys read from "{args.filename}".')
                return 0
        for key in keys:
            await namespace.delete(key)
        print("Success!")
        return 0

    return _run(args, action)
