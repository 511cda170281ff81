"""A throwaway PostgreSQL server for the Hyperdrive tests: Debian's postgresql, started in a temporary folder on
a free loopback port (as the ``postgres`` user when the tests run as root), stopped at the end. Tests that
need it skip with one line when the server binaries or pg8000 are missing."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USER, PASSWORD, DATABASE = "testuser", "test pass/1", "testdb"  # a password that needs %-quoting in a URL


@dataclass
class Postgres:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://{USER}:test%20pass%2F1@{self.host}:{self.port}/{DATABASE}"


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    pytest.importorskip("pg8000", reason="pg8000 is not installed (pip install -e '.[test]')")
    bin_dir = _binaries()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server here (apt-get install postgresql)")
    # Its own folder under the system's temporary folder: pytest's (mode 700, one level deeper under xdist)
    # is not reachable by the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="pyflare-postgres-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root and runuser is missing: cannot start PostgreSQL")
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data = folder / "data"
    started = False
    try:
        (folder / "pw").write_text(PASSWORD)
        if run_as:
            shutil.chown(folder / "pw", "postgres")
        port = _free_port()
        subprocess.run(run_as + [str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--pwfile",
                                 str(folder / "pw"), "--auth=scram-sha-256", "-E", "UTF8"],
                       check=True, capture_output=True, timeout=120)
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(run_as + [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                                 str(folder / "log"), "-w", "start"], check=True, capture_output=True, timeout=120)
        started = True
        import pg8000

        admin = pg8000.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, database="postgres")
        admin.autocommit = True
        admin.run(f"CREATE DATABASE {DATABASE}")
        admin.close()
        yield Postgres("127.0.0.1", port)
    finally:
        if started:
            subprocess.run(run_as + [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
