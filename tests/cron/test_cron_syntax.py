"""Cloudflare's cron syntax: day of week 1-7 from Sunday, L, W, LW, #, names; what is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from pyflare.config.cron import CronSyntaxError, parse_cron

START = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)  # a Sunday


def next_three(expression: str) -> list[str]:
    schedule = parse_cron(expression)
    out, current = [], START.timestamp()
    for _ in range(3):
        current = schedule.next_after(current)
        out.append(dt.datetime.fromtimestamp(current, dt.timezone.utc).strftime("%a %m-%d %H:%M"))
    return out


@pytest.mark.parametrize(("expression", "expected"), [
    ("*/5 * * * *", ["Sun 11-01 00:05", "Sun 11-01 00:10", "Sun 11-01 00:15"]),
    ("0 17 * * 1", ["Sun 11-01 17:00", "Sun 11-08 17:00", "Sun 11-15 17:00"]),  # 1 is Sunday
    ("0 17 * * sun", ["Sun 11-01 17:00", "Sun 11-08 17:00", "Sun 11-15 17:00"]),
    ("0 12 * * 7", ["Sat 11-07 12:00", "Sat 11-14 12:00", "Sat 11-21 12:00"]),  # 7 is Saturday
    ("10 7 * * 2-6", ["Mon 11-02 07:10", "Tue 11-03 07:10", "Wed 11-04 07:10"]),
    ("10 7 * * mon-fri", ["Mon 11-02 07:10", "Tue 11-03 07:10", "Wed 11-04 07:10"]),
    ("0 18 * * 6L", ["Fri 11-27 18:00", "Fri 12-25 18:00", "Fri 01-29 18:00"]),  # last Friday
    ("0 18 * * friL", ["Fri 11-27 18:00", "Fri 12-25 18:00", "Fri 01-29 18:00"]),
    ("59 23 LW * *", ["Mon 11-30 23:59", "Thu 12-31 23:59", "Fri 01-29 23:59"]),  # last weekday
    ("0 0 L * *", ["Mon 11-30 00:00", "Thu 12-31 00:00", "Sun 01-31 00:00"]),
    ("0 0 15W * *", ["Mon 11-16 00:00", "Tue 12-15 00:00", "Fri 01-15 00:00"]),  # weekday nearest the 15th
    ("0 10 * * 2#2", ["Mon 11-09 10:00", "Mon 12-14 10:00", "Mon 01-11 10:00"]),  # second Monday
    ("0 10 * * MON#2", ["Mon 11-09 10:00", "Mon 12-14 10:00", "Mon 01-11 10:00"]),
    ("0 0 * * */2", ["Tue 11-03 00:00", "Thu 11-05 00:00", "Sat 11-07 00:00"]),  # 1,3,5,7 = Sun,Tue,Thu,Sat
    ("0 0 1 jan-mar *", ["Fri 01-01 00:00", "Mon 02-01 00:00", "Mon 03-01 00:00"]),
])
def test_cloudflare_expressions_fire_when_cloudflare_fires_them(expression, expected):
    assert next_three(expression) == expected


@pytest.mark.parametrize(("expression", "message"), [
    ("0 0 * * 0", "day of week 0 is out of range 1-7"),
    ("0 0 * * 8", "day of week 8 is out of range 1-7"),
    ("* * * *", "have 5 fields"),
    ("0 * * * * *", "have 5 fields"),
    ("60 * * * *", "minute 60 is out of range"),
    ("0 24 * * *", "hour 24 is out of range"),
    ("0 0 0 * *", "day of month 0 is out of range"),
    ("0 0 * 13 *", "month 13 is out of range"),
    ("*/0 * * * *", "step 0"),
    ("0 0 * * 2#6", "the week must be 1-5"),
    ("0 0 * * funday", "not a valid day of week"),
    ("5-1 * * * *", "runs backwards"),
])
def test_expressions_cloudflare_refuses_are_refused(expression, message):
    with pytest.raises(CronSyntaxError, match=message):
        parse_cron(expression)


def test_times_between_lists_every_firing_once():
    schedule = parse_cron("*/5 * * * *")
    start = START.timestamp()
    times = schedule.times_between(start, start + 3600)
    assert len(times) == 12 and times[0] == start + 300 and times[-1] == start + 3600
