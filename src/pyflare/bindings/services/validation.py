"""Checks of service binding targets, with workerd's error texts (src/workerd/server/server.c++)."""

from __future__ import annotations

from typing import Any

from pyflare.bindings.services.constants import DEFAULT_ENTRYPOINT, WORKER_PREFIX
from pyflare.config import ConfigError
from pyflare.workers import WorkerEntrypoint


def worker_id(name: str) -> str:
    return f"{WORKER_PREFIX}{name}"


def no_such_service(path: Any, caller: str, binding: str, service: str) -> ConfigError:
    return ConfigError(
        f'{path}: services: Worker "{worker_id(caller)}"\'s binding "{binding}" refers to a service '
        f'"{worker_id(service)}", but no such service is defined. '
        f"Run that worker in the same pyflare: pyflare dev -c {path} -c <{service}'s wrangler.toml>"
    )


def no_such_entrypoint(path: Any, caller: str, binding: str, service: str, entrypoint: str) -> ConfigError:
    return ConfigError(
        f'{path}: services: Worker "{worker_id(caller)}"\'s binding "{binding}" refers to service '
        f'"{worker_id(service)}" with a named entrypoint "{entrypoint}", but "{worker_id(service)}" '
        "has no such named entrypoint."
    )


def is_named_entrypoint(exports: dict[str, type], entrypoint: str) -> bool:
    cls = exports.get(entrypoint)
    return cls is not None and entrypoint != DEFAULT_ENTRYPOINT and issubclass(cls, WorkerEntrypoint)


def check_method_name(name: str) -> None:
    """Only public methods are callable over RPC; anything else does not exist for the caller."""
    if not name or name.startswith("_"):
        raise TypeError(f"Method {name} does not exist")
