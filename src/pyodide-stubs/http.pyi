# Types for `pyodide.http` in a worker (pyflare.workers.pyodide.http).
from pyflare.workers.pyodide.http import *
