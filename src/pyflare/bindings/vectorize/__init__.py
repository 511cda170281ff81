"""Vectorize, locally: ``[[vectorize]]`` entries become ``VectorizeIndex`` objects in the worker's env.

On Cloudflare an index is created once (``wrangler vectorize create NAME --dimensions=N --metric=M``, or
``--preset``), outside the config; locally an index is created by ``pyflare vectorize create`` (same flags)
or declared in the config, and then created when pyflare starts::

    [[vectorize]]
    binding = "VECTORS"
    index_name = "docs"

    [pyflare.vectorize.docs]          # wrangler ignores [pyflare]
    dimensions = 768
    metric = "cosine"                 # or: preset = "@cf/baai/bge-base-en-v1.5"
    metadata_indexes = { category = "string", year = "number" }
    mutation_delay = 0                # seconds before a mutation is visible to queries (pyflare's clock)

Each index is one SQLite file, ``<persist>/vectorize/<index name>.sqlite``, shared by every binding (and
worker) that names it. Layout: ``constants`` (limits), ``errors`` (Cloudflare's texts), ``validation``
(input checks), ``filters`` (metadata filter grammar and meaning), ``search`` (in-memory brute-force search,
NumPy when installed), ``store`` (SQLite: vectors, metadata indexes, mutations; the catalog of indexes),
``index`` (the binding object).
"""

from __future__ import annotations

import logging
from typing import Any

from pyflare.bindings.vectorize import validation
from pyflare.bindings.vectorize.errors import (
    IndexConfigMismatchError,
    IndexNotFoundError,
    VectorizeApiError,
    VectorizeError,
)
from pyflare.bindings.vectorize.index import VectorizeIndex
from pyflare.bindings.vectorize.store import Catalog, IndexStore
from pyflare.config import ConfigError
from pyflare.kernel.stash import StashKey
from pyflare.runtime.plugin import Platform, Plugin

__all__ = ["Catalog", "IndexStore", "VectorizeError", "VectorizeIndex", "VectorizePlugin", "catalog_for", "create"]

log = logging.getLogger("pyflare")

CATALOG = StashKey[Catalog]("vectorize catalog")  # one catalog (one store, one table per index) per pyflare


def catalog_for(platform: Platform) -> Catalog:
    """The catalog of local indexes shared by every worker of this pyflare."""
    catalog = platform.shared.get(CATALOG, None)
    if catalog is None:
        catalog = platform.shared[CATALOG] = Catalog(platform.storage, platform.clock)
    return catalog


class Declaration:
    """One ``[pyflare.vectorize.<name>]`` table, checked."""

    def __init__(self, name: str, settings: Any, where: str) -> None:
        self.name = name
        self.where = where
        try:
            self.dimensions, self.metric = validation.index_config(settings.dimensions, settings.metric,
                                                                   settings.preset)
            self.metadata_indexes = dict(validation.metadata_index(prop, kind)
                                         for prop, kind in settings.metadata_indexes.items())
        except VectorizeApiError as exc:
            raise ConfigError(f"{where}: {exc.detail}") from None
        self.description = settings.description
        self.mutation_delay = float(settings.mutation_delay)
        self.unknown = list(settings.model_extra or {})


class VectorizePlugin(Plugin):
    """The Vectorize indexes of one worker."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.catalog = catalog_for(platform)
        config = platform.config
        self.declared = {name: Declaration(name, settings, f"{config.path}: pyflare.vectorize.{name}")
                         for name, settings in config.worker.pyflare.vectorize.items()}
        for declaration in self.declared.values():
            self.catalog.delays[declaration.name] = declaration.mutation_delay
        self.mismatched: dict[str, str] = {}
        self.indexes = {
            entry.binding: VectorizeIndex(self._resolver(entry.index_name, entry.binding), entry.binding,
                                          entry.index_name)
            for entry in config.worker.vectorize
        }

    def bindings(self) -> dict[str, Any]:
        return dict(self.indexes)

    async def start(self) -> None:
        """Create the declared indexes that local state lacks (and their metadata indexes)."""
        for declaration in self.declared.values():
            if declaration.unknown:
                log.warning("%s: unexpected field(s) %s (ignored)", declaration.where, ", ".join(declaration.unknown))
            await self._ensure(declaration)
        for entry in self.platform.config.worker.vectorize:
            if entry.index_name not in self.declared and self.catalog.open(entry.index_name) is None:
                log.warning("%s", self._missing_text(entry.index_name, entry.binding))

    async def _ensure(self, declaration: Declaration) -> None:
        store = self.catalog.open(declaration.name)
        if store is None:
            store = self.catalog.create(declaration.name, declaration.dimensions, declaration.metric,
                                        declaration.description)
        elif (store.dimensions, store.metric) != (declaration.dimensions, declaration.metric):
            self.mismatched[declaration.name] = (
                f'{declaration.where}: declares {declaration.dimensions} dimensions and metric "{declaration.metric}", '
                f'but the index "{declaration.name}" in local state has {store.dimensions} dimensions and metric '
                f'"{store.metric}". An index\'s configuration cannot change (as on Cloudflare): delete it with '
                f"`pyflare vectorize delete {declaration.name}` and restart, or change the declaration back.")
            log.error("%s", self.mismatched[declaration.name])
            return
        existing = await store.metadata_indexes()
        for prop, kind in declaration.metadata_indexes.items():
            if prop not in existing:
                await store.create_metadata_index(prop, kind)
            elif existing[prop] != kind:
                log.warning('%s: metadata index "%s" is declared as %s but exists as %s in local state; delete it '
                            "(pyflare vectorize delete-metadata-index %s --property-name=%s) to change it",
                            declaration.where, prop, kind, existing[prop], declaration.name, prop)

    def _missing_text(self, index_name: str, binding: str) -> str:
        config_name = self.platform.config.path.name
        return (f'env.{binding}: the Vectorize index "{index_name}" does not exist in local state. Declare it in '
                f'{config_name} ([pyflare.vectorize.{index_name}] with dimensions = 768 and metric = "cosine", or '
                f'preset = "@cf/baai/bge-base-en-v1.5") or create it: pyflare vectorize create {index_name} '
                f"--dimensions=768 --metric=cosine")

    def _resolver(self, index_name: str, binding: str) -> Any:
        def resolve() -> IndexStore:
            problem = self.mismatched.get(index_name)
            if problem is not None:
                raise IndexConfigMismatchError(problem)
            store = self.catalog.open(index_name)
            if store is None:
                raise IndexNotFoundError(self._missing_text(index_name, binding))
            return store

        return resolve

    def index(self, binding: str | None = None) -> VectorizeIndex:
        """The index bound as ``binding``; may be omitted when the worker has exactly one."""
        if binding is None and len(self.indexes) == 1:
            return next(iter(self.indexes.values()))
        try:
            return self.indexes[binding]  # type: ignore[index]
        except KeyError:
            names = ", ".join(sorted(self.indexes)) or "none"
            raise LookupError(f"no Vectorize index bound as {binding!r} (bindings: {names})") from None


def create(platform: Platform) -> VectorizePlugin | None:
    worker = platform.config.worker
    if not worker.vectorize and not worker.pyflare.vectorize:
        return None
    return VectorizePlugin(platform)
