"""Import resolution as on Cloudflare: plain module names, importlib, python_modules, and the runtime's own
``workers``/``js``/``pyodide``/``asgi`` for every importer, even with Cloudflare's SDK installed."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare, WorkerLoadError

CONFIG = 'name = "t"\nmain = "src/entry.py"\n'


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


async def test_importlib_finds_the_worker_modules_by_their_plain_names(start_worker):
    # Django imports settings and apps with importlib.import_module; models need their real module name.
    mf = await start_worker(CONFIG, {
        "src/project/__init__.py": "",
        "src/project/settings.py": "APPS = ['todos']\n",
        "src/todos/__init__.py": "",
        "src/todos/models.py": "class Todo:\n    pass\n",
        "src/entry.py": """
            import importlib
            from workers import Response
            def on_fetch(request):
                settings = importlib.import_module("project.settings")
                models = importlib.import_module(settings.APPS[0] + ".models")
                return Response(f"{settings.__name__} {models.Todo.__module__}")
        """,
    })
    assert (await mf.dispatch_fetch("/")).text == "project.settings todos.models"
    await mf.close()
    assert "todos.models" not in sys.modules and "project" not in sys.modules


async def test_a_package_outside_the_worker_imports_worker_modules_through_importlib(start_worker, tmp_path,
                                                                                    monkeypatch):
    site = tmp_path / "site"
    _write(site, {"framework_x/__init__.py": """
        import importlib, os
        def settings():
            return importlib.import_module(os.environ["X_SETTINGS"]).NAME
    """})
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("X_SETTINGS", "conf.settings")
    mf = await start_worker(CONFIG, {
        "src/conf/__init__.py": "",
        "src/conf/settings.py": "NAME = 'from the worker'\n",
        "src/entry.py": "import framework_x\nfrom workers import Response\n"
                        "def on_fetch(request):\n    return Response(framework_x.settings())\n",
    })
    assert (await mf.dispatch_fetch("/")).text == "from the worker"


async def test_third_party_packages_get_pyflares_modules_even_with_cloudflares_sdk_installed(start_worker, tmp_path,
                                                                                            monkeypatch):
    site = tmp_path / "site-packages"
    _write(site, {
        # What workers-runtime-sdk puts in site-packages: top-level workers, asgi (and Pyodide's js/pyodide).
        "workers/__init__.py": "FAKE = True\n",
        "workers/wsgi.py": "FAKE = True\n",
        "asgi.py": "FAKE = True\n",
        "js.py": "raise ImportError('js only exists inside Pyodide')\n",
        "pyodide/__init__.py": "FAKE = True\n",
        "pyodide/ffi.py": "FAKE = True\n",
        "cf_integration/__init__.py": """
            import js
            import asgi
            from pyodide.ffi import to_js
            from workers import Response, wsgi
            def describe():
                return " ".join(m.__name__ for m in (js, asgi, wsgi)) + " " + to_js.__module__
        """,
    })
    monkeypatch.syspath_prepend(str(site))
    import workers  # noqa: F401 - the SDK is already imported when the worker starts
    import workers.wsgi  # noqa: F401
    fake = sys.modules["workers"]
    try:
        mf = await start_worker(CONFIG, {"src/entry.py": """
            import cf_integration, workers
            from workers import Response
            def on_fetch(request):
                return Response(cf_integration.describe() + " " + workers.__name__)
        """})
        assert (await mf.dispatch_fetch("/")).text == (
            "pyflare.workers.js pyflare.workers.asgi pyflare.workers.wsgi pyflare.workers.pyodide.ffi pyflare.workers"
        )
        await mf.close()
        assert sys.modules["workers"] is fake  # the SDK is back once no worker is loaded
        assert sys.modules["workers.wsgi"].FAKE
        assert "js" not in sys.modules
    finally:
        for name in [n for n in sys.modules if n.partition(".")[0] in ("workers", "asgi", "pyodide", "cf_integration")]:
            del sys.modules[name]


async def test_python_modules_is_importable_and_an_installed_package_wins(start_worker, worker_dir):
    mf = await start_worker(CONFIG, {
        "python_modules/vendored_lib/__init__.py": "from .core import VALUE\n",
        "python_modules/vendored_lib/core.py": "VALUE = 'vendored'\n",
        "python_modules/httpx/__init__.py": "raise ImportError('a Pyodide build CPython cannot load')\n",
        "src/entry.py": """
            import httpx, vendored_lib
            from workers import Response
            def on_fetch(request):
                return Response(vendored_lib.VALUE + " " + str(hasattr(httpx, "AsyncClient")))
        """,
    })
    assert (await mf.dispatch_fetch("/")).text == "vendored True"
    await mf.close()
    assert "vendored_lib" not in sys.modules


async def test_a_worker_module_named_like_the_standard_library_stays_the_workers(start_worker):
    mf = await start_worker(CONFIG, {
        "src/calendar.py": "OWN = 'worker calendar'\n",
        "src/entry.py": "import calendar\nfrom workers import Response\n"
                        "def on_fetch(request):\n    return Response(calendar.OWN)\n",
    })
    assert (await mf.dispatch_fetch("/")).text == "worker calendar"
    import calendar

    assert hasattr(calendar, "monthrange")  # the rest of the process keeps the standard library's


async def test_a_worker_module_named_like_an_installed_package_does_not_replace_it_for_libraries(start_worker):
    # danlapid/python-workers-mcp ships an empty src/uvicorn.py so that mcp's `import uvicorn` succeeds in
    # Pyodide; the worker's own import gets that file, a library importing uvicorn gets the real one.
    mf = await start_worker(CONFIG, {
        "src/uvicorn.py": "STUB = True\n",
        "src/entry.py": """
            import importlib
            import uvicorn
            from workers import Response
            def on_fetch(request):
                real = importlib.import_module("uvicorn.config")  # what a library reaches
                return Response(f"{getattr(uvicorn, 'STUB', False)} {hasattr(real, 'Config')}")
        """,
    })
    assert (await mf.dispatch_fetch("/")).text == "True True"


async def test_two_workers_with_the_same_package_keep_separate_modules_and_reload_takes_names_over(tmp_path):
    paths = [write_worker(tmp_path / name, CONFIG, {
        "src/shared_pkg/__init__.py": f"NAME = {name!r}\n",
        "src/entry.py": "from workers import Response\nimport shared_pkg\n"
                        "def on_fetch(request):\n    import shared_pkg as again\n"
                        "    return Response(shared_pkg.NAME + again.NAME)\n",
    }) for name in ("one", "two")]
    async with Pyflare(paths[0]) as one, Pyflare(paths[1]) as two:
        assert (await one.dispatch_fetch("/")).text == "oneone"
        assert (await two.dispatch_fetch("/")).text == "twotwo"
        (paths[0].parent / "src/shared_pkg/__init__.py").write_text("NAME = 'ONE'\n")
        one.reload()
        assert (await one.dispatch_fetch("/")).text == "ONEONE"
        assert (await two.dispatch_fetch("/")).text == "twotwo"
        assert sys.modules["shared_pkg"].NAME == "ONE"  # the first worker's names are plain


async def test_a_failed_reload_gives_the_names_back(start_worker):
    mf = await start_worker(CONFIG, {
        "src/helper_mod.py": "VALUE = 'v1'\n",
        "src/entry.py": "import importlib\nimport helper_mod\nfrom workers import Response\n"
                        "def on_fetch(request):\n    return Response(importlib.import_module('helper_mod').VALUE)\n",
    })
    assert (await mf.dispatch_fetch("/")).text == "v1"
    (mf.config.root / "src/helper_mod.py").write_text("VALUE = (\n")
    with pytest.raises(WorkerLoadError, match="SyntaxError"):
        mf.reload()
    assert sys.modules["helper_mod"].VALUE == "v1"  # still the serving load's module
    (mf.config.root / "src/helper_mod.py").write_text("VALUE = 'v2'\n")
    mf.reload()
    assert (await mf.dispatch_fetch("/")).text == "v2"
