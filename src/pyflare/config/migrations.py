"""``[[migrations]]``: which Durable Object classes exist and which storage backend each one has.

Applied in order as wrangler does (deleted, renamed, then new classes of each migration), with wrangler's
error texts. A class from ``new_sqlite_classes`` is SQLite-backed (SQL API, SQLite limits); one from
``new_classes`` is KV-backed (no SQL, 2 KiB keys and 128 KiB values).
"""

from __future__ import annotations

from pyflare.config.models import Migration


class MigrationError(ValueError):
    pass


def class_backends(migrations: list[Migration]) -> dict[str, bool]:
    """Class name -> uses SQLite, after applying every migration; raises :class:`MigrationError`."""
    classes: dict[str, bool] = {}
    for migration in migrations:
        for deleted in migration.deleted_classes:
            if deleted not in classes:
                raise MigrationError(f"Cannot apply deleted_classes migration to non-existent class {deleted}")
            del classes[deleted]
        for renamed in migration.renamed_classes:
            source, target = renamed.get("from"), renamed.get("to")
            if source not in classes:
                raise MigrationError(f"Cannot apply renamed_classes migration to non-existent class {source}")
            classes[str(target)] = classes.pop(source)
        for new_class in migration.new_classes:
            if new_class in classes:
                raise MigrationError(f"Cannot apply new_classes migration to existing class {new_class}")
            classes[new_class] = False
        for new_class in migration.new_sqlite_classes:
            if new_class in classes:
                raise MigrationError(f"Cannot apply new_sqlite_classes migration to existing class {new_class}")
            classes[new_class] = True
        for transferred in migration.transferred_classes:
            if transferred.get("to"):
                classes.setdefault(str(transferred["to"]), True)
    return classes
