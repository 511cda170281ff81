# Types for `workers.asgi` (see workers-stubs/__init__.pyi).
from pyflare.workers.asgi import *
