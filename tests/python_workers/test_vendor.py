"""Vendored packages where workerd puts them on sys.path: ``src/vendor/`` (the legacy path, before
2025-08-11), ``python_modules/`` with its ``.pth`` files (from 2026-05-26), and their distributions'
metadata; a vendored version that an installed one hides is named."""

from __future__ import annotations

import sys

import pytest

VENDORED = {
    "src/vendor/tinytemplate/__init__.py": "def render(name):\n    return f'Hello, {name}!'\n",
    "src/vendor/tinytemplate-1.2.3.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinytemplate\nVersion: 1.2.3\n",
    "src/entry.py": """
        import importlib.metadata
        from workers import Response

        async def on_fetch(request, env):
            import tinytemplate
            return Response(tinytemplate.render("bob") + " " + importlib.metadata.version("tinytemplate"))
    """,
}


def config(date: str, *flags: str) -> str:
    listed = ", ".join(f'"{f}"' for f in ("python_workers", *flags))
    return (f'name = "v"\nmain = "src/entry.py"\ncompatibility_date = "{date}"\ncompatibility_flags = [{listed}]\n'
            '[[rules]]\nglobs = ["vendor/**"]\ntype = "Data"\nfallthrough = true\n')


async def test_src_vendor_is_importable_with_its_metadata_for_older_compatibility_dates(start_worker):
    mf = await start_worker(config("2025-03-16"), VENDORED)
    response = await mf.dispatch_fetch("/")
    assert (response.status_code, response.text) == (200, "Hello, bob! 1.2.3")
    await mf.close()
    assert "tinytemplate" not in sys.modules  # unloaded with the worker


@pytest.mark.parametrize("settings", [("2025-08-11",), ("2025-03-16", "python_workers_force_new_vendor_path")])
async def test_src_vendor_is_not_on_the_path_once_cloudflare_dropped_it(start_worker, settings):
    mf = await start_worker(config(*settings), VENDORED)
    response = await mf.dispatch_fetch("/")
    assert response.status_code == 500
    assert "No module named 'tinytemplate'" in response.text


PTH_PROJECT = {
    "python_modules/extra.pth": "# a comment\nextra_libs\nimport pth_marker\n",
    "python_modules/extra_libs/from_pth.py": "VALUE = 'found through the .pth'\n",
    "python_modules/pth_marker.py": "import builtins\nbuiltins.PTH_RAN = True\n",
    "src/entry.py": """
        import builtins
        from workers import Response

        def on_fetch(request):
            import from_pth
            return Response(f"{from_pth.VALUE} {getattr(builtins, 'PTH_RAN', False)}")
    """,
}


async def test_pth_files_in_python_modules_are_processed_from_2026_05_26(start_worker):
    import builtins

    mf = await start_worker(config("2026-05-26"), PTH_PROJECT)
    try:
        assert (await mf.dispatch_fetch("/")).text == "found through the .pth True"
    finally:
        builtins.__dict__.pop("PTH_RAN", None)


async def test_pth_files_are_ignored_before_2026_05_26(start_worker):
    mf = await start_worker(config("2026-05-25"), PTH_PROJECT)
    response = await mf.dispatch_fetch("/")
    assert "No module named 'from_pth'" in response.text


async def test_a_vendored_version_hidden_by_an_installed_one_is_named(start_worker, pyflare_log):
    import httpx

    await start_worker(config("2025-03-16"), {
        "src/vendor/httpx-0.0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: httpx\nVersion: 0.0.1\n",
        "src/entry.py": "from workers import Response\ndef on_fetch(request):\n    return Response('ok')\n",
    })
    assert any(line.endswith(f"src/vendor: httpx 0.0.1 is vendored but httpx {httpx.__version__} is installed; "
                             "pyflare imports the installed one (Cloudflare imports the vendored one)")
               for line in pyflare_log.lines)
