# Types for `workers.wsgi` (see workers-stubs/__init__.pyi).
from pyflare.workers.wsgi import *
