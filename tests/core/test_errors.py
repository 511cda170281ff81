"""Errors in worker code show the worker's own frames; pyflare's and importlib's are hidden unless verbose."""

from __future__ import annotations

import pytest

from pyflare import Pyflare, WorkerLoadError
from pyflare.runtime.errors import format_user_traceback, set_verbose

FAILING = """
from workers import WorkerEntrypoint

def compute(n):
    return 10 // n

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return compute(0)
"""


async def test_500_page_shows_the_workers_frames_and_hides_pyflares(start_worker):
    mf = await start_worker('main = "src/entry.py"\n', {"src/entry.py": FAILING})
    response = await mf.dispatch_fetch("/")
    assert response.status_code == 500
    body = response.text
    assert "ZeroDivisionError: integer division or modulo by zero" in body
    assert 'entry.py", line 9, in fetch' in body and 'entry.py", line 5, in compute' in body
    assert "pyflare/runtime" not in body and "pyflare/runtime" not in body.replace("\\", "/")
    # the user's frames come first, right after the header
    assert body.splitlines()[3].strip().startswith('File "') and "entry.py" in body.splitlines()[3]
    assert "frames of pyflare hidden; pyflare dev --verbose shows them" in body


async def test_verbose_keeps_every_frame(start_worker):
    mf = await start_worker('main = "src/entry.py"\n', {"src/entry.py": FAILING})
    set_verbose(True)
    try:
        body = (await mf.dispatch_fetch("/")).text
    finally:
        set_verbose(False)
    assert "runtime/app.py" in body.replace("\\", "/") and "hidden" not in body


async def test_import_error_shows_the_users_line_without_importlib_frames(worker_dir):
    config = worker_dir('main = "src/entry.py"\n', {
        "src/entry.py": "import helper\nfrom workers import Response\n",
        "src/helper.py": "VALUE = 1\nraise RuntimeError('bad config value')\n",
    })
    with pytest.raises(WorkerLoadError) as caught:
        await Pyflare(config).start()
    details = caught.value.details
    assert "<frozen importlib" not in details and "importlib/__init__" not in details.replace("\\", "/")
    assert "pyflare/runtime" not in details.replace("\\", "/")
    lines = [line.strip() for line in details.splitlines()]
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1].startswith('File "') and lines[1].endswith('entry.py", line 1, in <module>')
    assert any(line.endswith('helper.py", line 2, in <module>') for line in lines)
    assert "RuntimeError: bad config value" in details


async def test_syntax_error_names_the_file_and_line_only(worker_dir):
    config = worker_dir('main = "src/entry.py"\n', {"src/entry.py": "def broken(:\n    pass\n"})
    with pytest.raises(WorkerLoadError) as caught:
        await Pyflare(config).start()
    details = caught.value.details
    assert 'entry.py", line 1' in details and "SyntaxError" in details
    assert "Traceback (most recent" not in details and "<frozen" not in details


def test_an_error_with_no_worker_frame_keeps_its_frames():
    def inner() -> None:
        raise ValueError("pyflare's own bug")

    try:
        inner()
    except ValueError as exc:
        text = format_user_traceback(exc)
    assert "in inner" in text and "hidden" not in text


def test_chained_exceptions_are_filtered_too(tmp_path):
    import importlib.util
    import sys

    user = tmp_path / "user_code.py"
    user.write_text("def fail():\n    raise KeyError('k')\n")
    spec = importlib.util.spec_from_file_location("user_code_for_chain_test", user)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.pop("user_code_for_chain_test", None)
    try:
        try:
            module.fail()
        except KeyError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as exc:
        text = format_user_traceback(exc)
    assert 'user_code.py", line 2, in fail' in text
    assert "The above exception was the direct cause" in text and "RuntimeError: wrapped" in text


async def test_a_missing_handler_is_one_clear_line_not_pyflares_traceback(start_worker):
    mf = await start_worker('main = "src/entry.py"\n', {"src/entry.py": "VALUE = 1\n"})
    response = await mf.dispatch_fetch("/")
    assert response.status_code == 500
    body = response.text
    assert "entry.py has no fetch handler: define class Default(WorkerEntrypoint)" in body
    assert "Traceback" not in body and "pyflare/runtime" not in body.replace("\\", "/")
