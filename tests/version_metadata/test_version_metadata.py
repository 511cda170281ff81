"""version_metadata: env.<binding>.id / .tag / .timestamp, as a worker reads them on Cloudflare."""

from __future__ import annotations

import datetime
import re
import uuid
from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.bindings.version_metadata import iso_timestamp
from pyflare.config import ConfigError

WORKER = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        meta = self.env.CF_VERSION_METADATA
        return Response.json({"id": meta.id, "tag": meta.tag, "timestamp": meta.timestamp})
"""

CONFIG = """
name = "versioned"
main = "src/entry.py"
version_metadata = { binding = "CF_VERSION_METADATA" }
"""

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_worker(tmp_path / "w", CONFIG, {"src/entry.py": WORKER})


async def test_a_worker_reads_id_tag_and_timestamp(config: Path) -> None:
    async with Pyflare(config, clock="manual") as mf:
        started = mf.clock.time()
        meta = (await mf.dispatch_fetch("/")).json()
        assert str(uuid.UUID(meta["id"])) == meta["id"]  # a UUID, as Cloudflare's version ids
        assert meta["tag"] == ""  # nothing uploaded with --tag locally
        assert ISO.match(meta["timestamp"])
        parsed = datetime.datetime.fromisoformat(meta["timestamp"].replace("Z", "+00:00"))
        assert abs(parsed.timestamp() - started) < 1
        # the same version for every request of this run, not a new one per request
        mf.clock.advance(seconds=3600)
        assert (await mf.dispatch_fetch("/")).json() == meta


async def test_each_start_is_a_new_version(config: Path) -> None:
    async with Pyflare(config, clock="manual") as mf:
        first = (await mf.dispatch_fetch("/")).json()["id"]
    async with Pyflare(config, clock="manual") as mf:
        assert (await mf.dispatch_fetch("/")).json()["id"] != first


async def test_the_metadata_is_read_only(config: Path) -> None:
    async with Pyflare(config, clock="manual") as mf:
        meta = mf.env["CF_VERSION_METADATA"]
        with pytest.raises(TypeError, match="read only property 'tag'"):
            meta.tag = "v2"
        assert meta.to_py() == {"id": meta.id, "tag": "", "timestamp": meta.timestamp}


async def test_a_test_can_pin_the_metadata(config: Path) -> None:
    from pyflare.bindings.version_metadata import WorkerVersionMetadata

    pinned = WorkerVersionMetadata("0f2a", "v1.2", "2026-01-02T03:04:05.000Z")
    async with Pyflare(config, clock="manual", bindings={"CF_VERSION_METADATA": pinned}) as mf:
        assert (await mf.dispatch_fetch("/")).json() == {"id": "0f2a", "tag": "v1.2",
                                                         "timestamp": "2026-01-02T03:04:05.000Z"}


def test_timestamps_are_written_as_javascript_does() -> None:
    assert iso_timestamp(0) == "1970-01-01T00:00:00.000Z"
    assert iso_timestamp(1767323045.1239) == "2026-01-02T03:04:05.123Z"


async def test_the_banner_shows_it_as_local(config: Path) -> None:
    from pyflare.cli.banner import banner_rows

    async with Pyflare(config, clock="manual") as mf:
        [row] = [r for r in banner_rows(mf.config, mf.env) if r.name == "CF_VERSION_METADATA"]
        assert (row.kind, row.mode) == ("Worker Version Metadata", "local")


def test_the_binding_name_is_required(tmp_path: Path) -> None:
    path = write_worker(tmp_path / "w", 'name = "v"\nmain = "src/entry.py"\nversion_metadata = {}\n',
                        {"src/entry.py": WORKER})
    with pytest.raises(ConfigError, match="version_metadata"):
        Pyflare(path)
