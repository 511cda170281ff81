# Types for the top-level `asgi` module of Python Workers (the same as `workers.asgi`).
from pyflare.workers.asgi import *
