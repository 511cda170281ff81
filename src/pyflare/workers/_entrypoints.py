"""Entrypoint base classes a worker's module exports, and the ``handler`` decorator."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # for type checkers only: the project's `pyflare types` Env, else one that allows anything
    from js import Env

F = TypeVar("F", bound=Callable[..., Any])


class WorkerEntrypoint:
    """Base of a worker's entrypoints. ``Default`` is the default export; others are named entrypoints."""

    env: Env

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class DurableObject:
    """Base of a Durable Object class: one live instance per id, with ``self.ctx.storage``."""

    env: Env

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class WorkflowEntrypoint:
    """Base of a Workflow class; ``run(self, event, step)`` is its body."""

    env: Env

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


def handler(func: F) -> F:
    """Marks a top-level handler (``on_fetch``, ``on_scheduled``, ``on_queue``); kept for older workers."""
    func.__pyflare_handler__ = True  # type: ignore[attr-defined]
    return func
