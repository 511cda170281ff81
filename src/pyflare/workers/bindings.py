"""The types of bindings as worker code calls them, for editors and type checkers.

These Protocols describe what ``self.env.NAME`` offers for each kind of binding, with Cloudflare's
method names and keyword options (``put(key, value, expirationTtl=60)``). ``pyflare types`` writes an
``Env`` class for a config whose attributes use them, as ``wrangler types`` writes ``interface Env``;
without one, ``Env`` (what ``WorkerEntrypoint.env`` is typed as) lets any attribute through as ``Any``.
Structured results are :class:`~pyflare.workers.JsDict` (a dict with attribute access), as on Cloudflare.
Nothing here is used at run time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from pyflare.kernel.jsdict import JsDict
from pyflare.workers._request import Request
from pyflare.workers._response import Response
from pyflare.workers._streams import ReadableStream


class Env:
    """A worker's bindings, vars and secrets when no ``pyflare types`` Env is there: any name, any type."""

    def __getattr__(self, name: str) -> Any: ...

    def __getitem__(self, name: str) -> Any: ...


class KVNamespace(Protocol):
    async def get(self, key: str | list[str], options: str | dict[str, Any] | None = None, /, *,
                  type: str | None = None, cacheTtl: int | None = None) -> Any: ...  # noqa: N803
    async def getWithMetadata(self, key: str | list[str], options: str | dict[str, Any] | None = None,  # noqa: N802
                              /, *, type: str | None = None, cacheTtl: int | None = None) -> JsDict: ...  # noqa: N803
    async def put(self, key: str, value: str | bytes | Any, options: dict[str, Any] | None = None, /, *,
                  expiration: int | None = None, expirationTtl: int | None = None,  # noqa: N803
                  metadata: Any = None) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def list(self, options: dict[str, Any] | None = None, /, *, prefix: str | None = None,
                   limit: int | None = None, cursor: str | None = None) -> JsDict: ...


class D1PreparedStatement(Protocol):
    def bind(self, *values: Any) -> D1PreparedStatement: ...
    async def first(self, column: str | None = None) -> Any: ...
    async def all(self) -> JsDict: ...
    async def run(self) -> JsDict: ...
    async def raw(self, options: dict[str, Any] | None = None, /, *, columnNames: bool = False) -> list[Any]: ...  # noqa: N803


class D1DatabaseSession(Protocol):
    def prepare(self, query: str) -> D1PreparedStatement: ...
    async def batch(self, statements: Sequence[D1PreparedStatement]) -> list[JsDict]: ...
    def getBookmark(self) -> str | None: ...  # noqa: N802


class D1Database(Protocol):
    def prepare(self, query: str) -> D1PreparedStatement: ...
    async def batch(self, statements: Sequence[D1PreparedStatement]) -> list[JsDict]: ...
    async def exec(self, query: str) -> JsDict: ...
    def withSession(self, constraint_or_bookmark: str | None = None) -> D1DatabaseSession: ...  # noqa: N802


class R2Object(Protocol):
    key: str
    version: str
    size: int
    etag: str
    httpEtag: str  # noqa: N815
    uploaded: Any
    httpMetadata: JsDict  # noqa: N815
    customMetadata: JsDict  # noqa: N815
    range: Any
    checksums: Any
    storageClass: str  # noqa: N815

    def writeHttpMetadata(self, headers: Any) -> None: ...  # noqa: N802


class R2ObjectBody(R2Object, Protocol):
    @property
    def body(self) -> ReadableStream: ...
    @property
    def bodyUsed(self) -> bool: ...  # noqa: N802
    async def text(self) -> str: ...
    async def json(self) -> Any: ...
    async def arrayBuffer(self) -> Any: ...  # noqa: N802
    async def bytes(self) -> bytes: ...
    async def blob(self) -> Any: ...


class R2MultipartUpload(Protocol):
    key: str
    uploadId: str  # noqa: N815

    async def uploadPart(self, partNumber: int, value: Any) -> JsDict: ...  # noqa: N802, N803
    async def complete(self, uploadedParts: Any) -> R2Object: ...  # noqa: N803
    async def abort(self) -> None: ...


class R2Bucket(Protocol):
    async def head(self, key: str) -> R2Object | None: ...
    async def get(self, key: str, options: dict[str, Any] | None = None, /, **options_: Any) -> R2ObjectBody | None: ...
    async def put(self, key: str, value: Any, options: dict[str, Any] | None = None, /,
                  **options_: Any) -> R2Object | None: ...
    async def delete(self, keys: str | list[str]) -> None: ...
    async def list(self, options: dict[str, Any] | None = None, /, **options_: Any) -> JsDict: ...
    async def createMultipartUpload(self, key: str, options: dict[str, Any] | None = None, /,  # noqa: N802
                                    **options_: Any) -> R2MultipartUpload: ...
    def resumeMultipartUpload(self, key: str, uploadId: str) -> R2MultipartUpload: ...  # noqa: N802, N803


class Queue(Protocol):
    async def send(self, body: Any, options: dict[str, Any] | None = None, /, *, contentType: str | None = None,  # noqa: N803
                   delaySeconds: int | None = None) -> None: ...  # noqa: N803
    async def sendBatch(self, messages: Sequence[Any], options: dict[str, Any] | None = None, /, *,  # noqa: N802
                        delaySeconds: int | None = None) -> None: ...  # noqa: N803


class DurableObjectId(Protocol):
    @property
    def name(self) -> str | None: ...
    def toString(self) -> str: ...  # noqa: N802
    def equals(self, other: Any) -> bool: ...


class DurableObjectStub(Protocol):
    """A stub: ``fetch`` and the object's own methods (RPC), each awaited."""

    @property
    def id(self) -> DurableObjectId: ...
    @property
    def name(self) -> str | None: ...
    async def fetch(self, input: str | Request, options: Any = None, /, **init: Any) -> Response: ...
    def __getattr__(self, method: str) -> Callable[..., Awaitable[Any]]: ...


class DurableObjectNamespace(Protocol):
    def idFromName(self, name: str) -> DurableObjectId: ...  # noqa: N802
    def newUniqueId(self, options: Any = None, /, **options_: Any) -> DurableObjectId: ...  # noqa: N802
    def idFromString(self, text: str) -> DurableObjectId: ...  # noqa: N802
    def get(self, object_id: DurableObjectId, options: Any = None, /, **options_: Any) -> DurableObjectStub: ...
    def getByName(self, name: str, options: Any = None, /, **options_: Any) -> DurableObjectStub: ...  # noqa: N802
    def jurisdiction(self, name: str) -> DurableObjectNamespace: ...


class Fetcher(Protocol):
    """A service binding (or ``ASSETS``): ``fetch``, and a named entrypoint's methods (RPC), each awaited."""

    async def fetch(self, input: str | Request, options: Any = None, /, **init: Any) -> Response: ...
    def __getattr__(self, method: str) -> Callable[..., Awaitable[Any]]: ...


class WorkflowInstance(Protocol):
    @property
    def id(self) -> str: ...
    async def status(self) -> JsDict: ...
    async def pause(self) -> None: ...
    async def resume(self) -> None: ...
    async def terminate(self) -> None: ...
    async def restart(self) -> None: ...
    async def send_event(self, event: dict[str, Any] | None = None, /, **event_: Any) -> None: ...


class Workflow(Protocol):
    async def create(self, options: dict[str, Any] | None = None, /, **options_: Any) -> WorkflowInstance: ...
    async def create_batch(self, batch: list[dict[str, Any]]) -> list[WorkflowInstance]: ...
    async def get(self, instance_id: str) -> WorkflowInstance: ...


class RateLimit(Protocol):
    async def limit(self, options: Any = None, /, *, key: str | None = None) -> JsDict: ...


class AnalyticsEngineDataset(Protocol):
    def writeDataPoint(self, point: Any = None, /, **point_: Any) -> None: ...  # noqa: N802


class Vectorize(Protocol):
    """A Vectorize index (V2): Cloudflare's ``Vectorize`` type."""

    async def describe(self) -> JsDict: ...
    async def query(self, vector: Sequence[float] | Any, options: dict[str, Any] | None = None, /, *,
                    topK: int | None = None, namespace: str | None = None,  # noqa: N803
                    returnValues: bool | None = None,  # noqa: N803
                    returnMetadata: bool | str | None = None,  # noqa: N803
                    filter: dict[str, Any] | None = None) -> JsDict: ...  # noqa: A002
    async def queryById(self, vectorId: str, options: dict[str, Any] | None = None, /, *,  # noqa: N802,N803
                        topK: int | None = None, namespace: str | None = None,  # noqa: N803
                        returnValues: bool | None = None,  # noqa: N803
                        returnMetadata: bool | str | None = None,  # noqa: N803
                        filter: dict[str, Any] | None = None) -> JsDict: ...  # noqa: A002
    async def insert(self, vectors: Sequence[dict[str, Any]]) -> JsDict: ...
    async def upsert(self, vectors: Sequence[dict[str, Any]]) -> JsDict: ...
    async def getByIds(self, ids: Sequence[str]) -> list[JsDict]: ...  # noqa: N802
    async def deleteByIds(self, ids: Sequence[str]) -> JsDict: ...  # noqa: N802


class WorkerVersionMetadata(Protocol):
    id: str
    tag: str
    timestamp: str


class SecretsStoreSecret(Protocol):
    async def get(self) -> str: ...


class Hyperdrive(Protocol):
    connectionString: str  # noqa: N815
    host: str
    port: int
    user: str
    password: str
    database: str


class SendEmail(Protocol):
    async def send(self, message: Any) -> JsDict: ...


class ImagesBinding(Protocol):
    async def info(self, stream: Any, options: dict[str, Any] | None = None) -> JsDict: ...
    def input(self, stream: Any, options: dict[str, Any] | None = None) -> Any: ...


# The Protocol each config key's bindings satisfy; other kinds are ``Any`` in a generated Env.
BINDING_TYPES = {
    "kv_namespaces": "KVNamespace",
    "d1_databases": "D1Database",
    "r2_buckets": "R2Bucket",
    "queues.producers": "Queue",
    "durable_objects.bindings": "DurableObjectNamespace",
    "services": "Fetcher",
    "assets": "Fetcher",
    "workflows": "Workflow",
    "ratelimits": "RateLimit",
    "analytics_engine_datasets": "AnalyticsEngineDataset",
    "version_metadata": "WorkerVersionMetadata",
    "vectorize": "Vectorize",
    "secrets_store_secrets": "SecretsStoreSecret",
    "hyperdrive": "Hyperdrive",
    "send_email": "SendEmail",
    "images": "ImagesBinding",
}

__all__ = [
    "BINDING_TYPES", "AnalyticsEngineDataset", "D1Database", "D1DatabaseSession", "D1PreparedStatement",
    "DurableObjectId", "DurableObjectNamespace", "DurableObjectStub", "Env", "Fetcher", "KVNamespace", "Queue",
    "R2Bucket", "R2MultipartUpload", "R2Object", "R2ObjectBody", "RateLimit", "Vectorize", "Workflow",
    "WorkflowInstance", "WorkerVersionMetadata", "SecretsStoreSecret", "Hyperdrive", "SendEmail", "ImagesBinding",
]
