"""[[durable_objects.bindings]] and [[migrations]]: wrangler's errors, and classes the worker must export."""

from __future__ import annotations

import pytest

from pyflare import Pyflare
from pyflare.config import ConfigError

BASE = """
name = "cfg"
main = "src/entry.py"
compatibility_date = "2025-11-02"
"""

ENTRY = """
from workers import DurableObject, WorkerEntrypoint, Response
class Counter(DurableObject):
    pass
class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""


@pytest.mark.parametrize("migrations, error", [
    ('[[migrations]]\ntag = "v1"\nnew_classes = ["A"]\n[[migrations]]\ntag = "v2"\nnew_classes = ["A"]\n',
     "Cannot apply new_classes migration to existing class A"),
    ('[[migrations]]\ntag = "v1"\nnew_classes = ["A"]\n[[migrations]]\ntag = "v2"\nnew_sqlite_classes = ["A"]\n',
     "Cannot apply new_sqlite_classes migration to existing class A"),
    ('[[migrations]]\ntag = "v1"\ndeleted_classes = ["A"]\n',
     "Cannot apply deleted_classes migration to non-existent class A"),
    ('[[migrations]]\ntag = "v1"\nrenamed_classes = [{from = "A", to = "B"}]\n',
     "Cannot apply renamed_classes migration to non-existent class A"),
])
async def test_migration_errors_use_wranglers_texts(worker_dir, migrations, error):
    with pytest.raises(ConfigError, match=f"migrations: {error}$"):
        Pyflare(worker_dir(BASE + migrations, {"src/entry.py": ENTRY}))


async def test_a_migration_needs_a_tag(worker_dir):
    with pytest.raises(ConfigError, match="tag"):
        Pyflare(worker_dir(BASE + '[[migrations]]\nnew_classes = ["A"]\n', {"src/entry.py": ENTRY}))


async def test_renamed_and_deleted_classes_keep_their_backend(start_worker):
    config = BASE + """
[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Old", "Gone"]
[[migrations]]
tag = "v2"
renamed_classes = [{from = "Old", to = "Counter"}]
deleted_classes = ["Gone"]
"""
    mf = await start_worker(config, {"src/entry.py": ENTRY}, clock="manual")
    from pyflare.testing import run_in_durable_object

    stub = mf.env.COUNTER.getByName("x")
    assert await run_in_durable_object(stub, lambda obj, ctx: ctx.storage.sql.exec("SELECT 1 AS one").one().one) == 1


async def test_binding_a_class_the_worker_does_not_export_fails_at_start(worker_dir):
    config = BASE + '[[durable_objects.bindings]]\nname = "MISSING"\nclass_name = "Missing"\n'
    with pytest.raises(ConfigError, match=r"not exported in your entrypoint file: Missing\. .*MISSING"):
        await Pyflare(worker_dir(config, {"src/entry.py": ENTRY})).start()


async def test_a_binding_to_a_worker_not_running_here_fails_at_start(worker_dir):
    config = BASE + '[[durable_objects.bindings]]\nname = "X"\nclass_name = "Counter"\nscript_name = "elsewhere"\n'
    with pytest.raises(ConfigError, match='binding "X" refers to the worker "elsewhere"'):
        await Pyflare(worker_dir(config, {"src/entry.py": ENTRY})).start()


async def test_script_name_naming_this_worker_is_this_worker(start_worker):
    config = BASE + ('[[durable_objects.bindings]]\nname = "C"\nclass_name = "Counter"\nscript_name = "cfg"\n'
                     '[[migrations]]\ntag = "v1"\nnew_classes = ["Counter"]\n')
    mf = await start_worker(config, {"src/entry.py": ENTRY}, clock="manual")
    assert mf.env.C.idFromName("a").toString()


async def test_a_class_of_another_worker_is_reached_through_script_name(tmp_path):
    from tests.conftest import write_worker

    host = write_worker(tmp_path / "host", BASE + """
[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Counter"]
""", {"src/entry.py": """
from workers import DurableObject, WorkerEntrypoint, Response
class Counter(DurableObject):
    async def increment(self):
        n = (await self.ctx.storage.get("n") or 0) + 1
        await self.ctx.storage.put("n", n)
        return n
class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(str(await self.env.COUNTER.getByName("shared").increment()))
"""})
    client = write_worker(tmp_path / "client", """
name = "client"
main = "src/entry.py"
compatibility_date = "2025-11-02"
[[durable_objects.bindings]]
name = "REMOTE"
class_name = "Counter"
script_name = "cfg"
""", {"src/entry.py": """
from workers import WorkerEntrypoint, Response
class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(str(await self.env.REMOTE.getByName("shared").increment()))
"""})
    async with Pyflare([client, host], clock="manual") as mf:
        assert (await mf.dispatch_fetch("/")).text == "1"
        assert (await mf.worker("cfg").dispatch_fetch("/")).text == "2"  # the same object
        assert mf.env.REMOTE.idFromName("shared") == mf.worker("cfg").env.COUNTER.idFromName("shared")
