# Types for `workers.gateway` (see workers-stubs/__init__.pyi).
from pyflare.workers.gateway import *
