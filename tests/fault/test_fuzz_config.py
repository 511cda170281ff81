"""Hypothesis over config files: any file gives a working config or one ConfigError (one line, exit
status 2 from the CLI), never a traceback from deep inside."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from fuzzing import any_text, edge_numbers
from hypothesis import given, settings
from hypothesis import strategies as st

from pyflare import Pyflare
from pyflare.config import ConfigError, load_config

ENTRY = "from workers import Response\ndef on_fetch(request):\n    return Response('ok')\n"

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), edge_numbers.filter(lambda n: n == n and abs(n) != float("inf")),
              any_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(any_text, inner, max_size=3)),
    max_leaves=8,
)
names = st.one_of(st.sampled_from(["KV", "q", "my-db", "a/../b", "\ud800", "x\x00y", ""]), any_text)
binding = st.fixed_dictionaries({"binding": names}, optional={"id": names, "bucket_name": names,
                                                              "database_name": names, "queue": names})
configs = st.fixed_dictionaries(
    {"main": st.one_of(st.just("src/entry.py"), any_text, json_values)},
    optional={
        "name": st.one_of(names, json_values),
        "compatibility_date": st.one_of(st.just("2025-11-01"), any_text),
        "compatibility_flags": st.lists(any_text, max_size=2),
        "vars": st.one_of(st.dictionaries(any_text, json_values, max_size=3), json_values),
        "kv_namespaces": st.one_of(st.lists(binding, max_size=2), json_values),
        "r2_buckets": st.one_of(st.lists(binding, max_size=2), json_values),
        "d1_databases": st.one_of(st.lists(binding, max_size=2), json_values),
        "queues": st.one_of(
            st.fixed_dictionaries({}, optional={
                "producers": st.lists(st.fixed_dictionaries({"binding": names, "queue": names}), max_size=2),
                "consumers": st.lists(st.fixed_dictionaries(
                    {"queue": names},
                    optional={"max_batch_size": edge_numbers, "max_retries": edge_numbers,
                              "dead_letter_queue": names}), max_size=2),
            }),
            json_values,
        ),
        "triggers": st.one_of(
            st.fixed_dictionaries({"crons": st.lists(st.one_of(
                st.sampled_from(["*/5 * * * *", "0 0 30 2 *", "0 0 29 2 *", "61 * * * *", "* * * *"]),
                any_text), max_size=2)}),
            json_values,
        ),
        "pyflare": st.one_of(st.fixed_dictionaries({}, optional={"synchronous": any_text,
                                                                "kv_propagation_delay": edge_numbers}),
                             json_values),
        "env": json_values,
    },
)


def write(folder: Path, name: str, text: str) -> Path:
    (folder / "src").mkdir(parents=True, exist_ok=True)
    (folder / "src" / "entry.py").write_text(ENTRY)
    for old in folder.glob("wrangler.*"):
        old.unlink()
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_any_json_config_loads_or_is_a_config_error(tmp_path: Path) -> None:
    @given(configs)
    def check(config: dict[str, Any]) -> None:
        path = write(tmp_path, "wrangler.json", json.dumps(config))  # ensure_ascii: lone surrogates as \\ud800
        try:
            load_config(path)
        except ConfigError as exc:
            assert "\n" not in str(exc).strip()
            str(exc).encode("utf-8")  # printable on any terminal

    check()


def test_any_toml_text_loads_or_is_a_config_error(tmp_path: Path) -> None:
    toml_lines = st.lists(st.one_of(
        st.sampled_from(['main = "src/entry.py"', "[[kv_namespaces]]", 'binding = "KV"', "[triggers]",
                         'crons = ["0 0 30 2 *"]', "[pyflare]", 'synchronous = "full"', "a = " + "[" * 2000,
                         "[vars]", 'X = "\\u0000"']),
        any_text,
    ), max_size=6)

    @given(toml_lines)
    def check(lines: list[str]) -> None:
        text = "\n".join(lines).encode("utf-8", "replace").decode("utf-8")
        path = write(tmp_path, "wrangler.toml", text)
        try:
            load_config(path)
        except ConfigError as exc:
            assert "\n" not in str(exc).strip()

    check()


@settings(max_examples=40)
@given(configs)
def test_a_loadable_config_starts_or_is_a_config_error(tmp_path_factory: Any, config: dict[str, Any]) -> None:
    folder = tmp_path_factory.mktemp("cfg")
    path = write(folder, "wrangler.json", json.dumps(config))

    async def start() -> None:
        try:
            async with Pyflare(path, clock="manual") as mf:
                await mf.dispatch_fetch("/")
        except ConfigError:
            pass

    asyncio.run(start())
