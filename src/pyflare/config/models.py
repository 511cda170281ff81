"""Typed models of wrangler's configuration keys (the subset pyflare emulates, plus known keys it ignores)."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# pydantic looks for its plugins when it builds the first model class: it reads the entry points of every
# installed distribution, a tenth of `pyflare dev`'s start-up in a small environment and more in a large one.
# pyflare's config models need no plugin, so they are built with plugins off (pydantic's documented switch,
# read at each build; restored at the end of this module): the scan then happens, as it would without pyflare,
# only if the worker's own code builds a pydantic model.
_PLUGINS_SWITCH = "PYDANTIC_DISABLE_PLUGINS"
_plugins_setting = os.environ.get(_PLUGINS_SWITCH)
os.environ[_PLUGINS_SWITCH] = "__all__"


class _Model(BaseModel):
    # Unknown keys are kept (extra="allow") so the loader can warn about them as wrangler does.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class KVNamespace(_Model):
    binding: str
    id: str | None = None
    preview_id: str | None = None

    @property
    def storage_name(self) -> str:
        return self.id or self.binding


class S3Credentials(_Model):
    """Credentials R2's local S3 endpoint accepts for one bucket (wrangler's camelCase keys)."""

    accessKeyId: str = Field(min_length=1)  # noqa: N815 - wrangler's name
    secretAccessKey: str = Field(min_length=1)  # noqa: N815 - wrangler's name


class R2LocalDev(_Model):
    experimental_s3_credentials: S3Credentials | None = None


class R2Bucket(_Model):
    binding: str
    bucket_name: str | None = None
    preview_bucket_name: str | None = None
    jurisdiction: str | None = None
    local_dev: R2LocalDev | None = None

    @property
    def storage_name(self) -> str:
        return self.bucket_name or self.binding


class D1Database(_Model):
    binding: str
    database_name: str | None = None
    database_id: str | None = None
    preview_database_id: str | None = None
    migrations_dir: str = "migrations"
    migrations_table: str = "d1_migrations"

    @property
    def storage_name(self) -> str:
        return self.database_name or self.database_id or self.binding


class QueueProducer(_Model):
    binding: str
    queue: str
    delivery_delay: int = Field(default=0, ge=0, le=43200)


class QueueConsumer(_Model):
    queue: str
    max_batch_size: int = Field(default=10, ge=1, le=100)
    max_batch_timeout: float = Field(default=5, ge=0, le=60)
    max_retries: int = Field(default=3, ge=0, le=100)
    dead_letter_queue: str | None = None
    max_concurrency: int | None = Field(default=None, ge=1, le=250)
    retry_delay: int = Field(default=0, ge=0, le=43200)
    type: str | None = None
    visibility_timeout_ms: int | None = None


class Queues(_Model):
    producers: list[QueueProducer] = []
    consumers: list[QueueConsumer] = []


class DurableObjectBinding(_Model):
    name: str
    class_name: str
    script_name: str | None = None
    environment: str | None = None


class DurableObjects(_Model):
    bindings: list[DurableObjectBinding] = []


class Migration(_Model):
    tag: str
    new_classes: list[str] = []
    new_sqlite_classes: list[str] = []
    renamed_classes: list[dict[str, str]] = []
    deleted_classes: list[str] = []
    transferred_classes: list[dict[str, str]] = []


class Triggers(_Model):
    crons: list[str] = []


class WorkflowLimits(_Model):
    steps: Any = None


class Workflow(_Model):
    # Loosely typed: pyflare.config.workflows checks these with wrangler's own messages.
    binding: Any = None
    name: Any = None
    class_name: Any = None
    script_name: Any = None
    limits: WorkflowLimits | None = None
    schedules: Any = None

    @property
    def crons(self) -> list[str]:
        """``schedules`` as a list (one string or several): the crons that start an instance."""
        if not self.schedules:
            return []
        return [self.schedules] if isinstance(self.schedules, str) else list(self.schedules)


class Service(_Model):
    binding: str
    service: str
    environment: str | None = None
    entrypoint: str | None = None
    props: dict[str, Any] | None = None
    remote: bool | None = None


class TailConsumer(_Model):
    """``tail_consumers = [{ service = "tail" }]``: a worker whose ``tail(events)`` handler receives this
    worker's trace items."""

    service: str
    environment: str | None = None


class VectorizeBinding(_Model):
    """``[[vectorize]]``: a Vectorize index bound as ``env.<binding>``."""

    binding: str
    index_name: str
    remote: bool | None = None


class VectorizeIndexSettings(_Model):
    """``[pyflare.vectorize.<index_name>]``: how pyflare creates a local index (on Cloudflare, ``wrangler
    vectorize create NAME --dimensions=N --metric=M`` or ``--preset=MODEL``, then ``create-metadata-index``).
    Checked by pyflare.bindings.vectorize, which names the key of a bad value."""

    dimensions: int | None = None
    metric: str | None = None
    preset: str | None = None
    description: str | None = None
    metadata_indexes: dict[str, str] = {}  # property -> "string" | "number" | "boolean"
    mutation_delay: float = Field(default=0, ge=0)  # seconds before a mutation is visible (pyflare's clock)


class SecretsStoreSecret(_Model):
    """``secrets_store_secrets = [{ binding, store_id, secret_name }]``: one secret of a Secrets Store."""

    binding: str
    store_id: str
    secret_name: str


class AnalyticsEngineDataset(_Model):
    """``[[analytics_engine_datasets]]``: ``dataset`` defaults to the binding's name, as on Cloudflare."""

    binding: str
    dataset: str | None = Field(default=None, min_length=1)

    @property
    def dataset_name(self) -> str:
        return self.dataset or self.binding


class HyperdriveBinding(_Model):
    """``[[hyperdrive]]``: a Hyperdrive configuration; locally it reaches ``localConnectionString`` (or the
    ``CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING>`` environment variable)."""

    binding: str
    id: str
    localConnectionString: str | None = None  # noqa: N815 - wrangler's name


class SendEmailBinding(_Model):
    """``[[send_email]]``: a binding that sends email, with optional allow-lists (wrangler's keys)."""

    name: str
    destination_address: str | None = None
    allowed_destination_addresses: list[str] | None = None
    allowed_sender_addresses: list[str] | None = None
    remote: bool | None = None

    @model_validator(mode="after")
    def _one_destination_rule(self) -> SendEmailBinding:
        if self.destination_address is not None and self.allowed_destination_addresses is not None:
            raise ValueError('"send_email" bindings should have either a "destination_address" or '
                             '"allowed_destination_addresses" field, but not both.')
        return self


class SingleBinding(_Model):
    """A binding declared as one table: ``version_metadata``, ``images``, ``ai`` (``{ binding = "NAME" }``)."""

    binding: str
    remote: bool | None = None


class AccessDev(_Model):
    """``[access.dev]``: the Cloudflare Access identity a worker sees locally (wrangler's keys)."""

    aud: str
    identity: dict[str, Any] | None = None  # what ctx.access.getIdentity() returns


class Access(_Model):
    dev: AccessDev | None = None


class Assets(_Model):
    directory: str | None = None
    binding: str | None = None
    html_handling: str | None = None
    not_found_handling: str | None = None
    run_worker_first: bool | list[str] | None = None


class Build(_Model):
    """``[build]``: Python workers have no build step (pyflare runs no ``command``), but ``watch_dir`` says
    which folders ``pyflare dev`` watches for code changes, as in wrangler: a path or a list of paths
    relative to the config file (default: the folder of ``main``)."""

    command: str | None = None
    cwd: str | None = None
    watch_dir: str | list[str] | None = None


class Dev(_Model):
    port: int | None = Field(default=None, ge=0, le=65535)
    ip: str | None = None
    local_protocol: str | None = None
    host: str | None = None
    upstream_protocol: str | None = None
    inspector_port: int | None = None


class PyflareSettings(_Model):
    """The ``[pyflare]`` table: settings only pyflare reads (wrangler ignores it)."""

    kv_propagation_delay: float = Field(default=0, ge=0)
    crons: bool = True
    # SQLite's synchronous mode for every state file: "normal" survives kill -9, "full" also an OS crash
    # or power loss (docs/durability.md).
    synchronous: Literal["normal", "full"] = "normal"
    cache: bool = True
    # Raise what would fail on Cloudflare's Python Workers where the worker does it (docs/portability.md).
    strict_portability: bool = False
    # Record every event as a trace of spans and logs (docs/observability.md); false turns it off.
    traces: bool = True
    # Apply unapplied D1 migrations at start (pyflare dev, pyflare_server, the pytest fixtures; docs/d1.md).
    apply_migrations: bool = False
    vectorize: dict[str, VectorizeIndexSettings] = {}  # local Vectorize indexes, by index name


# Keys that only configure an environment and are never inherited from the top level.
NON_INHERITABLE = (
    "vars",
    "define",
    "kv_namespaces",
    "r2_buckets",
    "d1_databases",
    "queues",
    "durable_objects",
    "services",
    "workflows",
    "analytics_engine_datasets",
    "hyperdrive",
    "vectorize",
    "ai",
    "browser",
    "send_email",
    "version_metadata",
    "dispatch_namespaces",
    "mtls_certificates",
    "tail_consumers",
    "unsafe",
    "pipelines",
    "worker_loaders",
    "vpc_services",
    "media",
    "secrets_store_secrets",
    "images",
)

# Wrangler keys pyflare accepts without emulating; they never warn.
KNOWN_IGNORED = (
    "account_id",
    "workers_dev",
    "preview_urls",
    "route",
    "routes",
    "usage_model",
    "observability",
    "placement",
    "limits",
    "rules",
    "find_additional_modules",
    "base_dir",
    "preserve_file_names",
    "no_bundle",
    "minify",
    "keep_names",
    "logpush",
    "upload_source_maps",
    "keep_vars",
    "tsconfig",
    "jsx_factory",
    "jsx_fragment",
    "node_compat",
    "legacy_env",
    "send_metrics",
    "site",
    "wasm_modules",
    "text_blobs",
    "data_blobs",
    "alias",
    "python_modules",
    "$schema",
    "first_party_worker",
    "zone_id",
    "compliance_region",
    "containers",
    "cloudchamber",
    "unsafe_hello_world",
    "workflows_bindings",
    "logfwdr",
    "keep_vars",
    "exports",
    "assets_ignore",
    "streaming_tail_consumers",
    "ratelimits",
) + NON_INHERITABLE[9:]


# Wrangler settings with a local effect under wrangler dev that pyflare does not reproduce yet: named at start.
NOT_EMULATED_SETTINGS = ("limits", "streaming_tail_consumers", "containers", "logfwdr")


class WorkerLoaderBinding(_Model):
    """``[[worker_loaders]]``: Dynamic Worker Loader (``env.LOADER.get(id, callback)``)."""

    binding: str


class WorkerConfig(_Model):
    """One resolved worker configuration (top level merged with the chosen ``[env.NAME]``)."""

    name: str | None = None
    main: str | None = None
    compatibility_date: str | None = None
    compatibility_flags: list[str] = []
    vars: dict[str, Any] = {}
    kv_namespaces: list[KVNamespace] = []
    r2_buckets: list[R2Bucket] = []
    d1_databases: list[D1Database] = []
    queues: Queues = Queues()
    durable_objects: DurableObjects = DurableObjects()
    migrations: list[Migration] = []
    triggers: Triggers = Triggers()
    workflows: list[Workflow] = []
    services: list[Service] = []
    assets: Assets | None = None
    worker_loaders: list[WorkerLoaderBinding] = []
    tail_consumers: list[TailConsumer] = []
    vectorize: list[VectorizeBinding] = []
    secrets_store_secrets: list[SecretsStoreSecret] = []
    analytics_engine_datasets: list[AnalyticsEngineDataset] = []
    hyperdrive: list[HyperdriveBinding] = []
    send_email: list[SendEmailBinding] = []
    version_metadata: SingleBinding | None = None
    images: SingleBinding | None = None
    ai: SingleBinding | None = None
    access: Access | None = None
    dev: Dev = Dev()
    build: Build = Build()
    pyflare: PyflareSettings = PyflareSettings()
    env: dict[str, dict[str, Any]] = {}


if _plugins_setting is None:
    del os.environ[_PLUGINS_SWITCH]
else:
    os.environ[_PLUGINS_SWITCH] = _plugins_setting
