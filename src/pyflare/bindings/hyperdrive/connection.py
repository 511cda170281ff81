"""Hyperdrive's local connection strings: the fields a driver needs, and the texts wrangler and Miniflare give.

Sources: wrangler's ``applyHyperdriveEnvVars`` (packages/wrangler/src/dev.ts) for the environment variables
and the "no connection string" text; Miniflare's ``HyperdriveSchema`` (packages/miniflare/src/plugins/
hyperdrive/index.ts) for what a connection string must hold and its default ports.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

ENV_PREFIX = "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_"
DEPRECATED_PREFIX = "WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_"
DEFAULT_PORTS = {"postgres": 5432, "postgresql": 5432, "mysql": 3306}


class HyperdriveConfigError(ValueError):
    """A Hyperdrive binding without a usable local connection string."""


def missing_text(binding: str) -> str:
    return ("When developing locally, you should use a local Postgres connection string to emulate Hyperdrive "
            f"functionality. Please setup Postgres locally and set the value of the '{ENV_PREFIX}{binding}' "
            f'variable or "{binding}"\'s "localConnectionString" to the Postgres connection string.')


@dataclass(frozen=True)
class LocalConnection:
    connection_string: str
    scheme: str
    host: str
    port: int
    user: str
    password: str
    database: str


def parse_connection_string(text: str, binding: str = "") -> LocalConnection:
    """The fields of ``postgres[ql]://user:password@host[:port]/database[?options]`` or ``mysql://...``."""
    where = f'Hyperdrive binding "{binding}": ' if binding else ""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise HyperdriveConfigError(f"{where}invalid connection string: {exc}") from None
    problems = []
    if not parts.scheme:
        problems.append("You must specify the database protocol - e.g. 'postgresql'/'mysql'.")
    elif parts.scheme not in DEFAULT_PORTS:
        problems.append("Only PostgreSQL-compatible or MySQL-compatible databases are currently supported.")
    if not parts.hostname:
        problems.append("You must provide a hostname or IP address in your connection string - e.g. "
                        "'user:password@database-hostname.example.com:5432/databasename")
    if parts.path in ("", "/"):
        problems.append("You must provide a database name as the path component - e.g. /postgres")
    if not parts.username:
        problems.append("You must provide a username - e.g. 'user:password@database.example.com:port/databasename'")
    if not parts.password:
        problems.append("You must provide a password - e.g. 'user:password@database.example.com:port/databasename'")
    if problems:
        raise HyperdriveConfigError(where + " ".join(problems))
    return LocalConnection(
        connection_string=text,
        scheme=parts.scheme,
        host=parts.hostname or "",
        port=port if port is not None else DEFAULT_PORTS[parts.scheme],
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=unquote(parts.path[1:]),
    )
