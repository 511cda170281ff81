# Types for `pyodide.ffi` in a worker (pyflare.workers.pyodide.ffi).
from pyflare.workers.pyodide.ffi import *
