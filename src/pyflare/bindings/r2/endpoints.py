"""R2's HTTP endpoints on pyflare's listener, over the buckets of every worker in one Pyflare:
the S3 API (``s3``) and public bucket access (``public``), found by bucket_name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyflare.bindings.r2 import R2Bucket, R2Plugin
from pyflare.bindings.r2.public import PATH as PUBLIC_PATH
from pyflare.bindings.r2.public import PublicBucketEndpoint
from pyflare.bindings.r2.s3 import PATH as S3_PATH
from pyflare.bindings.r2.s3 import S3Bucket, S3Endpoint
from pyflare.config import ConfigError

if TYPE_CHECKING:
    from pyflare.instance import Pyflare
    from pyflare.local import LocalEndpoints


def r2_plugins(pyflare: Pyflare) -> list[R2Plugin]:
    """The R2 plugin of every worker that has buckets."""
    return [plugin for worker in pyflare.workers.values() for plugin in worker.plugins if isinstance(plugin, R2Plugin)]


def r2_buckets(pyflare: Pyflare) -> dict[str, R2Bucket]:
    """Every R2 bucket of every worker, by bucket_name."""
    buckets: dict[str, R2Bucket] = {}
    for plugin in r2_plugins(pyflare):
        buckets.update(plugin.buckets_by_name())
    return buckets


def s3_buckets(pyflare: Pyflare) -> dict[str, S3Bucket]:
    """Every bucket with the S3 credentials its config gives it (None: not reachable over S3).

    Raises ConfigError when two workers bind one bucket with different credentials, as wrangler does."""
    result: dict[str, S3Bucket] = {}
    for plugin in r2_plugins(pyflare):
        for name, bucket in plugin.buckets_by_name().items():
            credentials = plugin.s3_credentials.get(name)
            known = result.get(name)
            if known is not None and known.credentials is not None:
                if credentials is not None and credentials != known.credentials:
                    raise ConfigError(f'Bucket "{name}" is bound by multiple Workers with different S3 credentials')
                continue
            result[name] = S3Bucket(bucket, credentials)
    return result


def mount(endpoints: LocalEndpoints, pyflare: Pyflare) -> None:
    """Add the S3 and public-bucket endpoints; a credentials conflict between workers fails here, at start."""
    s3_buckets(pyflare)
    endpoints.mount(S3_PATH, S3Endpoint(lambda: s3_buckets(pyflare), pyflare.clock))
    endpoints.mount(PUBLIC_PATH, PublicBucketEndpoint(lambda: r2_buckets(pyflare)))
