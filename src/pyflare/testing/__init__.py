"""Testing: the pytest plugin (fixtures ``pyflare`` and ``pyflare_client``, marker ``pyflare``) and helpers
that tests call on a running :class:`pyflare.Pyflare`:

- D1: :func:`apply_d1_migrations`, :func:`seed_d1`, :func:`d1_store`
- Queues: :func:`drain` (deliver what is due now and wait until idle), :func:`messages`, :func:`dead_letters`
- Workflows: :func:`introspect_workflow_instance`, :func:`introspect_workflow`
"""

from pyflare.testing.d1 import apply_d1_migrations, d1_store, seed_d1
from pyflare.testing.queues import dead_letters, drain, messages
from pyflare.testing.workflows import introspect_workflow, introspect_workflow_instance

__all__ = ["apply_d1_migrations", "d1_store", "dead_letters", "drain", "introspect_workflow",
           "introspect_workflow_instance", "messages", "seed_d1"]
