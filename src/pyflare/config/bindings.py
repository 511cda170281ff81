"""Every binding a config declares, described generically: its name in ``env``, its kind and its resource.

The description is derived from the config itself, not from a list of what pyflare emulates, so a binding
kind that another part of pyflare adds (a new model in :mod:`pyflare.config.models`) or that pyflare parses
without emulating (``ai``, ``vectorize``, ``hyperdrive``...) is described too:

- every list of models (or dicts) under a config key, and every single model or dict under a binding key,
  is a binding when it has a ``binding`` (else ``name``) string: ``[[kv_namespaces]]``, ``[ai]``,
  ``[[durable_objects.bindings]]``, ``[[ratelimits]]``...;
- its kind is :data:`KIND_NAMES`' friendly name for the key (wrangler's words), else one made from the key;
- its resource is the first of :data:`RESOURCE_KEYS` it sets.

A model can describe itself instead by defining ``describe_binding() -> tuple[str, str, str | None] | None``
(``(name, kind, resource)``, or None for "not a binding").

Whether pyflare emulates a binding is decided by whoever runs the worker (the banner asks the worker's
``env``), not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from pyflare.config.models import WorkerConfig

# wrangler's names for binding kinds (packages/wrangler/src/utils/print-bindings.ts), singular.
KIND_NAMES = {
    "durable_objects.bindings": "Durable Object",
    "workflows": "Workflow",
    "kv_namespaces": "KV Namespace",
    "send_email": "Send Email",
    "queues.producers": "Queue",
    "d1_databases": "D1 Database",
    "vectorize": "Vectorize Index",
    "hyperdrive": "Hyperdrive Config",
    "r2_buckets": "R2 Bucket",
    "services": "Worker",
    "analytics_engine_datasets": "Analytics Engine Dataset",
    "browser": "Browser",
    "ai": "AI",
    "images": "Images",
    "version_metadata": "Worker Version Metadata",
    "dispatch_namespaces": "Dispatch Namespace",
    "mtls_certificates": "mTLS Certificate",
    "pipelines": "Pipeline",
    "secrets_store_secrets": "Secrets Store Secret",
    "assets": "Assets",
    "ratelimits": "Rate Limit",
    "unsafe.bindings": "Unsafe Metadata",
}

# Keys that hold something other than bindings (or bindings described elsewhere).
NOT_BINDINGS = {"vars", "define", "env", "dev", "pyflare", "migrations", "triggers", "queues.consumers",
                "tail_consumers", "routes", "route", "build", "rules", "placement", "limits", "observability",
                "site", "containers", "logpush", "alias", "compatibility_flags", "access"}

# Which field names a resource: the first one set is shown beside the binding.
RESOURCE_KEYS = ("bucket_name", "database_name", "database_id", "id", "queue", "class_name", "service",
                 "index_name", "dataset", "namespace", "namespace_id", "directory", "pipeline", "store_id",
                 "certificate_id", "destination_address")


@dataclass(frozen=True)
class BindingDescription:
    """One binding: ``env.<name>`` is a ``kind`` over ``resource`` (None when it names no resource)."""

    name: str
    kind: str
    resource: str | None = None
    key: str = ""  # the config key it came from, e.g. "kv_namespaces"


def kind_name(key: str) -> str:
    if key in KIND_NAMES:
        return KIND_NAMES[key]
    last = key.rsplit(".", 1)[-1]
    words = last.replace("_", " ").strip()
    return words[:1].upper() + words[1:].rstrip("s") if words else key


def _fields(item: Any) -> dict[str, Any]:
    if isinstance(item, BaseModel):
        data = {name: getattr(item, name) for name in type(item).model_fields}
        data.update(item.model_extra or {})
        return data
    return item if isinstance(item, dict) else {}


def _describe_one(item: Any, key: str) -> BindingDescription | None:
    hook = getattr(item, "describe_binding", None)
    if callable(hook):
        described = hook()
        return BindingDescription(described[0], described[1], described[2], key) if described else None
    fields = _fields(item)
    name = fields.get("binding") if isinstance(fields.get("binding"), str) else fields.get("name")
    if not isinstance(name, str) or not name:
        return None
    resource = next((str(fields[k]) for k in RESOURCE_KEYS if isinstance(fields.get(k), (str, int))
                     and fields.get(k) != ""), None)
    if resource is not None and isinstance(fields.get("entrypoint"), str) and fields["entrypoint"]:
        resource += f"#{fields['entrypoint']}"  # a named entrypoint of a service, as wrangler shows it
    if resource is not None and fields.get("script_name"):  # a class another worker defines, as wrangler shows it
        if key == "durable_objects.bindings":
            resource += f", defined in {fields['script_name']}"
        elif key == "workflows":
            resource += f" (defined in {fields['script_name']})"
    return BindingDescription(name, kind_name(key), resource, key)


def _walk(value: Any, key: str, found: list[BindingDescription]) -> None:
    if key in NOT_BINDINGS:
        return
    items = value if isinstance(value, list) else [value]
    direct = [_describe_one(item, key) for item in items if isinstance(item, (BaseModel, dict))]
    if any(direct):
        found.extend(d for d in direct if d is not None)
        return
    for item in items:  # a table of tables (queues, durable_objects, unsafe): look one level down
        if isinstance(item, (BaseModel, dict)):
            for sub_key, sub_value in _fields(item).items():
                if isinstance(sub_value, (list, BaseModel, dict)):
                    _walk(sub_value, f"{key}.{sub_key}", found)


def describe_bindings(worker: WorkerConfig) -> list[BindingDescription]:
    """Every binding ``worker`` declares (vars and secrets excluded), in config order."""
    found: list[BindingDescription] = []
    for key, value in _fields(worker).items():
        if isinstance(value, (list, BaseModel, dict)) and value:
            _walk(value, key, found)
    return found
