"""Bindings: one package per emulated Cloudflare service (kv, r2, d1, queues, durable_objects, workflows,
services, cache, ratelimit, vectorize, worker_loader, and ``offline`` for the services only Cloudflare runs),
each a plugin (:mod:`pyflare.runtime.plugin`) built over the shared storage layer, the object layer and the clock.

Inside a package the same few modules recur: ``constants`` (limits), ``validation`` (every input check with
Cloudflare's text), ``errors``, ``store`` (state, over :mod:`pyflare.storage`), the worker-facing objects,
and ``plugin``/``create``. Binding packages do not import each other; what two need is below them
(``pyflare.storage``, ``pyflare.objects``, ``pyflare.runtime``, ``pyflare.kernel``).
"""
