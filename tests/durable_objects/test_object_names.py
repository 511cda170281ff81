"""The name an object id was made from (idFromName) is kept beside the objects for tools (the explorer), not in
the object's own file; recording it never waits for, or fails on, another process holding that file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pyflare.kernel.clock import Clock
from pyflare.objects.ids import ObjectAddress
from pyflare.objects.layer import ObjectLayer
from pyflare.storage import Storage


def layer_at(root: Path) -> ObjectLayer:
    return ObjectLayer(Storage(root), Clock(), lambda awaitable, name: None)


def test_a_name_survives_a_restart_and_a_locked_names_file_only_delays_recording_it(tmp_path: Path):
    address = ObjectAddress("w", "Counter", "a" * 64)
    first = layer_at(tmp_path)
    first.name_object(address, "first")
    assert layer_at(tmp_path).name_of(address) == "first"

    other = ObjectAddress("w", "Counter", "b" * 64)
    holder = sqlite3.connect(tmp_path / "do" / "names.sqlite", isolation_level=None)  # another process, writing
    holder.execute("BEGIN IMMEDIATE")
    layer = layer_at(tmp_path)
    layer.name_object(other, "second")  # does not raise "database is locked", does not wait
    assert layer.name_of(other) is None
    holder.execute("COMMIT")
    layer.name_object(other, "second")  # recorded on the next idFromName
    assert layer_at(tmp_path).name_of(other) == "second"
