"""Testing: the pytest plugin (fixtures ``pyflare`` and ``pyflare_client``, marker ``pyflare``) and helpers
that tests call on a running :class:`pyflare.Pyflare`:

- D1: :func:`apply_d1_migrations`, :func:`seed_d1`, :func:`d1_store`
- Durable Objects: :func:`run_in_durable_object`, :func:`run_durable_object_alarm`,
  :func:`evict_durable_object`, :func:`list_durable_object_ids`
- Queues: :func:`drain` (deliver what is due now and wait until idle), :func:`messages`, :func:`dead_letters`
- Workflows: :func:`introspect_workflow_instance`, :func:`introspect_workflow`

The helpers are imported on first use: this package holds the pytest plugin's entry point, which pytest
loads in every run of an environment where pyflare is installed, so importing it imports nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyflare.kernel.lazy import lazy_exports

_EXPORTS = {
    "apply_d1_migrations": "pyflare.testing.d1",
    "d1_store": "pyflare.testing.d1",
    "seed_d1": "pyflare.testing.d1",
    "evict_durable_object": "pyflare.testing.durable_objects",
    "list_durable_object_ids": "pyflare.testing.durable_objects",
    "run_durable_object_alarm": "pyflare.testing.durable_objects",
    "run_in_durable_object": "pyflare.testing.durable_objects",
    "dead_letters": "pyflare.testing.queues",
    "drain": "pyflare.testing.queues",
    "messages": "pyflare.testing.queues",
    "introspect_workflow": "pyflare.testing.workflows",
    "introspect_workflow_instance": "pyflare.testing.workflows",
}

__all__ = [
    "apply_d1_migrations",
    "d1_store",
    "dead_letters",
    "drain",
    "evict_durable_object",
    "introspect_workflow",
    "introspect_workflow_instance",
    "list_durable_object_ids",
    "messages",
    "run_durable_object_alarm",
    "run_in_durable_object",
    "seed_d1",
]

if TYPE_CHECKING:
    from pyflare.testing.d1 import apply_d1_migrations, d1_store, seed_d1
    from pyflare.testing.durable_objects import (
        evict_durable_object,
        list_durable_object_ids,
        run_durable_object_alarm,
        run_in_durable_object,
    )
    from pyflare.testing.queues import dead_letters, drain, messages
    from pyflare.testing.workflows import introspect_workflow, introspect_workflow_instance


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
