"""A full disk reaches worker code as each binding's Cloudflare error with the storage's text (never a raw
``sqlite3.OperationalError`` or ``OSError``), reaches S3 clients as S3 XML, loses nothing acknowledged, and
writes work again once there is room, without a restart.

The disk is "filled" without filling one: every SQLite file may not grow (``PRAGMA max_page_count``, which
makes SQLite fail with SQLITE_FULL exactly as a full disk does) and blob writes fail with ENOSPC."""

from __future__ import annotations

import asyncio
import errno
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import s3_client, serve_on_loopback

from pyflare import Pyflare
from pyflare.storage import blobs, sqlite
from pyflare.storage.authorizer import Authorizer
from pyflare.testing import introspect_workflow_instance

CONFIG = """
name = "full"
main = "src/entry.py"
compatibility_date = "2025-11-01"

[[kv_namespaces]]
binding = "KV"
id = "kv"

[[r2_buckets]]
binding = "B"
bucket_name = "b"
local_dev = { experimental_s3_credentials = { accessKeyId = "key", secretAccessKey = "secret" } }

[[d1_databases]]
binding = "DB"
database_name = "db"

[[queues.producers]]
binding = "Q"
queue = "q"

[[durable_objects.bindings]]
name = "OBJ"
class_name = "Obj"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Obj"]

[[workflows]]
binding = "FLOW"
name = "flow"
class_name = "Flow"
"""

ENTRY = """
from workers import DurableObject, Response, WorkerEntrypoint, WorkflowEntrypoint

BIG = "v" * 60000

class Obj(DurableObject):
    async def put(self, key):
        await self.ctx.storage.put(key, BIG)

    def sql(self):
        self.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (v)")
        self.ctx.storage.sql.exec("INSERT INTO t VALUES (?)", BIG)

    def kv(self, key):
        self.ctx.storage.kv.put(key, BIG)

    async def keys(self):
        return sorted((await self.ctx.storage.list()).keys())

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("stored step")
        async def stored():
            return BIG
        await stored()
        return "done"

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        what, key = request.url.split("/")[-2:]
        obj = self.env.OBJ.getByName("o")
        writes = {
            "kv": lambda: self.env.KV.put(key, BIG),
            "r2": lambda: self.env.B.put(key, BIG),
            "d1": lambda: self.env.DB.prepare("INSERT INTO t VALUES (?)").bind(BIG).run(),
            "queue": lambda: self.env.Q.send(BIG),
            "do": lambda: obj.put(key),
            "do-sql": lambda: obj.sql(),
            "do-kv": lambda: obj.kv(key),
            "workflow": lambda: self.env.FLOW.create({"id": key, "params": {"big": BIG}}),
        }
        try:
            await writes[what]()
        except Exception as exc:
            return Response(f"{type(exc).__name__}: {exc}", status=500)
        return Response("stored")
"""

FULL = "database or disk is full: SQLITE_FULL"
EXPECTED = {
    "kv": f"KVError: KV PUT failed: 500 Internal Server Error ({FULL})",
    "r2": f"InternalError: put: We encountered an internal error. Please try again. ({FULL}) (10001)",
    "d1": f"D1Error: D1_ERROR: {FULL}",
    "queue": f"QueueSendError: Queue send failed: Internal Server Error ({FULL})",
    "do": f"StorageError: {FULL}",
    "do-sql": f"SqlError: {FULL}",
    "do-kv": f"StorageError: {FULL}",
    "workflow": f"WorkflowError: (workflows.api.error.internal_server) {FULL}",
}


class Disk:
    """Fills and frees the "disk": SQLite files stop growing, blob writes fail with ENOSPC."""

    def __init__(self, mf: Pyflare, monkeypatch: pytest.MonkeyPatch) -> None:
        self.mf = mf
        self.full = False
        disk = self
        opened = sqlite.Database.__init__

        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            opened(self, *args, **kwargs)
            if disk.full:
                disk._limit(self.connection)

        real_fsync = blobs.os.fsync

        def fsync(fd: int) -> None:  # a blob's bytes reach the disk when it is synced: there they do not fit
            if disk.full:
                raise OSError(errno.ENOSPC, "No space left on device")
            real_fsync(fd)

        monkeypatch.setattr(sqlite.Database, "__init__", init)
        monkeypatch.setattr(blobs.os, "fsync", fsync)

    def _connections(self) -> Iterator[sqlite3.Connection]:
        for db in list(self.mf.storage._databases.values()):
            yield db.connection

    @staticmethod
    def _pragma(connection: sqlite3.Connection, sql: str) -> Any:
        """Run a pragma past the authorizer user SQL meets (D1's files check every statement)."""
        checks = Authorizer.__call__
        Authorizer.__call__ = lambda self, *args: sqlite3.SQLITE_OK  # type: ignore[method-assign]
        try:
            return connection.execute(sql).fetchone()
        finally:
            Authorizer.__call__ = checks  # type: ignore[method-assign]

    def _limit(self, connection: sqlite3.Connection) -> None:
        (pages,) = self._pragma(connection, "PRAGMA page_count")
        self._pragma(connection, f"PRAGMA max_page_count = {pages}")

    def fill(self) -> None:
        self.full = True
        for connection in self._connections():
            self._limit(connection)

    def free(self) -> None:
        self.full = False
        for connection in self._connections():
            self._pragma(connection, "PRAGMA max_page_count = 1073741823")


@pytest.fixture
async def mf(worker_dir: Any, tmp_path: Any) -> Any:
    async with Pyflare(worker_dir(CONFIG, {"src/entry.py": ENTRY}), persist_to=tmp_path / "state") as mf:
        await mf.env.DB.exec("CREATE TABLE t (v)")
        yield mf


async def test_every_binding_reports_a_full_disk_as_cloudflare_does(mf: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for what in EXPECTED:  # one write each while there is room: every file exists
        assert (await mf.dispatch_fetch(f"/{what}/first")).text == "stored", what
    disk = Disk(mf, monkeypatch)
    disk.fill()
    for what, expected in EXPECTED.items():
        response = await mf.dispatch_fetch(f"/{what}/refused")
        assert (response.status_code, response.text) == (500, expected), what
    disk.free()
    for what in EXPECTED:  # room again: writes work without a restart
        assert (await mf.dispatch_fetch(f"/{what}/again")).text == "stored", what


async def test_nothing_acknowledged_is_lost_and_nothing_refused_is_half_stored(
        worker_dir: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    config = worker_dir(CONFIG, {"src/entry.py": ENTRY})
    async with Pyflare(config, persist_to=tmp_path / "state") as mf:
        for what in ("kv", "r2", "do"):
            assert (await mf.dispatch_fetch(f"/{what}/kept")).text == "stored"
        disk = Disk(mf, monkeypatch)
        disk.fill()
        for what in ("kv", "r2", "do"):
            assert (await mf.dispatch_fetch(f"/{what}/refused")).status_code == 500
        disk.free()
    async with Pyflare(config, persist_to=tmp_path / "state") as mf:
        assert await mf.env.KV.get("kept") == "v" * 60000
        assert await mf.env.KV.get("refused") is None
        assert await (await mf.env.B.get("kept")).text() == "v" * 60000
        assert await mf.env.B.get("refused") is None
        assert await mf.env.OBJ.getByName("o").keys() == ["kept"]
        blob_folder = mf.storage.root / "r2" / "b" / "blobs"
        assert not [p for p in blob_folder.iterdir() if p.name.startswith(".tmp-")]


async def test_a_workflow_run_stopped_by_a_full_disk_carries_on_later(
        worker_dir: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    config = worker_dir(CONFIG, {"src/entry.py": ENTRY})
    async with Pyflare(config, persist_to=tmp_path / "state", clock="manual") as mf:
        disk = Disk(mf, monkeypatch)
        instance = await mf.env.FLOW.create({"id": "later"})
        disk.fill()  # the run starts after create() returns: its step cannot be stored
        introspector = await introspect_workflow_instance(mf.env.FLOW, "later")
        for _ in range(30):
            await asyncio.sleep(0)
        assert (await instance.status())["status"] == "running"  # not errored: the disk failed, not the run
        disk.free()
        mf.clock.advance(seconds=29)
        for _ in range(30):
            await asyncio.sleep(0)
        assert (await instance.status())["status"] == "running"  # it waits for the retry, not for a restart
        mf.clock.advance(seconds=1)
        await introspector.wait_for_status("complete", timeout=5)
        assert (await instance.status()) == {"status": "complete", "output": "done"}


async def test_s3_put_object_on_a_full_disk_is_s3_xml(mf: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    disk = Disk(mf, monkeypatch)
    async with serve_on_loopback(mf.asgi_app) as url:
        client = s3_client(f"{url}/cdn-cgi/local/r2/s3", "key", "secret")
        disk.fill()
        with pytest.raises(ClientError) as info:
            await asyncio.to_thread(client.put_object, Bucket="b", Key="k", Body=b"x" * 100_000)
        error = info.value.response["Error"]
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert error["Code"] == "InternalError"
        assert error["Message"] == f"We encountered an internal error. Please try again. ({FULL})"
        disk.free()
        await asyncio.to_thread(client.put_object, Bucket="b", Key="k", Body=b"x" * 100_000)
