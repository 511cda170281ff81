"""Cron triggers: firing ``scheduled()`` on schedule (``scheduler``), for the crons of Cloudflare's syntax
(its grammar is ``pyflare.config.cron``).

``pyflare dev`` fires crons on schedule (wrangler dev does not); ``crons=False`` / ``--no-crons`` /
``[pyflare] crons = false`` turns that off, leaving the on-demand endpoints and ``Pyflare.scheduled()``.
"""

from __future__ import annotations

from pyflare.config import ConfigError
from pyflare.config.cron import CronSchedule, CronSyntaxError, parse_cron
from pyflare.cron.scheduler import CronPlugin
from pyflare.runtime.plugin import Platform

__all__ = ["CronPlugin", "create", "schedules"]


def schedules(platform: Platform) -> list[CronSchedule]:
    """The worker's crons, checked against Cloudflare's syntax (ConfigError naming the key otherwise)."""
    result: list[CronSchedule] = []
    for index, expression in enumerate(platform.config.worker.triggers.crons):
        try:
            result.append(parse_cron(expression))
        except CronSyntaxError as exc:
            raise ConfigError(f"{platform.config.path}: triggers.crons[{index}]: {exc}") from None
    return result


def create(platform: Platform) -> CronPlugin | None:
    if not platform.options.crons or not platform.config.worker.triggers.crons:
        return None
    return CronPlugin(platform, schedules(platform))
