"""``pyflare r2 object put|get|delete BUCKET/KEY`` and ``pyflare r2 bucket list``: a worker's local R2 state.

BUCKET is a ``bucket_name`` from the config (the binding name also works). The worker's code is not
imported; the same storage the dev server uses is opened (stop the server or expect it to see the change).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from typing import Any, BinaryIO

from pyflare.cli.common import add_state_options, find_plugin, run_on_local_state

CHUNK = 1 << 20


def register(subparsers: Any) -> None:
    r2 = subparsers.add_parser("r2", help="📦 Manage R2 buckets & objects (local)",
                               description="Manage R2 buckets & objects in local state")
    r2_sub = r2.add_subparsers(dest="r2_command", metavar="COMMAND")
    obj = r2_sub.add_parser("object", help="Manage R2 objects", description="Manage R2 objects")
    obj_sub = obj.add_subparsers(dest="object_command", metavar="COMMAND")

    put = obj_sub.add_parser("put", help="Create an object in an R2 bucket",
                             description="Create an object in an R2 bucket")
    put.add_argument("path", metavar="OBJECTPATH", help="The destination object path in the form of {bucket}/{key}")
    source = put.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", "-f", help="The path of the file to upload")
    source.add_argument("--pipe", "-p", action="store_true", help="Enables the file to be piped in, rather than "
                                                                  "specified with the --file option")
    put.add_argument("--content-type", "--ct", dest="content_type",
                     help="A standard MIME type describing the format of the object data")
    put.add_argument("--content-disposition", "--cd", dest="content_disposition",
                     help="Specifies presentational information for the object")
    put.add_argument("--content-encoding", "--ce", dest="content_encoding",
                     help="Specifies what content encodings have been applied to the object and thus what "
                          "decoding mechanisms must be applied to obtain the media-type referenced by the "
                          "Content-Type header field")
    put.add_argument("--content-language", "--cl", dest="content_language",
                     help="The language the content is in")
    put.add_argument("--cache-control", "--cc", dest="cache_control",
                     help="Specifies caching behavior along the request/reply chain")
    add_state_options(put)
    put.set_defaults(handler=_put)

    get = obj_sub.add_parser("get", help="Fetch an object from an R2 bucket",
                             description="Fetch an object from an R2 bucket")
    get.add_argument("path", metavar="OBJECTPATH", help="The source object path in the form of {bucket}/{key}")
    get.add_argument("--file", "-f", help="The destination file to create")
    get.add_argument("--pipe", "-p", action="store_true", help="Enables the file to be piped to a destination, "
                                                               "rather than specified with the --file option")
    add_state_options(get)
    get.set_defaults(handler=_get)

    delete = obj_sub.add_parser("delete", help="Delete an object in an R2 bucket",
                                description="Delete an object in an R2 bucket")
    delete.add_argument("path", metavar="OBJECTPATH", help="The destination object path in the form of {bucket}/{key}")
    add_state_options(delete)
    delete.set_defaults(handler=_delete)

    bucket = r2_sub.add_parser("bucket", help="Manage R2 buckets", description="Manage R2 buckets")
    bucket_sub = bucket.add_subparsers(dest="bucket_command", metavar="COMMAND")
    listing = bucket_sub.add_parser("list", help="List R2 buckets",
                                    description="List the R2 buckets of the worker's config (locally the config "
                                                "is the account)")
    add_state_options(listing)
    listing.set_defaults(handler=_bucket_list)


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

    if not any(worker.config.worker.r2_buckets for worker in mf.workers.values()):
        raise _UsageError("the config has no [[r2_buckets]]")
    try:
        return find_plugin(mf, R2Plugin, lambda p: p.bucket(name).bucket_name, f'the R2 bucket "{name}"').bucket(name)
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


def _bucket_list(args: argparse.Namespace) -> int:
    """wrangler's listing: a name and creation date per bucket (here: the bindings instead of a date)."""

    async def action(mf: Any) -> int:
        buckets: dict[str, list[str]] = {}
        for config in (c for worker in mf.workers.values() for c in worker.config.worker.r2_buckets):
            buckets.setdefault(config.storage_name, []).append(config.binding)
        blocks = [f"name:           {name}\nbindings:       {', '.join(bindings)}" for name, bindings in buckets.items()]
        print("\n\n".join(blocks) if blocks else "No buckets found.")
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
