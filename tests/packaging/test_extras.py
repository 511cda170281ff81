"""A missing optional dependency is one line naming the extra that installs it."""

from __future__ import annotations

import sys

import pytest

from pyflare.kernel.distribution import DISTRIBUTION, MissingDependency, require


async def test_websocket_without_httpx_ws_names_the_testing_extra(worker_dir, monkeypatch):
    from pyflare import Pyflare

    config = worker_dir('main = "src/entry.py"\ncompatibility_date = "2025-11-01"\n', {"src/entry.py": """
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response("hi")
    """})
    monkeypatch.setitem(sys.modules, "httpx_ws", None)  # as if it were not installed
    async with Pyflare(config) as mf:
        with pytest.raises(MissingDependency) as caught:
            async with mf.websocket("/"):
                pass
    message = str(caught.value)
    assert "\n" not in message
    assert "httpx-ws" in message and f"python3 -m pip install '{DISTRIBUTION}[testing]'" in message
    assert isinstance(caught.value, ImportError)  # code catching ImportError keeps working


def test_a_module_missing_inside_an_installed_package_is_not_blamed_on_an_extra(tmp_path, monkeypatch):
    (tmp_path / "half_installed").mkdir()
    (tmp_path / "half_installed" / "__init__.py").write_text("import half_installed_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as caught:
        require("half_installed", feature="x", package="half-installed", extra="dev")
    assert caught.value.name == "half_installed_dependency"
    assert not isinstance(caught.value, MissingDependency)
