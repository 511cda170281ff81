"""Warnings about a config that loads but is probably not what its author meant, in wrangler's words.

- both ``wrangler.toml`` and ``wrangler.json(c)`` in one folder (which one is used);
- an ``[env.NAME]`` that leaves out a key that is not inherited (``vars``, bindings);
- an R2 binding without ``bucket_name``;
- and, from ``pyflare dev`` only (as ``wrangler dev``): no ``compatibility_date``, or a Python ``main``
  without the ``python_workers`` flag.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from pyflare.config.models import NON_INHERITABLE, WorkerConfig

CONFIG_NAMES_BY_PRIORITY = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")


def sibling_config_warning(config_path: Path) -> str | None:
    """When the config's folder holds more than one wrangler config: say which one is used."""
    present = [name for name in CONFIG_NAMES_BY_PRIORITY if (config_path.parent / name).is_file()]
    if len(present) < 2 or config_path.name not in present:
        return None
    others = ", ".join(name for name in present if name != config_path.name)
    return (f"{config_path.parent}: found {config_path.name} and {others}; using {config_path.name} "
            f"(wrangler reads the first of {', '.join(CONFIG_NAMES_BY_PRIORITY)}). Remove the one you do not use.")


def environment_warnings(raw: dict[str, Any], environment: str | None) -> list[str]:
    """wrangler's warning for each non-inheritable key set at the top level but not in ``[env.NAME]``."""
    if environment is None:
        return []
    block = (raw.get("env") or {}).get(environment) or {}
    warnings = []
    for key in NON_INHERITABLE:
        if key in raw and key not in block:
            warnings.append(
                f'"{key}" exists at the top level, but not on "env.{environment}".\n'
                f'This is not what you probably want, since "{key}" is not inherited by environments.\n'
                f'Please add "{key}" to "env.{environment}".'
            )
    return warnings


def binding_warnings(worker: WorkerConfig, prefix: str) -> list[str]:
    """Bindings wrangler would refuse that pyflare still runs."""
    warnings = []
    for index, bucket in enumerate(worker.r2_buckets):
        if not bucket.bucket_name:
            warnings.append(
                f'{prefix}r2_buckets[{index}]: "r2_buckets" bindings should have a string "bucket_name" field '
                f'but got {{"binding":"{bucket.binding}"}}. pyflare stores this bucket\'s objects under the '
                f'binding name "{bucket.binding}" locally.'
            )
    return warnings


def dev_warnings(worker: WorkerConfig, config_path: Path) -> list[str]:
    """What ``wrangler dev`` says at start about a missing compatibility date or Python flag."""
    warnings = []
    if worker.compatibility_date is None:
        today = _dt.date.today().isoformat()  # only shown in the advice, never used for behaviour
        warnings.append(
            "No compatibility_date was specified. pyflare behaves as for a current date.\n"
            f'❯❯ Add one to your {config_path.name} file: compatibility_date = "{today}"\n'
            "See https://developers.cloudflare.com/workers/platform/compatibility-dates/ for more information."
        )
    if (worker.main or "").endswith(".py") and "python_workers" not in worker.compatibility_flags:
        warnings.append(
            "The `python_workers` compatibility flag is required to use Python. pyflare runs the worker anyway; "
            f'Cloudflare will not. Add compatibility_flags = ["python_workers"] to {config_path.name}.'
        )
    return warnings
