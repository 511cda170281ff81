"""``pyflare analytics query "SQL"``: the Analytics Engine SQL API on the data points a worker wrote locally.

The query is Analytics Engine's dialect (see docs/analytics-engine.md for the supported subset); the answer is
printed as the SQL API returns it, in the query's ``FORMAT`` (JSON by default), or as a table with ``--table``.
It opens the state ``pyflare dev`` uses (``.pyflare/state`` beside the config, or ``--persist-to``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pyflare.cli.common import add_state_options, run_on_local_state

DESCRIPTION = "Query Analytics Engine datasets in local state with the SQL API's dialect"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("analytics", help="📈 Query Analytics Engine datasets (local)",
                                   description=DESCRIPTION)
    commands = parser.add_subparsers(dest="analytics_command", metavar="COMMAND")
    query = commands.add_parser("query", help="Run a SQL query (SELECT ... FROM <dataset> ..., SHOW TABLES)",
                                description="Run a SQL query (SELECT ... FROM <dataset> ..., SHOW TABLES)")
    query.add_argument("sql", metavar="SQL", help='The query, e.g. "SELECT blob1, SUM(_sample_interval) AS n '
                       'FROM my_dataset GROUP BY blob1" (- reads it from stdin)')
    query.add_argument("--table", action="store_true", help="Print the rows as a table instead of the API's answer")
    add_state_options(query)
    query.set_defaults(handler=_query)


def _query(args: argparse.Namespace) -> int:
    from pyflare.bindings.analytics_engine import SqlError, query

    sql = sys.stdin.read() if args.sql == "-" else args.sql

    async def action(mf: Any) -> int:
        try:
            result = query(mf.platform, sql)
        except SqlError as exc:
            print(f"✘ [ERROR] {exc}", file=sys.stderr)
            return 1
        if args.table:
            from pyflare.cli.d1 import format_table

            print(format_table(result.names, result.rows) if result.rows else "(no rows)")
        else:
            sys.stdout.write(result.body()[1])
        return 0

    return run_on_local_state(args, action)
