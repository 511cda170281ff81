"""``[[workflows]]`` entries, checked with wrangler's messages (workers-utils config validation)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pyflare.config.cron import CronSyntaxError, parse_cron
from pyflare.config.errors import ConfigError

PRODUCTION_MAX_STEPS = 25_000
# Workflow names: 1-64 characters of the alphabet of instance ids (wrangler's config validation).
MAX_NAME_LENGTH = 64
_NAME = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9\-_]*$")
_NAME_RULES = ("Workflow names must be 1-64 characters long, start with a letter, number, or underscore, "
               "and may only contain letters, numbers, underscores, or hyphens.")


def is_valid_workflow_name(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_NAME_LENGTH and bool(_NAME.match(value))


def check_workflows(entries: list[Any], path: Path, prefix: str) -> list[str]:
    """Raise :class:`ConfigError` on the first invalid entry; return wrangler's warnings."""
    warnings: list[str] = []
    errors: list[str] = []
    names: dict[str, int] = {}
    for index, value in enumerate(entries):
        field = f"{prefix}workflows[{index}]"
        if not isinstance(value, dict):
            errors.append(f'"workflows" bindings should be objects, but got {json.dumps(value)}')
            continue
        shown = json.dumps(value, default=str)
        for key in ("binding", "name", "class_name"):
            if not isinstance(value.get(key), str):
                errors.append(f'"{field}" bindings should have a string "{key}" field but got {shown}.')
        if isinstance(value.get("name"), str) and not is_valid_workflow_name(value["name"]):
            errors.append(f'"{field}" binding "name" field is invalid. {_NAME_RULES}')
        if value.get("script_name") is not None and not isinstance(value["script_name"], str):
            errors.append(f'"{field}" bindings should, optionally, have a string "script_name" field but got {shown}.')
        schedules = value.get("schedules")
        if schedules is not None:
            if isinstance(schedules, str):
                if not schedules:
                    errors.append(f'"{field}" bindings "schedules" field must not be an empty string.')
            elif isinstance(schedules, list):
                if not schedules:
                    errors.append(f'"{field}" bindings "schedules" field must not be an empty array.')
                elif not all(isinstance(s, str) for s in schedules):
                    errors.append(f'"{field}" bindings should, optionally, have a string or array of strings '
                                  f'"schedules" field but got {shown}.')
                elif "" in schedules:
                    errors.append(f'"{field}" bindings "schedules" field must not contain empty strings.')
            else:
                errors.append(f'"{field}" bindings should, optionally, have a string or array of strings '
                              f'"schedules" field but got {shown}.')
            for position, expression in enumerate([schedules] if isinstance(schedules, str) else schedules):
                if isinstance(expression, str) and expression:
                    try:
                        parse_cron(expression)
                    except CronSyntaxError as exc:
                        errors.append(f'"{field}" bindings "schedules[{position}]": {exc}')
        limits = value.get("limits")
        if limits is not None:
            if not isinstance(limits, dict):
                errors.append(f'"{field}" bindings should, optionally, have an object "limits" field but got {shown}.')
            elif "steps" in limits and limits["steps"] is not None:
                steps = limits["steps"]
                if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
                    errors.append(f'"{field}" bindings "limits.steps" field must be a positive integer but got '
                                  f"{json.dumps(steps)}.")
                elif steps > PRODUCTION_MAX_STEPS:
                    warnings.append(f'{path}: "{field}" has a step limit of {steps:,}, which exceeds the production '
                                    "maximum of 25,000. This configuration may not work when deployed.")
        name = value.get("name")
        if isinstance(name, str):
            if name in names and entries[names[name]].get("class_name") != value.get("class_name"):
                errors.append(f'"{field}": workflow "{name}" is already bound to class '
                              f'"{entries[names[name]].get("class_name")}" by workflows[{names[name]}]')
            names.setdefault(name, index)
    if errors:
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ConfigError(f"{path}: {errors[0]}{more}")
    return warnings
