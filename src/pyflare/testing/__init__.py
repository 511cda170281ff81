"""Testing: the pytest plugin (fixtures ``pyflare`` and ``pyflare_client``, marker ``pyflare``) and helpers
that tests call on a running :class:`pyflare.Pyflare`:

- D1: :func:`apply_d1_migrations`, :func:`seed_d1`, :func:`d1_store`
- Durable Objects: :func:`run_in_durable_object`, :func:`run_durable_object_alarm`,
  :func:`evict_durable_object`, :func:`list_durable_object_ids`
- Queues: :func:`drain` (deliver what is due now and wait until idle), :func:`messages`, :func:`dead_letters`
- Workflows: :func:`introspect_workflow_instance`, :func:`introspect_workflow`
"""

from pyflare.testing.d1 import apply_d1_migrations, d1_store, seed_d1
from pyflare.testing.durable_objects import (
    evict_durable_object,
    list_durable_object_ids,
    run_durable_object_alarm,
    run_in_durable_object,
)
from pyflare.testing.queues import dead_letters, drain, messages
from pyflare.testing.workflows import introspect_workflow, introspect_workflow_instance

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
