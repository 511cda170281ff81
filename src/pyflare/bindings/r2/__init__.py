"""R2: ``[[r2_buckets]]`` become :class:`R2Bucket` objects in the worker's env.

Module map: ``constants`` (limits), ``validation`` (input checks, exact texts; ranges, conditionals),
``errors`` (R2's error codes), ``store`` (one bucket's rows and blobs: the semantics), ``objects``
(R2Object / R2ObjectBody), ``bucket`` (the binding objects). Each bucket is stored under
``<state>/r2/``: ``<bucket>.sqlite`` for metadata and ``<bucket>/blobs/`` for bodies.
"""

from __future__ import annotations

from typing import Any

from pyflare.bindings.r2.bucket import R2Bucket, R2MultipartUpload
from pyflare.bindings.r2.errors import R2Error
from pyflare.bindings.r2.objects import R2Checksums, R2Object, R2ObjectBody
from pyflare.bindings.r2.store import BucketStore
from pyflare.runtime.plugin import Platform, Plugin

PLUGIN = "r2"


class R2Plugin(Plugin):
    """All R2 buckets of one worker; collects orphaned blobs when it starts."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.buckets: dict[str, R2Bucket] = {}  # by binding name
        self.stores: dict[str, BucketStore] = {}  # by bucket (storage) name
        # (accessKeyId, secretAccessKey) by bucket name, for the local S3 endpoint (bindings/r2/endpoints.py)
        self.s3_credentials: dict[str, tuple[str, str]] = {}
        for config in platform.config.worker.r2_buckets:
            name = config.storage_name
            store = self.stores.get(name)
            if store is None:
                store = self.stores[name] = BucketStore(
                    platform.storage.database(PLUGIN, name), platform.storage.blobs(PLUGIN, name), platform.clock
                )
            self.buckets[config.binding] = R2Bucket(store, binding=config.binding, bucket_name=name)
            s3 = config.local_dev.experimental_s3_credentials if config.local_dev else None
            if s3 is not None:
                self.s3_credentials[name] = (s3.accessKeyId, s3.secretAccessKey)

    def bindings(self) -> dict[str, Any]:
        return dict(self.buckets)

    def buckets_by_name(self) -> dict[str, R2Bucket]:
        """Every bucket by its bucket_name (the name the S3 and public endpoints use)."""
        return {bucket.bucket_name: bucket for bucket in self.buckets.values()}

    def bucket(self, name: str) -> R2Bucket:
        """A bucket by its bucket_name (or binding name); LookupError if the config has none."""
        for bucket in self.buckets.values():
            if bucket.bucket_name == name:
                return bucket
        if name in self.buckets:
            return self.buckets[name]
        known = ", ".join(sorted({b.bucket_name for b in self.buckets.values()})) or "none"
        raise LookupError(f"no R2 bucket named {name!r} in the config (buckets: {known})")

    async def start(self) -> None:
        for name, store in self.stores.items():
            removed = store.collect_garbage()
            if removed:
                self.platform.log.info("r2 %s: removed %d orphaned blob(s) left by an interrupted write", name, removed)


def create(platform: Platform) -> R2Plugin | None:
    if not platform.config.worker.r2_buckets:
        return None
    return R2Plugin(platform)


__all__ = [
    "R2Bucket",
    "R2Checksums",
    "R2Error",
    "R2MultipartUpload",
    "R2Object",
    "R2ObjectBody",
    "R2Plugin",
    "create",
]
