"""Several pyflare processes as one platform: the dev registry and the calls between processes.

``pyflare dev`` processes on one machine find each other through a registry folder (:mod:`.registry`), as
``wrangler dev`` sessions do, and call each other over HTTP on loopback (:mod:`.transport`), with values and
errors carried as :mod:`.wire` says. :class:`~.hub.Peers` is one process's side of all that; plugins find it in
``platform.shared[PEERS]`` and register what they answer for (entrypoints, Durable Object classes, queue
consumers, workflows). Processes that share one state folder also reach each other through it: the process
that owns a Durable Object namespace publishes how to reach it there (:mod:`pyflare.objects.ownership`).
"""

from __future__ import annotations

from pyflare.peers.hub import PEERS, EntrypointHandler, ObjectHandler, Peers, WorkerNotFound, not_found
from pyflare.peers.registry import ENV_VARIABLE, RegistryFolder, WorkerEntry, default_registry_path
from pyflare.peers.transport import PREFIX, Missing, PeerGone, Route, buffered

__all__ = [
    "ENV_VARIABLE",
    "PEERS",
    "PREFIX",
    "EntrypointHandler",
    "Missing",
    "ObjectHandler",
    "PeerGone",
    "Peers",
    "RegistryFolder",
    "Route",
    "WorkerEntry",
    "WorkerNotFound",
    "buffered",
    "default_registry_path",
    "not_found",
]
