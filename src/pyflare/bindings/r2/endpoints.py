"""R2's HTTP endpoints on pyflare's listener, over the buckets of every worker in one Pyflare (given as
the R2 plugins of its workers): the S3 API (``s3``) and public bucket access (``public``), found by
bucket_name. The composition root (``pyflare.instance``) mounts them with :func:`mount`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyflare.bindings.r2 import R2Bucket, R2Plugin
from pyflare.config import ConfigError
from pyflare.kernel.clock import Clock
from pyflare.local import R2_PUBLIC_PATH, R2_S3_PATH, LocalEndpoints

if TYPE_CHECKING:
    from pyflare.bindings.r2.s3 import S3Bucket

# The R2 plugins of every worker of the Pyflare (read on each request: the set of workers is fixed at start,
# their buckets are not copied).
Plugins = Callable[[], list[R2Plugin]]


def r2_buckets(r2_plugins: Plugins) -> dict[str, R2Bucket]:
    """Every R2 bucket of every worker, by bucket_name."""
    buckets: dict[str, R2Bucket] = {}
    for plugin in r2_plugins():
        buckets.update(plugin.buckets_by_name())
    return buckets


def s3_credentials(r2_plugins: Plugins) -> dict[str, tuple[str, str] | None]:
    """Each bucket's S3 credentials (None: not reachable over S3), by bucket_name.

    Raises ConfigError when two workers bind one bucket with different credentials, as wrangler does."""
    result: dict[str, tuple[str, str] | None] = {}
    for plugin in r2_plugins():
        for name in plugin.buckets_by_name():
            credentials = plugin.s3_credentials.get(name)
            known = result.get(name)
            if known is not None:
                if credentials is not None and credentials != known:
                    raise ConfigError(f'Bucket "{name}" is bound by multiple Workers with different S3 credentials')
                continue
            result[name] = credentials
    return result


def s3_buckets(r2_plugins: Plugins) -> dict[str, S3Bucket]:
    """Every bucket as the S3 endpoint sees it."""
    from pyflare.bindings.r2.s3 import Credentials, S3Bucket

    buckets = r2_buckets(r2_plugins)
    return {name: S3Bucket(buckets[name], Credentials(*pair) if pair else None)
            for name, pair in s3_credentials(r2_plugins).items()}


def mount(endpoints: LocalEndpoints, r2_plugins: Plugins, clock: Clock) -> None:
    """Add the S3 and public-bucket endpoints (built on their first request); a credentials conflict
    between workers fails here, at start."""
    s3_credentials(r2_plugins)

    def s3_endpoint() -> Any:
        from pyflare.bindings.r2.s3 import S3Endpoint

        return S3Endpoint(lambda: s3_buckets(r2_plugins), clock)

    def public_endpoint() -> Any:
        from pyflare.bindings.r2.public import PublicBucketEndpoint

        return PublicBucketEndpoint(lambda: r2_buckets(r2_plugins))

    endpoints.mount_lazy(R2_S3_PATH, s3_endpoint)
    endpoints.mount_lazy(R2_PUBLIC_PATH, public_endpoint)
