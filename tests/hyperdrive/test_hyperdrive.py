"""Hyperdrive: the connection fields from localConnectionString or the environment, wrangler's errors, and a
worker that reaches a real local Postgres through them (the assertions of Cloudflare's own Python tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.bindings.hyperdrive import (
    HyperdriveConfigError,
    local_connection_string,
    parse_connection_string,
)
from pyflare.config import ConfigError

WORKER = """
import pg8000
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    def connect(self):
        hd = self.env.HYPERDRIVE
        return pg8000.connect(host=hd.host, port=int(hd.port), user=hd.user, password=hd.password,
                              database=hd.database)

    async def fetch(self, request):
        hd = self.env.HYPERDRIVE
        if request.url.endswith("/fields"):
            return Response.json({"connectionString": hd.connectionString, "host": hd.host, "port": hd.port,
                                  "user": hd.user, "password": hd.password, "database": hd.database})
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute("CREATE TABLE IF NOT EXISTS notes (id SERIAL PRIMARY KEY, body TEXT, n INT, "
                        "x DOUBLE PRECISION, ok BOOLEAN)")
            if request.method == "POST":
                cur.execute("INSERT INTO notes (body, n, x, ok) VALUES (%s, %s, %s, %s)",
                            (await request.text(), 42, 3.14, True))
                conn.commit()
            if request.method == "DELETE":
                cur.execute("INSERT INTO notes (body) VALUES ('rolled back')")
                conn.rollback()
            cur.execute("SELECT body, n, x, ok FROM notes ORDER BY id")
            return Response.json([list(row) for row in cur.fetchall()])
        finally:
            conn.close()
"""

CONFIG = """
name = "hd"
main = "src/entry.py"
[[hyperdrive]]
binding = "HYPERDRIVE"
id = "00000000000000000000000000000001"
{local}
"""


def config_with(tmp_path: Path, local: str) -> Path:
    return write_worker(tmp_path / "w", CONFIG.format(local=local), {"src/entry.py": WORKER})


def test_fields_come_from_the_connection_string() -> None:
    c = parse_connection_string("postgres://us%40er:p%3Ass@db.local/my%20db?sslmode=disable")
    assert (c.scheme, c.host, c.port, c.user, c.password, c.database) == (
        "postgres", "db.local", 5432, "us@er", "p:ss", "my db")
    assert parse_connection_string("mysql://u:p@127.0.0.1/shop").port == 3306  # the scheme's default port
    assert parse_connection_string("postgresql://u:p@[::1]:6543/d").host == "::1"


@pytest.mark.parametrize(("text", "message"), [
    ("sqlite://u:p@h/d", "Only PostgreSQL-compatible or MySQL-compatible databases are currently supported."),
    ("postgres://u@h/d", "You must provide a password"),
    ("postgres://:p@h/d", "You must provide a username"),
    ("postgres://u:p@h", "You must provide a database name as the path component"),
    ("//u:p@h/d", "You must specify the database protocol"),
    ("postgres://u:p@h:99999/d", "invalid connection string"),
])
def test_bad_connection_strings_get_miniflares_messages(text: str, message: str) -> None:
    with pytest.raises(HyperdriveConfigError, match=message.replace("(", r"\(")):
        parse_connection_string(text, "HYPERDRIVE")


def test_the_environment_variable_wins_and_the_old_name_warns() -> None:
    warnings: list[str] = []
    env = {"CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HD": "postgres://a:b@env/db"}
    assert local_connection_string("HD", "postgres://a:b@config/db", env) == "postgres://a:b@env/db"
    assert local_connection_string("HD", "postgres://a:b@config/db", {
        "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HD": ""}) == "postgres://a:b@config/db"  # empty: ignored
    old = {"WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_HD": "postgres://a:b@old/db"}
    assert local_connection_string("HD", None, old, warnings.append) == "postgres://a:b@old/db"
    assert "This is deprecated" in warnings[0]


async def test_without_a_connection_string_the_worker_does_not_start(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE", raising=False)
    mf = Pyflare(config_with(tmp_path, ""), clock="manual")
    with pytest.raises(ConfigError, match="When developing locally, you should use a local Postgres connection "
                       "string.*'CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE' variable or "
                       '"HYPERDRIVE"\'s "localConnectionString"'):
        await mf.start()


async def test_the_environment_variable_reaches_the_worker(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE", "postgres://me:pw@localhost:6000/app")
    async with Pyflare(config_with(tmp_path, ""), clock="manual") as mf:
        fields = (await mf.dispatch_fetch("/fields")).json()
        assert fields == {"connectionString": "postgres://me:pw@localhost:6000/app", "host": "localhost",
                          "port": 6000, "user": "me", "password": "pw", "database": "app"}
        with pytest.raises(TypeError, match="read only property 'host'"):
            mf.env["HYPERDRIVE"].host = "elsewhere"


async def test_the_banner_shows_it_as_local(tmp_path: Path) -> None:
    from pyflare.cli.banner import banner_rows

    config = config_with(tmp_path, 'localConnectionString = "postgres://u:p@127.0.0.1:5432/d"')
    async with Pyflare(config, clock="manual") as mf:
        [row] = [r for r in banner_rows(mf.config, mf.env) if r.name == "HYPERDRIVE"]
        assert (row.kind, row.mode) == ("Hyperdrive Config", "local")


async def test_a_worker_reads_and_writes_a_real_local_postgres(tmp_path: Path, postgres) -> None:
    config = config_with(tmp_path, f'localConnectionString = "{postgres.url}"')
    async with Pyflare(config, clock="manual") as mf:
        assert (await mf.dispatch_fetch("/")).json() == []
        assert (await mf.dispatch_fetch("/", method="POST", content="hello")).json() == [["hello", 42, 3.14, True]]
        assert (await mf.dispatch_fetch("/", method="DELETE")).json() == [["hello", 42, 3.14, True]]  # rolled back
        fields = (await mf.dispatch_fetch("/fields")).json()
        assert (fields["password"], fields["port"]) == ("test pass/1", postgres.port)  # decoded, a number
