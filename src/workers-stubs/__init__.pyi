# Types for `import workers` in a worker: Cloudflare's Python Workers SDK as pyflare implements it.
# Shipped with pyflare as a stub-only package (PEP 561), so editors and type checkers resolve the name
# without a `workers` package being installed; pyflare maps `workers` to `pyflare.workers` at run time.
from pyflare.workers import *
from pyflare.workers import asgi as asgi
from pyflare.workers import gateway as gateway
from pyflare.workers import workflows as workflows
from pyflare.workers import wsgi as wsgi
