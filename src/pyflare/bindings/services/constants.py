"""Names and prefixes of service bindings, as wrangler and workerd spell them."""

from __future__ import annotations

# wrangler names the workers it runs "core:user:<name>" in workerd's config; errors quote those names.
WORKER_PREFIX = "core:user:"

# Entrypoint methods that are handlers, never RPC methods (developers.cloudflare.com/workers/runtime-apis/rpc/
# reserved-methods); ``fetch`` goes through the binding's own fetch().
RESERVED_METHODS = frozenset({"fetch", "connect"})

DEFAULT_ENTRYPOINT = "Default"
