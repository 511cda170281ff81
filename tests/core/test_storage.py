"""The shared storage layer: safe names, transactions, blobs."""

from __future__ import annotations

import pytest

from pyflare.storage import Storage, safe_name


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b", "..", ".hidden", "x\x00y", "é", ""])
def test_unsafe_names_become_plain_file_names(name):
    safe = safe_name(name)
    assert "/" not in safe and "\x00" not in safe and not safe.startswith(".") and safe


def test_ordinary_names_stay_readable():
    assert safe_name("my-db") == "my-db"


def test_temporary_storage_is_removed_on_close():
    storage = Storage()
    root = storage.root
    storage.database("kv", "ns").execute("CREATE TABLE t (x)")
    storage.close()
    assert not root.exists()


def test_persistent_storage_survives_close(tmp_path):
    storage = Storage(tmp_path / "state")
    db = storage.database("d1", "main")
    db.execute("CREATE TABLE t (x)")
    with db.transaction():
        db.execute("INSERT INTO t VALUES (1)")
    storage.close()
    again = Storage(tmp_path / "state")
    assert again.database("d1", "main").one("SELECT x FROM t") == (1,)
    assert (tmp_path / "state" / "d1" / "main.sqlite").is_file()


def test_a_temporary_database_keeps_its_schema_and_rows_when_closed_and_reopened():
    # A new temporary database with a schema starts as an in-memory copy of that schema; the object layer
    # closes idle databases and reopens them later, which must find every committed row (and the file of a
    # listed one must exist from the first use, as listings of objects with storage rely on it).
    schema = "CREATE TABLE IF NOT EXISTS t (x INTEGER PRIMARY KEY, y TEXT);"
    storage = Storage()
    db = storage.database("do", "object-1", folder="ns", listed=True)
    db.executescript(schema)
    assert db.path.is_file()
    unlisted = storage.database("kv", "ns")
    unlisted.executescript(schema)
    assert not unlisted.path.exists()
    with db.transaction():
        db.execute("INSERT INTO t (y) VALUES ('kept')")
    storage.release_database(db)
    again = storage.database("do", "object-1", folder="ns", listed=True)
    again.executescript(schema)  # as a store does on every open
    assert again.all("SELECT x, y FROM t") == [(1, "kept")]
    other = storage.database("do", "object-2", folder="ns", listed=True)
    other.executescript(schema)
    assert other.all("SELECT * FROM t") == []  # a new database from the same schema is empty
    storage.release_database(other, delete=True)
    assert not other.path.exists()
    storage.close()


def test_transaction_rolls_back_on_error_including_nested():
    storage = Storage()
    db = storage.database("x", "y")
    db.execute("CREATE TABLE t (x)")
    with pytest.raises(RuntimeError):
        with db.transaction():
            db.execute("INSERT INTO t VALUES (1)")
            with db.transaction():
                db.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError
    assert db.all("SELECT x FROM t") == []
    storage.close()


async def test_blob_store_writes_reads_ranges_and_collects_orphans():
    storage = Storage()
    blobs = storage.blobs("r2", "bucket")
    keep = blobs.put_bytes(b"0123456789")
    orphan = blobs.put_chunks([b"a", b"b"])
    assert blobs.read(keep, 2, 3) == b"234"
    assert b"".join([c async for c in blobs.stream(keep, 8)]) == b"89"
    assert blobs.collect_garbage({keep}) == 1
    assert blobs.size(keep) == 10 and not blobs.path(orphan).exists()
    with pytest.raises(ValueError):
        blobs.path("../escape")
    storage.close()


def test_garbage_is_not_collected_while_another_process_has_the_store_open(tmp_path):
    import subprocess
    import sys

    first = Storage(tmp_path / "state")
    blobs = first.blobs("r2", "bucket")
    in_flight = blobs.put_bytes(b"another process is about to record this")
    script = (
        "import sys; from pyflare.storage import Storage; "
        f"s = Storage({str(tmp_path / 'state')!r}); print(s.blobs('r2', 'bucket').collect_garbage(set()))"
    )
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == "0" and blobs.path(in_flight).exists()
    first.close()
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == "1" and not blobs.path(in_flight).exists()
