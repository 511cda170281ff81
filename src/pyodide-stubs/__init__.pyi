# Types for `import pyodide` in a worker (pyflare.workers.pyodide).
from pyflare.workers.pyodide import ffi as ffi
from pyflare.workers.pyodide import http as http
