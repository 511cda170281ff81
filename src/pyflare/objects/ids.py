"""Object addresses and ids: who an object is, and how Durable Object ids are derived.

An id is 32 bytes shown as 64 hex digits: 16 bytes that identify the object (an HMAC of the name, or random
for unique ids) followed by 16 bytes that prove the id belongs to its namespace (an HMAC of the first half).
The HMAC key is SHA-256 of the namespace key (Miniflare uses ``"<worker>-<Class>"``), so ids are stable
across restarts and an id from one namespace is refused by another, as on Cloudflare.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from typing import NamedTuple

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class ObjectAddress(NamedTuple):
    """One object: the worker that defines its class, the class name and the object's id.

    A named tuple: hashing it (every event looks objects up by address) costs what a tuple's hash does."""

    worker: str
    class_name: str
    id: str

    @property
    def namespace(self) -> str:
        """The namespace key ``"<worker>-<Class>"``: the folder of its storage and the key of its ids."""
        return f"{self.worker}-{self.class_name}"

    def __str__(self) -> str:
        return f"{self.namespace}/{self.id}"


@functools.lru_cache(maxsize=256)
def _key(namespace: str) -> bytes:
    return hashlib.sha256(namespace.encode("utf-8", "surrogatepass")).digest()


def _seal(key: bytes, first: bytes) -> str:
    return (first + hmac.new(key, first, hashlib.sha256).digest()[:16]).hex()


@functools.lru_cache(maxsize=4096)  # workers address the same few names on every request (two HMACs each)
def id_from_name(namespace: str, name: str) -> str:
    """The deterministic id of ``name`` in ``namespace`` (64 lowercase hex digits)."""
    key = _key(namespace)
    return _seal(key, hmac.new(key, name.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()[:16])


def new_unique_id(namespace: str) -> str:
    """A fresh random id valid in ``namespace``."""
    return _seal(_key(namespace), secrets.token_bytes(16))


def is_well_formed(object_id: str) -> bool:
    """64 hex digits (either case)."""
    return bool(_HEX64.match(object_id.lower()))


def belongs_to(namespace: str, object_id: str) -> bool:
    """Was ``object_id`` (well formed) made for ``namespace``?"""
    raw = bytes.fromhex(object_id)
    return _seal(_key(namespace), raw[:16]) == object_id.lower()
