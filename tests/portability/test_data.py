"""The knowledge pyflare check decides from: target runtimes, Pyodide's package lists, wheel tags, the
standard library by version, and the command that refreshes the data."""

from __future__ import annotations

import json

import pytest

from pyflare.portability import refresh
from pyflare.portability.packages import pyodide_index, wheel_loads
from pyflare.portability.targets import global_handlers_disabled, target_for


@pytest.mark.parametrize(("date", "flags", "python", "pyodide"), [
    ("2025-06-01", ["python_workers"], "3.12", "0.26.0a2"),
    ("2025-09-28", ["python_workers"], "3.12", "0.26.0a2"),
    ("2025-09-29", ["python_workers"], "3.13", "0.28.2"),  # python_workers_20250116 implied from this date
    ("2025-01-01", ["python_workers", "python_workers_20250116"], "3.13", "0.28.2"),
    ("2026-01-01", ["python_workers", "no_python_workers_20250116"], "3.12", "0.26.0a2"),
    ("2026-01-01", ["python_workers", "python_workers_20260610"], "3.14", "314.0.4"),
    ("2026-01-01", ["python_workers", "python_workers_20260610", "python_workers_20260817"], "3.14", "314.0.5"),
])
def test_the_flags_and_date_pick_the_runtime_as_workerd_does(date, flags, python, pyodide):
    target = target_for(date, flags)
    assert (target.python, target.pyodide) == (python, pyodide)


def test_without_python_workers_there_is_no_python_runtime():
    assert target_for("2026-01-01", ["nodejs_compat"]) is None


def test_global_handlers_stop_from_2025_08_14():
    assert not global_handlers_disabled("2025-08-13", [])
    assert global_handlers_disabled("2025-08-14", [])
    assert not global_handlers_disabled("2026-01-01", ["disable_python_no_global_handlers"])


@pytest.mark.parametrize("version", ["0.27.7", "0.28.3", "314.0.2"])
def test_each_package_index_records_its_source_and_date(version):
    index = pyodide_index(version)
    assert f"pyodide@{version}" in index.source and "sha256" in index.source
    assert index.retrieved
    assert index.get("numpy").binary and not index.get("jinja2").binary
    assert index.by_import["yaml"] == "pyyaml"


@pytest.mark.parametrize(("wheel", "python", "abi", "loads"), [
    ("jinja2-3.1.6-py3-none-any.whl", "3.13", "2025_0", True),
    ("six-1.17.0-py2.py3-none-any.whl", "3.12", "2024_0", True),
    ("markupsafe-3.0.4-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "3.13", "2025_0", False),
    ("uuid_utils-0.19.0-cp310-abi3-pyemscripten_2025_0_wasm32.whl", "3.13", "2025_0", True),
    ("uuid_utils-0.19.0-cp310-abi3-pyemscripten_2025_0_wasm32.whl", "3.14", "2026_0", False),
    ("numpy-2.2.5-cp313-cp313-pyodide_2025_0_wasm32.whl", "3.13", "2025_0", True),
    ("pydantic_core-2.50.5-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "3.13", "2025_0", False),
    ("tomli-2.0.0-py3-none-any.whl", "3.12", "2024_0", True),
    ("foo-1.0-py314-none-any.whl", "3.13", "2025_0", False),  # a wheel for a newer Python
])
def test_wheel_tags_decide_what_pyodide_loads(wheel, python, abi, loads):
    target = target_for("2026-01-01", {"3.12": ["python_workers", "no_python_workers_20250116"],
                                       "3.13": ["python_workers"],
                                       "3.14": ["python_workers", "python_workers_20260610"]}[python])
    assert wheel_loads(wheel, target, abi) is loads


def test_refresh_reads_a_pyodide_lock(tmp_path):
    lock = {"info": {"python": "3.13.2", "abi_version": "2025_0", "platform": "emscripten_4_0_9"},
            "packages": {
                "numpy": {"name": "numpy", "version": "2.2.5", "package_type": "package", "imports": ["numpy"],
                          "depends": [], "file_name": "numpy-2.2.5-cp313-cp313-pyodide_2025_0_wasm32.whl"},
                "Jinja2": {"name": "Jinja2", "version": "3.1.6", "package_type": "package", "imports": ["jinja2"],
                           "depends": ["MarkupSafe"], "file_name": "jinja2-3.1.6-py3-none-any.whl"},
                "numpy-tests": {"name": "numpy-tests", "version": "2.2.5", "package_type": "package",
                                "imports": [], "depends": ["numpy"], "file_name": "numpy-tests.tar"},
            }}
    path = tmp_path / "pyodide-lock.json"
    path.write_text(json.dumps(lock))
    version, loaded, origin = refresh._read_lock(f"0.28.3={path}")
    index = refresh.pyodide_index(loaded)
    assert version == "0.28.3" and str(path) in origin and "sha256" in origin
    assert index["packages"] == {
        "jinja2": {"name": "Jinja2", "version": "3.1.6", "type": "package", "binary": False, "imports": ["jinja2"],
                   "depends": ["markupsafe"]},
        "numpy": {"name": "numpy", "version": "2.2.5", "type": "package", "binary": True, "imports": ["numpy"],
                  "depends": []},
    }


def test_refresh_reads_typeshed_version_guards(tmp_path):
    (tmp_path / "VERSIONS").write_text("copy: 3.0-\nannotationlib: 3.14-\ndistutils: 3.0-3.11\n_private: 3.14-\n")
    (tmp_path / "copy.pyi").write_text(
        "import sys\ndef deepcopy(x): ...\nif sys.version_info >= (3, 13):\n    def replace(obj, /, **changes): ...\n"
        "if sys.version_info < (3, 14):\n    def gone(): ...\n")
    data = refresh.refresh_stdlib(tmp_path)
    assert data["modules"] == {"annotationlib": {"added": "3.14"}, "distutils": {"removed": "3.12"}}
    assert data["names"] == {"copy": {"gone": {"removed": "3.14"}, "replace": {"added": "3.13"}}}
    assert data["source"] and data["retrieved"]
