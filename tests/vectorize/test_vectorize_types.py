"""``pyflare types`` types a Vectorize binding with a Protocol that matches the binding object."""

from __future__ import annotations

import inspect

from tests.vectorize.conftest import PLAIN_ENTRY, index_config

from pyflare.bindings.vectorize import VectorizeIndex
from pyflare.cli import main
from pyflare.workers.bindings import Vectorize


def test_pyflare_types_writes_the_vectorize_type(worker_dir, capsys):
    config = worker_dir(index_config(), {"src/entry.py": PLAIN_ENTRY})
    assert main(["types", str(config)]) == 0
    stub = (config.parent / "src" / "js-stubs" / "__init__.pyi").read_text()
    assert "    VECTORS: Vectorize  # Vectorize Index (docs)\n" in stub
    assert "Vectorize" in stub[: stub.index("class Env:")]  # imported


def test_the_protocol_has_the_bindings_methods_and_parameters():
    names = [n for n, member in vars(Vectorize).items() if inspect.isfunction(member) and not n.startswith("_")]
    assert sorted(names) == ["deleteByIds", "describe", "getByIds", "insert", "query", "queryById", "upsert"]
    for name in names:
        declared = list(inspect.signature(getattr(Vectorize, name)).parameters)
        actual = list(inspect.signature(getattr(VectorizeIndex, name)).parameters)
        assert declared == actual, name
