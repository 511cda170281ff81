"""``ConfigError``: a configuration problem, with one message naming the file and the key.

A leaf module, so every check of a config value (the loader, the grammars beside it, plugins checking their
bindings) raises the same error without importing the loader.
"""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(Exception):
    """A configuration problem, with one message naming the file and the key."""

    exit_code = 2
