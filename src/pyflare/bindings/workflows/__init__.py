"""Workflows: durable multi-step runs (``[[workflows]]``) that survive restarts, with retries, sleeps and events.

Module map: ``constants`` (limits, defaults, status names), ``validation`` (every input check and its
error text), ``errors``, ``serialization`` (how values are stored), ``store`` (the persistence interface:
each instance an object of :mod:`pyflare.objects` with its own file and alarm, plus an index per
workflow), ``context`` (``step.do``/``sleep``/``wait_for_event`` with replay), ``engine`` (running
instances, pause/resume/terminate/restart, events), ``binding`` (``env.WF`` and instance handles),
``plugin`` (wiring, which process runs instances, commands from the CLI). The ``step`` decorator API a
worker sees lives in :mod:`pyflare.workers._workflow_step`.
"""

from __future__ import annotations

from pyflare.bindings.workflows.binding import Workflow, WorkflowInstance
from pyflare.bindings.workflows.errors import WorkflowError, WorkflowFatalError, WorkflowTimeoutError
from pyflare.bindings.workflows.plugin import WorkflowsPlugin
from pyflare.runtime.plugin import Platform


def create(platform: Platform) -> WorkflowsPlugin | None:
    if not platform.config.worker.workflows:
        return None
    return WorkflowsPlugin(platform)


__all__ = [
    "Workflow",
    "WorkflowError",
    "WorkflowFatalError",
    "WorkflowInstance",
    "WorkflowTimeoutError",
    "WorkflowsPlugin",
    "create",
]
