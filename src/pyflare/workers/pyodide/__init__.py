"""A stand-in for the ``pyodide`` package: under CPython there is no JS boundary to cross."""
