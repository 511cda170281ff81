"""``pyflare d1``: list, inspect, query, migrate and export a worker's local D1 databases (as ``wrangler d1 ... --local``).

    pyflare d1 list [--json]
    pyflare d1 info DATABASE [--json]
    pyflare d1 execute DATABASE (--command SQL | --file FILE) [--json]
    pyflare d1 migrations create DATABASE MESSAGE
    pyflare d1 migrations list DATABASE
    pyflare d1 migrations apply DATABASE
    pyflare d1 export DATABASE --output FILE [--no-schema] [--no-data] [--table NAME]

DATABASE is a database_name or a binding name from the config. The commands work on the same files
``pyflare dev`` uses (``.pyflare/state/d1/<database_name>.sqlite`` unless ``--persist-to`` says otherwise),
and they may run while ``pyflare dev`` is serving.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pyflare.cli.common import add_state_options, config_paths, find_plugin, run_on_local_state
from pyflare.config import load_config


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("d1", help="🗄  Manage Workers D1 databases (local)",
                                   description="Manage Workers D1 databases in local state")
    commands = parser.add_subparsers(dest="d1_command", metavar="COMMAND")

    listing = commands.add_parser("list", help="List D1 databases",
                                  description="List the D1 databases of the worker's config with their local state")
    listing.add_argument("--json", action="store_true", help="Return output as clean JSON")
    _add_common(listing)
    listing.set_defaults(handler=run_list)

    info = commands.add_parser("info", help="Get information about a D1 database, including the current database "
                                            "size and state",
                               description="Get information about a D1 database, including the current database "
                                           "size and state")
    info.add_argument("database", help="The name or binding of the DB")
    info.add_argument("--json", action="store_true", help="Return output as clean JSON")
    _add_common(info)
    info.set_defaults(handler=run_info)

    execute = commands.add_parser("execute", help="Execute a command or SQL file",
                                  description="Execute a command or SQL file against a local D1 database")
    execute.add_argument("database", help="The name or binding of the DB")
    source = execute.add_mutually_exclusive_group(required=True)
    source.add_argument("--command", help="The SQL query you wish to execute, or multiple queries separated by ';'")
    source.add_argument("--file", help="A .sql file to ingest")
    execute.add_argument("--json", action="store_true", help="Return output as clean JSON")
    _add_common(execute)
    execute.set_defaults(handler=run_execute)

    migrations = commands.add_parser("migrations", help="Interact with D1 migrations",
                                     description="Interact with D1 migrations")
    actions = migrations.add_subparsers(dest="migrations_command", metavar="COMMAND")

    create = actions.add_parser("create", help="Create a new migration",
                                description="Create a new migration file in the database's migrations_dir")
    create.add_argument("database", help="The name or binding of the DB")
    create.add_argument("message", help="The migration message")
    _add_common(create)
    create.set_defaults(handler=run_migrations_create)

    listing = actions.add_parser("list", help="View a list of unapplied migration files",
                                 description="View a list of unapplied migration files")
    listing.add_argument("database", help="The name or binding of the DB")
    _add_common(listing)
    listing.set_defaults(handler=run_migrations_list)

    apply = actions.add_parser("apply", help="Apply any unapplied D1 migrations",
                               description="Apply any unapplied D1 migrations")
    apply.add_argument("database", help="The name or binding of the DB")
    _add_common(apply)
    apply.set_defaults(handler=run_migrations_apply)

    export = commands.add_parser("export", help="Export the contents or schema of your database as a .sql file",
                                 description="Export the contents or schema of your database as a .sql file")
    export.add_argument("database", help="The name or binding of the DB")
    export.add_argument("--output", "-o", required=True, help="Path to the SQL file for your export")
    export.add_argument("--no-schema", action="store_true", help="Only output table contents, not the DB schema")
    export.add_argument("--no-data", action="store_true", help="Only output table schema, not the contents of the "
                                                               "DBs themselves")
    export.add_argument("--table", action="append", default=[], help="Specify which tables to include in export")
    _add_common(export)
    export.set_defaults(handler=run_export)


def _add_common(parser: argparse.ArgumentParser) -> None:
    add_state_options(parser)
    parser.add_argument("--force", "-y", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--preview", action="store_true", help=argparse.SUPPRESS)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _error(message: str) -> int:
    print(f"✘ {message}", file=sys.stderr)
    return 1


def _remote(args: argparse.Namespace) -> int | None:
    if getattr(args, "remote", False):
        return _error("pyflare only works on local databases; --remote is not supported")
    return None


def _with_store(args: argparse.Namespace, action: Any) -> int:
    """Open the local state, find the database, and run ``action(plugin, store) -> exit code``."""
    from pyflare.bindings.d1 import D1Plugin

    async def go(mf: Any) -> int:
        what = f"the D1 database '{args.database}'"
        try:
            plugin = find_plugin(mf, D1Plugin, lambda p: p.store(args.database).name, what)
            store = plugin.store(args.database)
        except LookupError as exc:
            if "several workers" in str(exc):
                return _error(str(exc))
            return _error(f"Couldn't find a D1 DB with the name or binding '{args.database}' in your "
                          f"{mf.config.path.name} file.")
        return action(mf, plugin, store)

    return run_on_local_state(args, go)


# -- list and info -------------------------------------------------------------------------------
_SIZE = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"


def _database_facts(config: Any, store: Any) -> dict[str, Any]:
    tables = store.rows("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                        "AND name NOT LIKE '_cf_%'")[0][0]
    return {"uuid": config.database_id or "", "name": store.name, "binding": config.binding,
            "num_tables": tables, "database_size": store.rows(_SIZE)[0][0], "file": str(store.path)}


def run_list(args: argparse.Namespace) -> int:
    from pyflare.bindings.d1 import D1Plugin

    async def go(mf: Any) -> int:
        seen: dict[str, dict[str, Any]] = {}
        for worker in mf.workers.values():
            for plugin in worker.plugins:
                if isinstance(plugin, D1Plugin):
                    for config in plugin.configs:
                        store = plugin.store(config.binding)
                        seen.setdefault(store.name, _database_facts(config, store))
        facts = list(seen.values())
        if args.json:
            print(json.dumps(facts, indent=2))
        elif not facts:
            print(f"No D1 databases in {mf.config.path.name}.")
        else:
            columns = ["uuid", "name", "binding", "num_tables", "database_size"]
            print(format_table(columns, [[f[c] for c in columns] for f in facts]))
        return 0

    return run_on_local_state(args, go)


def run_info(args: argparse.Namespace) -> int:
    def action(mf: Any, plugin: Any, store: Any) -> int:
        facts = _database_facts(plugin.config(args.database), store)
        if args.json:
            print(json.dumps(facts, indent=2))
            return 0
        shown = dict(facts, database_size=_human_size(facts["database_size"]))
        order = ["name", "binding", "num_tables", "database_size", "file"]
        print(format_table(["DB", facts["uuid"] or "(no database_id)"], [[key, shown[key]] for key in order]))
        return 0

    return _with_store(args, action)


def _human_size(size: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}".replace(".0 ", " ")
        size /= 1000  # type: ignore[assignment]
    return f"{size} B"


# -- execute -------------------------------------------------------------------------------------
def run_execute(args: argparse.Namespace) -> int:
    from pyflare.bindings.d1.errors import D1Error
    from pyflare.storage.sql import split_statements

    if (code := _remote(args)) is not None:
        return code
    if args.file:
        try:
            sql = Path(args.file).read_text(encoding="utf-8")
        except OSError as exc:
            return _error(f"Unable to read SQL text file \"{args.file}\": {exc.strerror}")
    else:
        sql = args.command

    def action(mf: Any, plugin: Any, store: Any) -> int:
        statements = split_statements(sql)
        if not statements:
            return _error("No SQL statements detected.")
        try:
            results = store.call_blocking(store.transaction, [(s, ()) for s in statements])
        except D1Error as exc:
            if args.json:
                print(json.dumps({"error": {"text": str(exc)}}, indent=2))
            return _error(str(exc))
        payload = [
            {"results": [dict(zip(r.columns, row, strict=False)) for row in r.rows], "success": True, "meta": r.meta}
            for r in results
        ]
        if args.json:
            print(json.dumps(payload, indent=2, default=str))
            return 0
        print(f"🌀 Executing on local database {store.name} from {store.path}:", file=sys.stderr)
        duration = sum(r.meta["duration"] for r in results)
        count = len(results)
        print(f"🚣 {count} command{'s' if count != 1 else ''} executed successfully in "
              f"{duration:.2f}ms.", file=sys.stderr)
        for result in results:
            if result.columns:
                print(format_table(result.columns, result.rows))
        return 0

    return _with_store(args, action)


def format_table(columns: list[str], rows: list[list[Any]]) -> str:
    """A readable box table, as wrangler prints query results."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (w + 2) for w in widths) + right

    def row_text(values: list[str]) -> str:
        return "│" + "│".join(f" {v}{' ' * (w - _width(v))} " for v, w in zip(values, widths, strict=False)) + "│"

    out = [line("┌", "┬", "┐"), row_text(columns), line("├", "┼", "┤")]
    out += [row_text(r) for r in cells]
    out.append(line("└", "┴", "┘"))
    return "\n".join(out)


def _width(text: str) -> int:
    """Terminal columns taken by ``text`` (wide characters such as emoji take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
               for ch in text)


def _cell(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


# -- migrations ----------------------------------------------------------------------------------
def _migrations(config: Any, database: Any) -> Any:
    from pyflare.bindings.d1.migrations import Migrations

    return Migrations.for_database(config, database)


def run_migrations_create(args: argparse.Namespace) -> int:
    from pyflare.bindings.d1.validation import migration_file_name

    configs = [load_config(path, environment=args.env, require_main=False) for path in config_paths(args)]
    found = [(c, d) for c in configs for d in c.worker.d1_databases if args.database in (d.binding, d.database_name)]
    if not found:
        return _error(f"Couldn't find a D1 DB with the name or binding '{args.database}' in your "
                      f"{configs[0].path.name} file.")
    if len({(c.root / d.migrations_dir).resolve() for c, d in found}) > 1:
        named = " and ".join(f'"{c.name}" ({c.path})' for c, _ in found)
        return _error(f"the D1 database '{args.database}' is in the config of several workers: {named}; give only "
                      "the -c of the one you mean")
    config, database = found[0]
    migrations = _migrations(config, database)
    try:
        migration_file_name(0, args.message)
    except ValueError as exc:
        return _error(str(exc))
    path = migrations.create(args.message, datetime.now(timezone.utc))
    print(f"✅ Successfully created Migration '{path.name}'!\n")
    print("The migration is available for editing here")
    print(path)
    return 0


def run_migrations_list(args: argparse.Namespace) -> int:
    if (code := _remote(args)) is not None:
        return code

    def action(mf: Any, plugin: Any, store: Any) -> int:
        migrations = _migrations(plugin.platform.config, plugin.config(args.database))
        if not migrations.folder.is_dir():
            return _error(f"No migrations present at {migrations.folder}.")
        pending = migrations.unapplied(store)
        if not pending:
            print("✅ No migrations to apply!")
            return 0
        print("Migrations to be applied:")
        print(format_table(["Name"], [[name] for name in pending]))
        return 0

    return _with_store(args, action)


def run_migrations_apply(args: argparse.Namespace) -> int:
    from pyflare.bindings.d1.migrations import MigrationError

    if (code := _remote(args)) is not None:
        return code

    def action(mf: Any, plugin: Any, store: Any) -> int:
        migrations = _migrations(plugin.platform.config, plugin.config(args.database))
        if not migrations.folder.is_dir():
            return _error(f"No migrations present at {migrations.folder}.")
        migrations.ensure_table(store)
        pending = migrations.unapplied(store)
        if not pending:
            print("✅ No migrations to apply!")
            return 0
        print("Migrations to be applied:")
        print(format_table(["Name"], [[name] for name in pending]))
        status = {name: "🕒️" for name in pending}

        def progress(name: str, ok: bool) -> None:
            status[name] = "✅" if ok else "❌"

        try:
            migrations.apply(store, progress=progress)
        except MigrationError as exc:
            print(format_table(["Name", "Status"], [[n, s] for n, s in status.items()]))
            print(f"Migration {exc.name} failed with the following errors:", file=sys.stderr)
            return _error(str(exc.error))
        print(format_table(["Name", "Status"], [[n, s] for n, s in status.items()]))
        return 0

    return _with_store(args, action)


# -- export --------------------------------------------------------------------------------------
def run_export(args: argparse.Namespace) -> int:
    from pyflare.bindings.d1.errors import D1Error
    from pyflare.bindings.d1.export import dump_sql

    if (code := _remote(args)) is not None:
        return code
    if args.no_schema and args.no_data:
        return _error("You cannot specify both --no-schema and --no-data")

    def action(mf: Any, plugin: Any, store: Any) -> int:
        output = Path(args.output)
        try:
            lines = list(dump_sql(store, schema=not args.no_schema, data=not args.no_data, tables=args.table))
        except D1Error as exc:
            return _error(str(exc))
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"🌀 Exported {store.name} to {output}")
        return 0

    return _with_store(args, action)
