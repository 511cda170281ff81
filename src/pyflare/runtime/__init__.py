"""The runtime: the worker host under the features, as workerd sits under Miniflare's plugins.

- Loading and calling a worker's code: ``loader`` (its modules, isolated per worker), ``worker``
  (``WorkerCode``: one load of the code, its handlers), ``runtime`` (``Runtime``: the live code of one
  worker, reloads, events, and the worker's platform state: its stash and WebSocket connections),
  ``env``, ``errors`` (tracebacks as a worker's author reads them).
- The plugin interface: ``plugin`` (``Plugin``, ``Platform``, ``Options``).
- The HTTP and WebSocket front: ``app`` (the ASGI app), ``incoming`` (a request in, with Cloudflare's
  limits), ``respond`` (a response out, and the one error page), ``upgrade`` (WebSocket upgrades),
  ``endpoints`` (the scheduled-event endpoints), ``guard`` (only local Host/Origin reach pyflare's own
  endpoints).
- ``outbound``: where a worker's ``fetch()`` goes (routed by tests, or the network).

It imports the SDK (``pyflare.workers``) and what lies below; never a feature or the composition root.
"""
