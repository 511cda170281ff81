"""Strict portability mode: the worker's own code raises what fails on Cloudflare, with the check's message;
pyflare's machinery and other workers are left alone."""

from __future__ import annotations

import tempfile
import textwrap
import warnings

import pytest
from tests.conftest import write_worker

from pyflare import WorkerLoadError
from pyflare.portability import NotPortableError, PortabilityWarning, check

CONFIG = """
name = "strict"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"{flags}]
{extra}
"""

HANDLER = """
import os, random, secrets, socket, subprocess, threading, uuid
from pathlib import Path
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        what = request.url.rsplit("/", 1)[-1]
        if what == "thread":
            threading.Thread(target=print).start()
        elif what == "process":
            subprocess.run(["true"])
        elif what == "socket":
            socket.create_connection(("127.0.0.1", 9))
        elif what == "bundle":
            (Path(__file__).parent / "out.txt").write_text("x")
        elif what == "temp":
            Path(TEMP, "scratch.txt").write_text("x")
        elif what == "elsewhere":
            open(ELSEWHERE, "w").close()
        elif what == "entropy":
            return Response(f"{random.random()} {uuid.uuid4()} {secrets.token_hex(4)}")
        elif what == "kv":
            await self.env.KV.put("k", "v")
            return Response(await self.env.KV.get("k"))
        return Response("ok")
"""


@pytest.fixture(autouse=True)
def _restore_tempdir():
    saved = tempfile.tempdir
    yield
    tempfile.tempdir = saved


def _config(flags: str = "", extra: str = "") -> str:
    return CONFIG.format(flags=flags, extra=extra)


async def _strict_worker(start_worker, tmp_path, *, flags: str = "", **kwargs):
    # tmp_path itself lies in the temporary folder: make a narrower one, so ELSEWHERE is outside it
    (tmp_path / "tmp").mkdir(exist_ok=True)
    tempfile.tempdir = str(tmp_path / "tmp")
    source = f"TEMP = {tempfile.gettempdir()!r}\nELSEWHERE = {str(tmp_path / 'elsewhere.txt')!r}\n" + HANDLER
    extra = '[[kv_namespaces]]\nbinding = "KV"\nid = "kv"\n'
    return await start_worker(_config(flags, extra), {"src/entry.py": source}, strict_portability=True, **kwargs)


@pytest.mark.parametrize(("path", "rule"), [("thread", "thread"), ("process", "subprocess"),
                                            ("socket", "socket"), ("bundle", "file-write-bundle")])
async def test_the_workers_own_code_raises_what_fails_on_cloudflare(start_worker, tmp_path, path, rule):
    mf = await _strict_worker(start_worker, tmp_path)
    response = await mf.dispatch_fetch(f"/{path}")
    assert response.status_code == 500
    assert f"[{rule}]" in response.text and "NotPortable" in response.text


async def test_the_message_is_the_checks(start_worker, tmp_path, worker_dir):
    mf = await _strict_worker(start_worker, tmp_path)
    response = await mf.dispatch_fetch("/thread")
    finding = next(f for f in check(mf.config.path).findings if f.rule == "thread")
    assert f"{finding.message} [thread] Fix: {finding.fix}" in response.text


async def test_errors_are_of_the_class_cloudflare_raises(start_worker, tmp_path):
    mf = await _strict_worker(start_worker, tmp_path)
    worker = mf.runtime.current()
    for path, kind in (("thread", RuntimeError), ("process", OSError), ("socket", OSError)):
        with pytest.raises(NotPortableError) as caught:
            await worker.fetch(_request(f"http://localhost/{path}"))
        assert isinstance(caught.value, kind)


def _request(url: str):
    from pyflare.workers import Request

    return Request(url)


async def test_entropy_in_a_request_is_fine(start_worker, tmp_path):
    mf = await _strict_worker(start_worker, tmp_path)
    response = await mf.dispatch_fetch("/entropy")
    assert response.status_code == 200 and len(response.text.split()) == 3


async def test_entropy_at_import_fails_the_load_with_the_checks_message(worker_dir):
    from pyflare import Pyflare

    config = worker_dir(_config(), {"src/entry.py": "import uuid\nSESSION = uuid.uuid4()\n"
                                                    "def on_fetch(request):\n    return None\n"})
    finding = next(f for f in check(config).findings if f.rule == "entropy-at-import")
    mf = Pyflare(config, strict_portability=True)
    with pytest.raises(WorkerLoadError) as caught:
        await mf.start()
    assert finding.message in str(caught.value)
    assert "OSError: [Errno 29] Cannot get entropy outside of request context" in str(caught.value)


async def test_seeded_generators_at_import_are_fine(start_worker):
    source = "import random\nRNG = random.Random(7)\nX = RNG.random()\ndef on_fetch(request):\n    return None\n"
    await start_worker(_config(), {"src/entry.py": source}, strict_portability=True)


async def test_random_functions_imported_by_name_work_after_import(start_worker):
    source = textwrap.dedent("""
        from random import choice
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(choice(["a", "b"]))
    """)
    mf = await start_worker(_config(), {"src/entry.py": source}, strict_portability=True)
    assert (await mf.dispatch_fetch("/")).text in ("a", "b")


async def test_sockets_are_allowed_on_python_314(start_worker, tmp_path):
    mf = await _strict_worker(start_worker, tmp_path, flags=', "python_workers_20260610"')
    response = await mf.dispatch_fetch("/socket")
    assert response.status_code == 500
    assert "ConnectionRefusedError" in response.text and "NotPortable" not in response.text


async def test_temporary_files_are_fine_and_others_warn(start_worker, tmp_path):
    mf = await _strict_worker(start_worker, tmp_path)
    assert (await mf.dispatch_fetch("/temp")).status_code == 200
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert (await mf.dispatch_fetch("/elsewhere")).status_code == 200
    assert [w.category for w in caught] == [PortabilityWarning]
    assert "[file-write]" in str(caught[0].message)


async def test_pyflares_own_machinery_keeps_working(start_worker, tmp_path):
    mf = await _strict_worker(start_worker, tmp_path)  # the KV binding runs on aiosqlite's thread
    response = await mf.dispatch_fetch("/kv")
    assert (response.status_code, response.text) == (200, "v")


async def test_vendored_packages_are_not_the_workers_own_code(start_worker):
    source = "import vendored_lib\ndef on_fetch(request):\n    return None\nSTARTED = vendored_lib.start()\n"
    library = "import threading\ndef start():\n    t = threading.Thread(target=print)\n    t.start()\n    t.join()\n    return True\n"
    mf = await start_worker(_config(), {"src/entry.py": source, "python_modules/vendored_lib.py": library},
                            strict_portability=True)
    assert mf.runtime.current().module.STARTED is True


async def test_other_workers_and_unloaded_ones_are_left_alone(start_worker, worker_dir, tmp_path):
    from pyflare import Pyflare

    strict = await _strict_worker(start_worker, tmp_path)
    assert (await strict.dispatch_fetch("/thread")).status_code == 500
    relaxed_config = write_worker(tmp_path / "relaxed", _config(), {"src/entry.py": HANDLER})
    async with Pyflare(relaxed_config) as relaxed:
        assert (await relaxed.dispatch_fetch("/thread")).status_code == 200


async def test_the_config_key_turns_it_on(start_worker):
    mf = await start_worker(_config(extra="[pyflare]\nstrict_portability = true\n"), {"src/entry.py": HANDLER})
    assert (await mf.dispatch_fetch("/thread")).status_code == 500


def test_the_marker_turns_it_on(pytester):
    pytester.makefile(".toml", wrangler=_config())
    (pytester.path / "src").mkdir()
    (pytester.path / "src" / "entry.py").write_text(HANDLER)
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.makepyfile(test_worker=textwrap.dedent("""
        import pytest

        @pytest.mark.strict_portability
        async def test_strict(pyflare):
            assert (await pyflare.dispatch_fetch("/thread")).status_code == 500

        async def test_relaxed(pyflare):
            assert (await pyflare.dispatch_fetch("/thread")).status_code == 200
    """))
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_pyflare_dev_strict_portability_flag(tmp_path):
    from tests.core.test_cli_dev import DevProcess

    config = write_worker(tmp_path / "dev", _config(), {"src/entry.py": HANDLER})
    relaxed = DevProcess(config, "--no-reload", "--no-persist")
    strict = DevProcess(config, "--no-reload", "--no-persist", "--strict-portability")
    try:
        assert relaxed.get("/thread").status_code == 200
        response = strict.get("/thread")
        assert response.status_code == 500 and "[thread]" in response.text
        assert strict.get("/").text == "ok"  # the server itself (uvicorn, its loop) is unaffected
    finally:
        relaxed.stop()
        strict.stop()


async def test_a_virtualenv_inside_the_workers_folder_is_third_party(start_worker):
    source = "import lib_in_venv\ndef on_fetch(request):\n    return None\nSTARTED = lib_in_venv.start()\n"
    library = "import threading\ndef start():\n    t = threading.Thread(target=print)\n    t.start()\n    t.join()\n    return True\n"
    site = "src/.venv/lib/python3.12/site-packages"
    (await start_worker(_config(), {"src/entry.py": "import sys, pathlib\n"
                                    "sys.path.insert(0, str(pathlib.Path(__file__).parent / '.venv/lib/python3.12/site-packages'))\n"
                                    + source, f"{site}/lib_in_venv.py": library}, strict_portability=True))


async def test_strict_mode_refuses_the_non_portable_sample_at_its_first_import_time_draw():
    from pathlib import Path

    from pyflare import Pyflare

    sample = Path(__file__).parent / "nonportable"
    async with Pyflare(sample) as mf:  # it loads under pyflare...
        assert mf.runtime.current().module.SESSION
    with pytest.raises(WorkerLoadError) as caught:  # ...but not in strict mode
        async with Pyflare(sample, strict_portability=True):
            pass
    assert "uuid.uuid4() runs at import time" in str(caught.value)


async def test_code_beside_the_worker_that_the_worker_did_not_import_is_not_the_workers(start_worker, tmp_path):
    # e.g. the project's tests when main sits at the project root: the worker's folder, not the worker's code
    mf = await start_worker(_config().replace("src/entry.py", "entry.py"), {
        "entry.py": "def on_fetch(request):\n    return None\n",
        "tests_beside.py": "import threading\ndef start():\n    t = threading.Thread(target=print)\n"
                           "    t.start()\n    t.join()\n    return True\n"}, strict_portability=True)
    import importlib.util

    spec = importlib.util.spec_from_file_location("tests_beside", mf.config.root / "tests_beside.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.start() is True
