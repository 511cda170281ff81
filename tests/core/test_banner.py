"""The ``pyflare dev`` banner: every binding with its kind, resource and local state; vars and secrets."""

from __future__ import annotations

import json

from tests.conftest import write_worker
from tests.core.test_cli_dev import DevProcess

from pyflare.cli.banner import banner_json, banner_lines
from pyflare.config import load_config
from pyflare.config.bindings import describe_bindings

CONFIG = """
name = "shop"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[vars]
GREETING = "hello"
LIMITS = { max = 3 }

[[kv_namespaces]]
binding = "KV"
id = "abc123"

[[d1_databases]]
binding = "DB"
database_name = "shop-db"

[ai]
binding = "AI"

[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"

[[ratelimits]]
name = "LIMITER"
namespace_id = "1001"
simple = { limit = 10, period = 60 }

[[mtls_certificates]]
binding = "CERT"
certificate_id = "cert-1"
"""
# Bindings that need other workers or classes to start; described from the config alone.
DESCRIBED_ONLY = """
[[services]]
binding = "AUTH"
service = "auth-worker"
entrypoint = "Sessions"

[[workflows]]
binding = "FLOW"
name = "order-flow"
class_name = "OrderFlow"
"""
ENTRY = {"src/entry.py": "from workers import DurableObject, Response\n"
                         "class Counter(DurableObject):\n    pass\n"
                         "def on_fetch(request):\n    return Response('x')\n"}


def test_bindings_are_described_from_the_config_without_a_list_of_kinds(tmp_path):
    config = load_config(write_worker(tmp_path / "w", CONFIG + DESCRIBED_ONLY, ENTRY))
    described = {(d.name, d.kind, d.resource) for d in describe_bindings(config.worker)}
    assert described == {
        ("KV", "KV Namespace", "abc123"), ("DB", "D1 Database", "shop-db"), ("AI", "AI", None),
        ("COUNTER", "Durable Object", "Counter"), ("LIMITER", "Rate Limit", "1001"),
        ("CERT", "mTLS Certificate", "cert-1"), ("AUTH", "Worker", "auth-worker#Sessions"),
        ("FLOW", "Workflow", "OrderFlow"),
    }


async def test_banner_lists_bindings_with_state_vars_and_hidden_secrets(tmp_path):
    from pyflare import Pyflare

    folder = tmp_path / "w"
    write_worker(folder, CONFIG, ENTRY)
    (folder / ".dev.vars").write_text("API_KEY=s3cret\n")
    async with Pyflare(folder / "wrangler.toml", vars={"EXTRA": "1"}) as mf:
        lines = banner_lines(mf.config, mf.env, persist_to=folder / ".pyflare" / "state")
        # (a line saying Cloudflare would run Python 3.13 comes first when another Python runs the test)
        lines = [line for line in lines if not line.startswith("▲ [WARNING] Python 3.13: ")]
        text = "\n".join(lines)
        as_json = json.loads(banner_json(mf.config, mf.env, persist_to=None))
    assert lines[0].startswith("Using vars defined in ") and lines[0].endswith(".dev.vars")
    assert "Your Worker has access to the following bindings:" in lines
    rows = {line.split()[0]: line for line in lines if line.startswith("env.")}
    assert rows["env.KV"].split()[1:] == ["(abc123)", "KV", "Namespace", "local"]
    assert rows["env.DB"].endswith("local")
    # (AI, Durable Objects and rate limits are being emulated; mTLS certificates will stay out of reach:
    # they are in env, and any use says they need Cloudflare)
    assert rows["env.CERT"].endswith("needs Cloudflare")
    assert 'env.GREETING ("hello")' in text and 'env.LIMITS ({"max":3})' in text
    assert 'env.API_KEY ("(hidden)")' in text and "s3cret" not in text
    assert 'env.EXTRA ("1")' in text  # a --var override is not a secret
    warning = next(line for line in lines if "Needs Cloudflare:" in line)
    assert "env.CERT (mTLS Certificate)" in warning and "env.KV" not in warning
    assert "Local state:" in text and "No compatibility_date" not in text
    modes = {b["name"]: b["mode"] for b in as_json["bindings"]}
    assert modes["KV"] == "local" and modes["CERT"] == "needs Cloudflare" and as_json["state"] is None
    assert as_json["secrets_file"].endswith(".dev.vars") and "s3cret" not in json.dumps(as_json)


def test_dev_prints_the_banner_and_warnings_before_ready(tmp_path):
    config = write_worker(tmp_path / "w", 'main = "src/entry.py"\n[[kv_namespaces]]\nbinding = "KV"\nid = "k"\n'
                          '[triggers]\ncrons = ["*/5 * * * *"]\n', ENTRY)
    proc = DevProcess(config, "--no-reload")
    _, err = proc.stop()
    assert err.startswith(" ⛅️ pyflare ")
    assert "No compatibility_date was specified." in err
    assert "The `python_workers` compatibility flag is required to use Python." in err
    assert "Your Worker has access to the following bindings:" in err
    assert "env.KV (k)" in err and "KV Namespace" in err
    assert f'curl "{proc.url}/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*"' in err
    assert "Local state: " in err and ".pyflare" in err


def test_a_binding_object_can_describe_its_own_mode(tmp_path):
    from pyflare.cli.banner import banner_rows

    class Simulated:
        banner_mode = "local (simulated)"

    config = load_config(write_worker(tmp_path / "w", CONFIG, ENTRY))
    env = {"KV": Simulated(), "DB": object()}
    modes = {row.name: row.mode for row in banner_rows(config, env)}
    assert modes["KV"] == "local (simulated)" and modes["DB"] == "local" and modes["CERT"] == "not emulated"
