"""Cron triggers: firing ``scheduled()`` on schedule (``scheduler``), for the crons of Cloudflare's syntax
(its grammar is ``pyflare.config.cron``).

``pyflare dev`` fires crons on schedule (wrangler dev does not); ``crons=False`` / ``--no-crons`` /
``[pyflare] crons = false`` turns that off, leaving the on-demand endpoints and ``Pyflare.scheduled()``.
"""

from __future__ import annotations

from pyflare.bindings import Services
from pyflare.config import ConfigError
from pyflare.config.cron import CronSchedule, CronSyntaxError, parse_cron
from pyflare.cron.scheduler import CronPlugin

__all__ = ["CronPlugin", "create", "schedules"]


def schedules(services: Services) -> list[CronSchedule]:
    """The worker's crons, checked against Cloudflare's syntax (ConfigError naming the key otherwise)."""
    result: list[CronSchedule] = []
    for index, expression in enumerate(services.config.worker.triggers.crons):
        try:
            result.append(parse_cron(expression))
        except CronSyntaxError as exc:
            raise ConfigError(f"{services.config.path}: triggers.crons[{index}]: {exc}") from None
    return result


def create(services: Services) -> CronPlugin | None:
    if not services.options.crons or not services.config.worker.triggers.crons:
        return None
    return CronPlugin(services, schedules(services))
