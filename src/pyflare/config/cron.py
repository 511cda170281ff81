"""Cloudflare's cron syntax, checked and translated for croniter.

Cloudflare takes five fields (minute, hour, day of month, month, day of week), always in UTC, with Quartz-like
extensions (https://developers.cloudflare.com/workers/configuration/cron-triggers/):

=============  ===========================================  ==============
field          values                                       characters
=============  ===========================================  ==============
minute         0-59                                         ``* , - /``
hour           0-23                                         ``* , - /``
day of month   1-31                                         ``* , - / L W``
month          1-12 or JAN-DEC (any case)                   ``* , - /``
day of week    1-7 or SUN-SAT (any case), **1 = Sunday**    ``* , - / L #``
=============  ===========================================  ==============

The day of week is where Cloudflare differs from Unix cron (0-6, 0 = Sunday, which croniter follows): ``1``
is Sunday and ``7`` Saturday, so ``0 17 * * 1`` is 5 PM on *Sunday*, ``2-6`` is Monday to Friday, ``6L`` the
last Friday of the month and ``2#1`` the first Monday. ``0`` is not a day of week on Cloudflare and is refused
here so the surprise shows up locally. ``LW`` (the last weekday of the month), which croniter lacks, is
handled by filtering croniter's candidates.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import functools
import re
from dataclasses import dataclass

from croniter import CroniterBadDateError, croniter

__all__ = ["CronSyntaxError", "CronSchedule", "parse_cron"]

DAY_NAMES = {name: index + 1 for index, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
MONTH_NAMES = {name.upper(): index for index, name in enumerate(calendar.month_abbr) if name}

_RANGES = {0: (0, 59), 1: (0, 23), 2: (1, 31), 3: (1, 12), 4: (1, 7)}
_FIELD_NAMES = ("minute", "hour", "day of month", "month", "day of week")


_NEVER_CHECK_FROM = 946684800.0  # 2000-01-01 (a leap year follows within 4 years, so Feb 29 matches)


class CronSyntaxError(ValueError):
    """A cron expression Cloudflare would not accept."""


def _number(token: str, field: int, expression: str) -> int:
    names = MONTH_NAMES if field == 3 else DAY_NAMES if field == 4 else {}
    upper = token.upper()
    if upper in names:
        return names[upper]
    if not (token.isascii() and token.isdigit()):  # not "²" or "٣", which str.isdigit() takes
        raise CronSyntaxError(f'invalid cron expression "{expression}": "{token}" is not a valid {_FIELD_NAMES[field]}')
    value = int(token)
    low, high = _RANGES[field]
    if not low <= value <= high:
        hint = " (Cloudflare numbers days of week 1-7, 1 = Sunday, or SUN-SAT)" if field == 4 else ""
        raise CronSyntaxError(
            f'invalid cron expression "{expression}": {_FIELD_NAMES[field]} {value} is out of range {low}-{high}{hint}'
        )
    return value


_STEP = re.compile(r"^(?P<base>[^/]+)(?:/(?P<step>[0-9]+))?$")


def _plain_item(item: str, field: int, expression: str, *, shift: int = 0) -> str:
    """``*``, ``a``, ``a-b`` with an optional ``/step``; numbers checked, day-of-week numbers shifted."""
    match = _STEP.match(item)
    if not match:
        raise CronSyntaxError(f'invalid cron expression "{expression}": "{item}" in {_FIELD_NAMES[field]}')
    base, step = match["base"], match["step"]
    if step is not None and int(step) == 0:
        raise CronSyntaxError(f'invalid cron expression "{expression}": step 0 in {_FIELD_NAMES[field]}')
    if base == "*":
        out = "*"
    elif "-" in base:
        low_text, _, high_text = base.partition("-")
        low, high = _number(low_text, field, expression), _number(high_text, field, expression)
        if low > high:
            raise CronSyntaxError(f'invalid cron expression "{expression}": range {base} runs backwards')
        out = f"{low - shift}-{high - shift}"
    else:
        value = _number(base, field, expression)
        out = str(value - shift)
        if step is not None:  # Quartz "a/k": from a to the end of the range, every k
            out = f"{out}-{_RANGES[field][1] - shift}"
    return out if step is None else f"{out}/{step}"


def _day_of_week_item(item: str, expression: str) -> str:
    upper = item.upper()
    if upper == "L":  # Quartz: the last day of the week, Saturday
        return "6"
    if upper.endswith("L") and len(upper) > 1:  # "6L" / "FRIL": the last Friday of the month
        return f"L{_number(upper[:-1], 4, expression) - 1}"
    if "#" in upper:  # "2#1" / "MON#1": the first Monday of the month
        day, _, nth = upper.partition("#")
        if not (nth.isascii() and nth.isdigit()) or not 1 <= int(nth) <= 5:
            raise CronSyntaxError(f'invalid cron expression "{expression}": "{item}" (the week must be 1-5)')
        return f"{_number(day, 4, expression) - 1}#{nth}"
    return _plain_item(item, 4, expression, shift=1)


def _day_of_month_item(item: str, expression: str) -> str:
    upper = item.upper()
    if upper in ("L", "LW"):
        return upper
    if upper.endswith("W"):
        return f"{_number(upper[:-1], 2, expression)}W"
    return _plain_item(item, 2, expression)


@dataclass(frozen=True)
class CronSchedule:
    """A checked Cloudflare cron expression and its croniter form."""

    expression: str
    croniter_expression: str
    last_weekday: bool = False  # day of month is "LW"

    def next_after(self, when: float) -> float:
        """The first time strictly after ``when`` (epoch seconds) that this cron fires, in UTC."""
        # Crons fire on whole minutes, so the answer is the same for every ``when`` in one minute: cached
        # by minute, every fresh test worker armed in the same minute skips croniter.
        return _next_after(self.croniter_expression, self.last_weekday, int(when // 60))

    def times_between(self, after: float, until: float) -> list[float]:
        """Every firing time in ``(after, until]``."""
        times: list[float] = []
        current = after
        while True:
            current = self.next_after(current)
            if current > until:
                return times
            times.append(current)


@functools.lru_cache(maxsize=1024)
def _next_after(croniter_expression: str, last_weekday: bool, minute: int) -> float:
    start = _dt.datetime.fromtimestamp(minute * 60, _dt.timezone.utc)
    iterator = croniter(croniter_expression, start)
    while True:
        candidate: _dt.datetime = iterator.get_next(_dt.datetime)
        if not last_weekday or candidate.day == _last_weekday(candidate.year, candidate.month):
            return candidate.timestamp()


def _last_weekday(year: int, month: int) -> int:
    day = calendar.monthrange(year, month)[1]
    weekday = calendar.weekday(year, month, day)  # Monday 0 .. Sunday 6
    return day - max(0, weekday - 4)


@functools.lru_cache(maxsize=1024)  # a CronSchedule is immutable: each expression is checked once per process
def parse_cron(expression: str) -> CronSchedule:
    """Check a Cloudflare cron expression and translate it; raises :class:`CronSyntaxError`."""
    fields = expression.split()
    if len(fields) != 5:
        raise CronSyntaxError(
            f'invalid cron expression "{expression}": Cloudflare cron expressions have 5 fields '
            f"(minute hour day-of-month month day-of-week), not {len(fields)}"
        )
    out: list[str] = []
    last_weekday = False
    for index, text in enumerate(fields):
        items = text.split(",")
        if any(not item for item in items):
            raise CronSyntaxError(f'invalid cron expression "{expression}": empty item in {_FIELD_NAMES[index]}')
        if index == 2:
            converted = [_day_of_month_item(item, expression) for item in items]
            if "LW" in converted:
                if len(converted) > 1:
                    raise CronSyntaxError(f'invalid cron expression "{expression}": LW cannot be combined in a list')
                last_weekday = True
                converted = ["26-31"]  # the last weekday is always one of these; next_after filters
        elif index == 4:
            converted = [_day_of_week_item(item, expression) for item in items]
        else:
            converted = [_plain_item(item, index, expression) for item in items]
        out.append(",".join(converted))
    translated = " ".join(out)
    if not croniter.is_valid(translated):
        raise CronSyntaxError(f'invalid cron expression "{expression}"')
    schedule = CronSchedule(expression, translated, last_weekday)
    try:
        schedule.next_after(_NEVER_CHECK_FROM)
    except CroniterBadDateError:  # e.g. "0 0 30 2 *": day 30 of February
        raise CronSyntaxError(f'invalid cron expression "{expression}": no date matches it, so it would never fire') from None
    return schedule
