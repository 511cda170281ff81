"""Secrets Store, locally: ``secrets_store_secrets = [{ binding, store_id, secret_name }]`` gives ``env.<binding>``,
whose ``await env.<binding>.get()`` returns the secret's value.

Values live in a local store that ``pyflare secrets-store secret create|list|get|update|delete|duplicate``
(wrangler's commands and flags) and tests (:func:`secret_api`, as Miniflare's ``getSecretsStoreSecretAPI``)
fill; see :mod:`.store`. A secret that is not there makes ``get()`` throw ``Secret "<name>" not found``, as
Miniflare's binding does. Layout: ``constants`` (limits), ``errors`` (texts), ``store`` (SQLite), this module
(the binding, the plugin, the admin API).
"""

from __future__ import annotations

from typing import Any

from pyflare.bindings.secrets_store import constants as c
from pyflare.bindings.secrets_store.errors import NOT_FOUND, SecretsStoreApiError, SecretsStoreError
from pyflare.bindings.secrets_store.store import SecretRecord, SecretStore
from pyflare.kernel.stash import StashKey
from pyflare.runtime.plugin import Platform, Plugin

__all__ = ["SecretApi", "SecretRecord", "SecretStore", "SecretsStoreApiError", "SecretsStoreError",
           "SecretsStorePlugin", "SecretsStoreSecret", "create", "secret_store_for"]

STORE = StashKey[SecretStore]("secrets store")  # one store for every worker of a pyflare


def secret_store_for(platform: Platform) -> SecretStore:
    """The local Secrets Store shared by every worker of this pyflare."""
    store = platform.shared.get(STORE, None)
    if store is None:
        store = platform.shared[STORE] = SecretStore(platform.storage.database(c.PLUGIN, "secrets"), platform.clock)
    return store


class SecretsStoreSecret:
    """``env.<binding>``: one secret of a store; ``await get()`` is its value."""

    def __init__(self, store: SecretStore, store_id: str, secret_name: str) -> None:
        self._store = store
        self._store_id = store_id
        self._secret_name = secret_name

    async def get(self) -> str:
        value = await self._store.value(self._store_id, self._secret_name)
        if value is None:
            raise SecretsStoreError(NOT_FOUND.format(name=self._secret_name))
        return value

    def __repr__(self) -> str:
        return f"<SecretsStoreSecret {self._secret_name!r} in store {self._store_id!r}>"


class SecretApi:
    """Managing the secret a binding points at, for tests (Miniflare's ``getSecretsStoreSecretAPI``):
    ``await api.create("value")`` returns the new secret's id; ``update(value, id)``, ``delete(id)``,
    ``list()``, ``get(id)`` (its name) and ``duplicate(id, new_name)`` work on the binding's store."""

    def __init__(self, store: SecretStore, store_id: str, secret_name: str) -> None:
        self.store = store
        self.store_id = store_id
        self.secret_name = secret_name

    async def create(self, value: str, *, scopes: list[str] | None = None, comment: str = "") -> str:
        record = await self.store.create(self.store_id, self.secret_name, value, scopes or ["workers"], comment)
        return record.id

    async def update(self, value: str, secret_id: str) -> str:
        await self.store.update(self.store_id, secret_id, value=value)
        return secret_id

    async def delete(self, secret_id: str) -> None:
        await self.store.delete(self.store_id, secret_id)

    async def list(self) -> list[SecretRecord]:
        return await self.store.list(self.store_id)

    async def get(self, secret_id: str) -> str:
        return (await self.store.get(self.store_id, secret_id)).name

    async def duplicate(self, secret_id: str, new_name: str) -> str:
        return (await self.store.duplicate(self.store_id, secret_id, new_name, ["workers"])).id


class SecretsStorePlugin(Plugin):
    """The Secrets Store secrets of one worker."""

    def __init__(self, platform: Platform) -> None:
        self.store = secret_store_for(platform)
        self.declared = {entry.binding: (entry.store_id, entry.secret_name)
                         for entry in platform.config.worker.secrets_store_secrets}

    def bindings(self) -> dict[str, Any]:
        return {name: SecretsStoreSecret(self.store, store_id, secret)
                for name, (store_id, secret) in self.declared.items()}

    def api(self, binding: str | None = None) -> SecretApi:
        """The admin API of the secret bound as ``binding`` (may be omitted when there is one)."""
        if binding is None and len(self.declared) == 1:
            binding = next(iter(self.declared))
        if binding not in self.declared:
            names = ", ".join(sorted(self.declared)) or "none"
            raise LookupError(f"no Secrets Store secret bound as {binding!r} (bindings: {names})")
        store_id, secret_name = self.declared[binding]
        return SecretApi(self.store, store_id, secret_name)


def create(platform: Platform) -> SecretsStorePlugin | None:
    return SecretsStorePlugin(platform) if platform.config.worker.secrets_store_secrets else None
