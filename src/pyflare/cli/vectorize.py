"""``pyflare vectorize``: wrangler's ``vectorize`` commands on the local Vectorize indexes of a worker's state.

Commands, flags and output follow ``wrangler vectorize`` (packages/wrangler/src/vectorize/): ``create``,
``list``, ``get``, ``info``, ``delete``, ``insert``/``upsert`` (an NDJSON file), ``query``, ``get-vectors``,
``delete-vectors``, ``list-vectors``, ``create-metadata-index``, ``list-metadata-index``,
``delete-metadata-index``. They open the same persisted state ``pyflare dev`` uses (``.pyflare/state`` beside
the config, or ``--persist-to``) and go through the same stores and checks the binding uses; inserts take
the HTTP API's batches (up to 5000 vectors) as wrangler's do.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pyflare.cli.common import add_state_options, run_on_local_state

DESCRIPTION = "Manage Vectorize indexes in local state"
DEFAULT_INSERT_BATCH = 1000  # wrangler's VECTORIZE_UPSERT_BATCH_SIZE (insert); upsert defaults to the maximum


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("vectorize", help="🧮 Manage Vectorize indexes (local)", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="vectorize_command", metavar="COMMAND")

    def command(name: str, help_text: str, handler: Any, *, json_flag: bool = False) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("name", help="The name of the Vectorize index")
        if json_flag:
            sub.add_argument("--json", action="store_true", help="Return output as JSON")
        add_state_options(sub)
        sub.set_defaults(handler=handler)
        return sub

    create = command("create", "Create a Vectorize index", _create, json_flag=True)
    create.add_argument("--dimensions", type=int, default=None, help="The dimension size to configure this index "
                        "for, based on the output dimensions of your ML model")
    create.add_argument("--metric", default=None, choices=["euclidean", "cosine", "dot-product"],
                        help="The distance metric to use for searching within the index")
    create.add_argument("--preset", default=None, help="The name of a preset representing an embeddings model: "
                        "the dimensions and distance metric are set for you")
    create.add_argument("--description", default=None, help="An optional description for this index")

    listing = commands.add_parser("list", help="List your Vectorize indexes", description="List your Vectorize indexes")
    listing.add_argument("--json", action="store_true", help="Return output as JSON")
    add_state_options(listing)
    listing.set_defaults(handler=_list)

    command("get", "Get a Vectorize index by name", _get, json_flag=True)
    command("info", "Get additional details about the index", _info, json_flag=True)
    delete = command("delete", "Delete a Vectorize index", _delete)
    delete.add_argument("--force", "-y", action="store_true", help="Skip confirmation")

    for name, verb in (("insert", "Insert"), ("upsert", "Upsert")):
        sub = command(name, f"{verb} vectors into a Vectorize index", _insert if name == "insert" else _upsert,
                      json_flag=True)
        sub.add_argument("--file", required=True, help="A file containing line separated json (ndjson) vector objects")
        sub.add_argument("--batch-size", type=int, default=DEFAULT_INSERT_BATCH if name == "insert" else 5000,
                         help="Number of vector records to include in a single batch")

    query = command("query", "Query a Vectorize index", _query)
    query.add_argument("--vector", type=float, nargs="+", default=None, help="Vector to query the Vectorize Index")
    query.add_argument("--vector-id", default=None, help="Identifier for a vector in the index against which the "
                       "index should be queried")
    query.add_argument("--top-k", type=int, default=5, help="The number of results (nearest neighbors) to return")
    query.add_argument("--return-values", action="store_true", help="Specify if the vector values should be "
                       "included in the results")
    query.add_argument("--return-metadata", default="none", choices=["all", "indexed", "none"],
                       help="Specify if the vector metadata should be included in the results")
    query.add_argument("--namespace", default=None, help="Filter the query results based on this namespace")
    query.add_argument("--filter", default=None, help="Filter the query results based on this metadata filter "
                       '(JSON), e.g. \'{"p1": "abc", "p2": {"$ne": true}}\'')

    get_vectors = command("get-vectors", "Get vectors from a Vectorize index", _get_vectors)
    get_vectors.add_argument("--ids", nargs="+", required=True, help="Vector identifiers to be fetched")
    delete_vectors = command("delete-vectors", "Delete vectors in a Vectorize index", _delete_vectors)
    delete_vectors.add_argument("--ids", nargs="+", required=True, help="Vector identifiers to be deleted")

    list_vectors = command("list-vectors", "List vector identifiers in a Vectorize index", _list_vectors,
                           json_flag=True)
    list_vectors.add_argument("--count", type=int, default=None, help="Maximum number of vectors to return (1-1000)")
    list_vectors.add_argument("--cursor", default=None, help="Cursor for pagination to get the next page of results")

    create_mi = command("create-metadata-index", "Enable metadata filtering on the specified property",
                        _create_metadata_index)
    create_mi.add_argument("--property-name", "--propertyName", dest="property_name", required=True,
                           help="The name of the metadata property to index")
    create_mi.add_argument("--type", required=True, choices=["string", "number", "boolean"],
                           help="The type of metadata property to index")
    command("list-metadata-index", "List metadata properties on which metadata filtering is enabled",
            _list_metadata_index, json_flag=True)
    delete_mi = command("delete-metadata-index", "Delete metadata indexes", _delete_metadata_index)
    delete_mi.add_argument("--property-name", "--propertyName", dest="property_name", required=True,
                           help="The name of the metadata property to index")


# -- plumbing --------------------------------------------------------------------------------------
class _Failure(Exception):
    """A user error: printed as one message, exit status ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _error(message: str, code: int = 1) -> int:
    print(f"✘ [ERROR] {message}", file=sys.stderr)
    return code


def _warn(message: str) -> None:
    print(f"▲ [WARNING] {message}", file=sys.stderr)


def _run(args: argparse.Namespace, action: Any) -> int:
    """Run ``action(catalog)`` on the local state; Vectorize's refusals become a message and a status."""
    from pyflare.bindings.vectorize import catalog_for
    from pyflare.bindings.vectorize.errors import VectorizeApiError, VectorizeError

    async def go(mf: Any) -> int:
        try:
            return await action(catalog_for(mf.platform))
        except _Failure as exc:
            return _error(str(exc), exc.code)
        except (VectorizeApiError, VectorizeError, TypeError, ValueError) as exc:
            return _error(str(exc), 1)

    return run_on_local_state(args, go)


def _table(rows: list[dict[str, Any]]) -> str:
    from pyflare.cli.d1 import format_table

    columns = list(rows[0])
    return format_table(columns, [[row[c] for c in columns] for row in rows])


async def _index_json(store: Any) -> dict[str, Any]:
    info = await store.info()
    return {"created_on": info["created_on"], "modified_on": info["modified_on"], "name": info["name"],
            "description": info["description"] or "",
            "config": {"dimensions": info["dimensions"], "metric": info["metric"]}}


async def _index_row(store: Any) -> dict[str, Any]:
    index = await _index_json(store)
    return {"name": index["name"], "dimensions": str(index["config"]["dimensions"]),
            "metric": index["config"]["metric"], "description": index["description"],
            "created": index["created_on"], "modified": index["modified_on"]}


# -- indexes ---------------------------------------------------------------------------------------
def _create(args: argparse.Namespace) -> int:
    from pyflare.bindings.vectorize import validation

    async def action(catalog: Any) -> int:
        name = validation.index_name(args.name)
        dimensions, metric = validation.index_config(args.dimensions, args.metric, args.preset)
        if not args.json:
            if args.preset:
                print(f"Configuring index based for the embedding model {args.preset}.")
            print(f"🚧 Creating index: '{name}'")
        store = catalog.create(name, dimensions, metric, args.description)
        if args.json:
            print(json.dumps(await _index_json(store), indent=2))
            return 0
        print(f"✅ Successfully created a new Vectorize index: '{name}'")
        print("To access your new Vectorize Index in your Worker, add the following snippet to your configuration "
              f'file:\n\n[[vectorize]]\nbinding = "VECTORIZE"\nindex_name = "{name}"')
        return 0

    return _run(args, action)


def _list(args: argparse.Namespace) -> int:
    async def action(catalog: Any) -> int:
        if not args.json:
            print("📋 Listing Vectorize indexes...")
        stores = [catalog.require(name) for name in catalog.names()]
        if args.json:
            print(json.dumps([await _index_json(s) for s in stores], indent=2))
            return 0
        if not stores:
            _warn("You haven't created any indexes in local state.\n\nUse 'pyflare vectorize create <name>' to "
                  "create one, or declare one in the config: [pyflare.vectorize.<name>].")
            return 0
        print(_table([await _index_row(s) for s in stores]))
        return 0

    return _run(args, action)


def _get(args: argparse.Namespace) -> int:
    async def action(catalog: Any) -> int:
        store = catalog.require(args.name)
        print(json.dumps(await _index_json(store), indent=2) if args.json else _table([await _index_row(store)]))
        return 0

    return _run(args, action)


def _info(args: argparse.Namespace) -> int:
    async def action(catalog: Any) -> int:
        if not args.json:
            print("📋 Fetching index info...")
        info = await catalog.require(args.name).info()
        details = {"dimensions": info["dimensions"], "vectorCount": info["vector_count"],
                   "processedUpToMutation": info["processed_mutation"],
                   "processedUpToDatetime": info["processed_at"]}
        if args.json:
            print(json.dumps(details, indent=2))
        else:
            print(_table([{k: "" if v is None else str(v) for k, v in details.items()}]))
        return 0

    return _run(args, action)


def _delete(args: argparse.Namespace) -> int:
    async def action(catalog: Any) -> int:
        print(f"Deleting Vectorize index {args.name}")
        catalog.require(args.name)
        if not args.force and sys.stdin.isatty():
            answer = input(f"OK to delete the index '{args.name}'? (y/N) ")
            if answer.strip().lower() not in ("y", "yes"):
                print("Deletion cancelled.")
                return 0
        catalog.delete(args.name)
        print(f"✅ Deleted index {args.name}")
        return 0

    return _run(args, action)


# -- vectors ---------------------------------------------------------------------------------------
def _read_batches(path: str, batch_size: int) -> list[list[Any]]:
    """The NDJSON file's vectors in batches; blank lines are skipped, a bad line is an error naming it."""
    file = Path(path)
    if not file.is_file() or file.stat().st_size == 0:
        raise _Failure(f"🚨 Cannot read invalid or empty file: {path}.")
    items: list[Any] = []
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except ValueError as exc:
                raise _Failure(f"{path}:{number}: not a JSON vector object ({exc})") from None
    return [items[start : start + batch_size] for start in range(0, len(items), batch_size)]


def _write_file(args: argparse.Namespace, kind: str) -> int:
    from pyflare.bindings.vectorize import constants, validation

    noun = "insertion" if kind == "insert" else "upsertion"
    if args.batch_size > constants.MAX_BATCH_HTTP:
        return _error(f"🚨 The global rate limit for the Cloudflare API is 1200 requests per five minutes. Vectorize "
                      f"indexes currently limit upload batches to {constants.MAX_BATCH_HTTP} records at a time to "
                      "stay within the service limits.")
    if args.batch_size < 1:
        return _error("--batch-size must be at least 1", 2)

    async def action(catalog: Any) -> int:
        store = catalog.require(args.name)
        batches = _read_batches(args.file, args.batch_size)
        count = 0
        for batch in batches:
            vectors = validation.check_vectors(kind, batch, store.dimensions, max_batch=constants.MAX_BATCH_HTTP)
            mutation = await store.write(kind, vectors)
            count += len(batch)
            if not args.json:
                print(f"✨ Enqueued {len(batch)} vectors into index '{args.name}' for {noun}. Mutation changeset "
                      f"identifier: {mutation}")
        if args.json:
            print(json.dumps({"index": args.name, "count": count}, indent=2))
        else:
            print(f"✅ Successfully enqueued {count} vectors into index '{args.name}' for {noun}.")
        return 0

    return _run(args, action)


def _insert(args: argparse.Namespace) -> int:
    return _write_file(args, "insert")


def _upsert(args: argparse.Namespace) -> int:
    return _write_file(args, "upsert")


def _binding(catalog: Any, name: str) -> Any:
    """A binding object over the index, so the CLI's queries take the worker's path exactly."""
    from pyflare.bindings.vectorize import VectorizeIndex

    store = catalog.require(name)
    return VectorizeIndex(lambda: store, "CLI", name)


def _query(args: argparse.Namespace) -> int:
    if (args.vector is None) == (args.vector_id is None):
        return _error("🚨 Either vector or vector-id parameter must be provided, but not both.", 2)
    flt = None
    if args.filter is not None:
        try:
            flt = json.loads(args.filter)
        except ValueError:
            _warn("🚨 Invalid query filter. Please use the recommended format.")

    async def action(catalog: Any) -> int:
        index = _binding(catalog, args.name)
        options = {"topK": args.top_k, "returnValues": args.return_values, "returnMetadata": args.return_metadata,
                   "namespace": args.namespace, "filter": flt}
        print("📋 Searching for relevant vectors...")
        if args.vector is not None:
            result = await index.query(args.vector, {k: v for k, v in options.items() if v is not None})
        else:
            result = await index.queryById(args.vector_id, {k: v for k, v in options.items() if v is not None})
        if not result["count"]:
            _warn("Could not find any relevant vectors")
            return 0
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0

    return _run(args, action)


def _get_vectors(args: argparse.Namespace) -> int:
    from pyflare.bindings.vectorize import constants

    async def action(catalog: Any) -> int:
        index = _binding(catalog, args.name)
        print("📋 Fetching vectors...")
        found = []
        for start in range(0, len(args.ids), constants.MAX_GET_IDS):  # the CLI takes any number, in batches
            found += await index.getByIds(args.ids[start : start + constants.MAX_GET_IDS])
        if not found:
            _warn("The index does not contain vectors corresponding to the provided identifiers")
            return 0
        print(json.dumps(found, indent=2, ensure_ascii=False))
        return 0

    return _run(args, action)


def _delete_vectors(args: argparse.Namespace) -> int:
    from pyflare.bindings.vectorize import constants

    async def action(catalog: Any) -> int:
        index = _binding(catalog, args.name)
        print("📋 Deleting vectors...")
        mutation = None
        for start in range(0, len(args.ids), constants.MAX_DELETE_IDS):
            mutation = (await index.deleteByIds(args.ids[start : start + constants.MAX_DELETE_IDS]))["mutationId"]
        print(f"✅ Successfully enqueued {len(args.ids)} vectors into index '{args.name}' for deletion. Mutation "
              f"changeset identifier: {mutation}.")
        return 0

    return _run(args, action)


def _list_vectors(args: argparse.Namespace) -> int:
    from pyflare.bindings.vectorize import constants

    count = constants.MAX_LIST_VECTORS if args.count is None else args.count
    if not 1 <= count <= constants.MAX_LIST_VECTORS:
        return _error(f"--count must be from 1 to {constants.MAX_LIST_VECTORS}", 2)

    async def action(catalog: Any) -> int:
        store = catalog.require(args.name)
        if not args.json:
            print(f"📋 Listing vectors in index '{args.name}'...")
        ids, total, more = await store.list_ids(count, args.cursor)
        result: dict[str, Any] = {"count": len(ids), "totalCount": total, "isTruncated": more,
                                  "vectors": [{"id": i} for i in ids]}
        if more:
            result["nextCursor"] = ids[-1]
        if args.json:
            print(json.dumps(result, indent=2, ensure_ascii=False))
            return 0
        if not ids:
            _warn("No vectors found in this index.")
            return 0
        print(_table([{"#": str(n), "Vector ID": i} for n, i in enumerate(ids, 1)]))
        print(f"\nShowing {len(ids)} of {total} total vectors")
        if more:
            print(f"\n💡 To get the next page, run:\n   pyflare vectorize list-vectors {args.name} --cursor {ids[-1]}")
        return 0

    return _run(args, action)


# -- metadata indexes ------------------------------------------------------------------------------
def _create_metadata_index(args: argparse.Namespace) -> int:
    from pyflare.bindings.vectorize import validation

    def change(store: Any) -> Any:
        return store.create_metadata_index(*validation.metadata_index(args.property_name, args.type))

    return _change_metadata_index(args, "Creating", "creation", change)


def _delete_metadata_index(args: argparse.Namespace) -> int:
    return _change_metadata_index(args, "Deleting", "deletion", lambda store: store.delete_metadata_index(
        args.property_name))


def _change_metadata_index(args: argparse.Namespace, doing: str, noun: str, change: Any) -> int:
    async def action(catalog: Any) -> int:
        store = catalog.require(args.name)
        print(f"📋 {doing} metadata index...")
        mutation = await change(store)
        print(f"✅ Successfully enqueued metadata index {noun} request. Mutation changeset identifier: {mutation}.")
        return 0

    return _run(args, action)


def _list_metadata_index(args: argparse.Namespace) -> int:
    async def action(catalog: Any) -> int:
        store = catalog.require(args.name)
        if not args.json:
            print("📋 Fetching metadata indexes...")
        indexes = [{"propertyName": p, "indexType": t} for p, t in (await store.metadata_indexes()).items()]
        if args.json:
            print(json.dumps(indexes, indent=2))
            return 0
        if not indexes:
            _warn("\nYou haven't created any metadata indexes on this index.\n\nUse 'pyflare vectorize "
                  "create-metadata-index <name>' to create one.")
            return 0
        print(_table([{"propertyName": i["propertyName"], "type": i["indexType"]} for i in indexes]))
        return 0

    return _run(args, action)
