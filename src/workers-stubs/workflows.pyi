# Types for `workers.workflows` (see workers-stubs/__init__.pyi).
from pyflare.workers.workflows import *
