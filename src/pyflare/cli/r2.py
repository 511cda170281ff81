"""``pyflare r2 object put|get|delete BUCKET/KEY``: work on a worker's local R2 state.

BUCKET is a ``bucket_name`` from the config (the binding name also works). The worker's code is not
imported; the same storage the dev server uses is opened (stop the server or expect it to see the change).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from typing import Any, BinaryIO

from pyflare.cli.common import add_state_options, run_on_local_state

CHUNK = 1 << 20


def register(subparsers: Any) -> None:
    r2 = subparsers.add_parser("r2", help="work on local R2 buckets")
    r2_sub = r2.add_subparsers(dest="r2_command", metavar="COMMAND")
    obj = r2_sub.add_parser("object", help="put, get or delete one object")
    obj_sub = obj.add_subparsers(dest="object_command", metavar="COMMAND")

    put = obj_sub.add_parser("put", help="store an object from a file or stdin")
    put.add_argument("path", metavar="BUCKET/KEY")
    source = put.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", "-f", help="read the value from this file")
    source.add_argument("--pipe", "-p", action="store_true", help="read the value from stdin")
    put.add_argument("--content-type", "--ct", dest="content_type", help="Content-Type to store")
    put.add_argument("--content-disposition", "--cd", dest="content_disposition")
    put.add_argument("--content-encoding", "--ce", dest="content_encoding")
    put.add_argument("--content-language", "--cl", dest="content_language")
    put.add_argument("--cache-control", "--cc", dest="cache_control")
    _common(put)
    put.set_defaults(handler=_put)

    get = obj_sub.add_parser("get", help="write an object to stdout or a file")
    get.add_argument("path", metavar="BUCKET/KEY")
    get.add_argument("--file", "-f", help="write the value to this file instead of stdout")
    get.add_argument("--pipe", "-p", action="store_true", help="write to stdout (the default)")
    _common(get)
    get.set_defaults(handler=_get)

    delete = obj_sub.add_parser("delete", help="delete an object")
    delete.add_argument("path", metavar="BUCKET/KEY")
    _common(delete)
    delete.set_defaults(handler=_delete)

    for parser in (r2, obj):
        parser.set_defaults(handler=None)


def _common(parser: argparse.ArgumentParser) -> None:
    add_state_options(parser)
    parser.add_argument("--local", action="store_true", help="accepted for wrangler compatibility (always local)")


def _split(path: str) -> tuple[str, str]:
    bucket, sep, key = path.partition("/")
    if not sep or not bucket or not key:
        raise _UsageError(f"expected BUCKET/KEY, got {path!r}")
    return bucket, key


class _UsageError(Exception):
    pass


def _usage(exc: Exception) -> int:
    print(f"pyflare r2: {exc}", file=sys.stderr)
    return 2


def _bucket(mf: Any, name: str) -> Any:
    from pyflare.bindings.r2 import R2Plugin

    try:
        plugin = mf.plugin(R2Plugin)
    except LookupError:
        raise _UsageError("the config has no [[r2_buckets]]") from None
    try:
        return plugin.bucket(name)
    except LookupError as exc:
        raise _UsageError(str(exc)) from None


async def _read(handle: BinaryIO) -> AsyncIterator[bytes]:
    while True:
        chunk = handle.read(CHUNK)
        if not chunk:
            return
        yield chunk


def _run(args: argparse.Namespace, action: Any) -> int:
    from pyflare.bindings.r2.errors import R2Error

    try:
        return run_on_local_state(args, action)
    except _UsageError as exc:
        return _usage(exc)
    except (R2Error, TypeError, ValueError) as exc:
        print(f"pyflare r2: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"pyflare r2: {exc}", file=sys.stderr)
        return 1


def _put(args: argparse.Namespace) -> int:
    try:
        name, key = _split(args.path)
    except _UsageError as exc:
        return _usage(exc)
    http = {
        field: value
        for field, value in (
            ("contentType", args.content_type),
            ("contentDisposition", args.content_disposition),
            ("contentEncoding", args.content_encoding),
            ("contentLanguage", args.content_language),
            ("cacheControl", args.cache_control),
        )
        if value is not None
    }

    async def action(mf: Any) -> int:
        bucket = _bucket(mf, name)
        if args.pipe:
            obj = await bucket.put(key, _read(sys.stdin.buffer), httpMetadata=http)
        else:
            with open(args.file, "rb") as handle:
                obj = await bucket.put(key, _read(handle), httpMetadata=http)
        print(f"Uploaded {name}/{key} ({obj.size} bytes, etag {obj.etag})", file=sys.stderr)
        return 0

    return _run(args, action)


def _get(args: argparse.Namespace) -> int:
    try:
        name, key = _split(args.path)
    except _UsageError as exc:
        return _usage(exc)

    async def action(mf: Any) -> int:
        obj = await _bucket(mf, name).get(key)
        if obj is None:
            print(f"pyflare r2: object {name}/{key} not found", file=sys.stderr)
            return 1
        if args.file:
            with open(args.file, "wb") as handle:
                async for chunk in obj.body:
                    handle.write(chunk)
        else:
            out = sys.stdout.buffer
            async for chunk in obj.body:
                out.write(chunk)
            out.flush()
        return 0

    return _run(args, action)


def _delete(args: argparse.Namespace) -> int:
    try:
        name, key = _split(args.path)
    except _UsageError as exc:
        return _usage(exc)

    async def action(mf: Any) -> int:
        await _bucket(mf, name).delete(key)
        print(f"Deleted {name}/{key}", file=sys.stderr)
        return 0

    return _run(args, action)
