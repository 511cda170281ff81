"""``JsDate``: a JavaScript ``Date`` as Python code holds it (``js.Date``), on pyflare's one clock.

Epoch milliseconds, NaN when invalid, read and written in UTC (a Worker's time zone). ``Date.new()`` is now on
the clock of the worker whose code runs; ``Date.parse`` reads ISO-8601 (date-only forms are UTC) and the
RFC 2822 / HTTP forms.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from pyflare.kernel.context import current_worker
from pyflare.kernel.jserrors import RangeError
from pyflare.kernel.jsobjects import JsProxy, js_value

__all__ = ["JsDate", "parse_date"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MAX_TIME = 8.64e15
_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ISO_DATE_ONLY = re.compile(r"^([+-]\d{6}|\d{4})(?:-(\d\d)(?:-(\d\d))?)?$")


def _now_ms() -> float:
    worker = current_worker.get()
    if worker is not None:
        return float(worker.clock.time_ms())
    return float(int(time.time() * 1000))


def _time_clip(ms: float) -> float:
    if math.isnan(ms) or math.isinf(ms) or abs(ms) > _MAX_TIME:
        return math.nan
    return float(math.trunc(ms)) + 0.0


def parse_date(text: str) -> float:
    """``Date.parse(text)``: epoch milliseconds, NaN when the text is not a date JavaScript reads."""
    text = str(text).strip()
    if not text:
        return math.nan
    iso = text.replace("Z", "+00:00").replace("z", "+00:00")
    date_only = _ISO_DATE_ONLY.match(text)
    if date_only:  # date-only ISO forms are UTC, whatever the time zone
        year, month, day = date_only.group(1), date_only.group(2), date_only.group(3)
        return _from_parts(int(year), int(month or 1) - 1, int(day or 1), 0, 0, 0, 0)
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return math.nan
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)  # a Worker's local time zone is UTC
    return _time_clip((parsed - _EPOCH) / timedelta(milliseconds=1))


def _from_parts(year: float, month: float, day: float, hours: float, minutes: float, seconds: float,
                ms: float) -> float:
    """``Date.UTC(...)``: fields that may overflow (month 12 is next January), as MakeDay/MakeTime do."""
    values = (year, month, day, hours, minutes, seconds, ms)
    if any(math.isnan(v) or math.isinf(v) for v in values):
        return math.nan
    year, month = int(year), int(month)
    year += month // 12
    month %= 12
    try:
        days = (datetime(year, month + 1, 1) - datetime(1970, 1, 1)).days
    except (ValueError, OverflowError):
        days = _days_from_civil(year, month + 1, 1)
    days += int(day) - 1
    return _time_clip(days * 86400000.0 + int(hours) * 3600000 + int(minutes) * 60000 + int(seconds) * 1000
                      + int(ms))


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date beyond datetime's years 1-9999."""
    y -= m <= 2
    era = y // 400  # (floor division: the C original adjusts truncation by hand)
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


class JsDate(JsProxy):
    """A JavaScript ``Date``: epoch milliseconds (NaN when invalid), in UTC, a Worker's time zone.

    ``Date.new()`` is now on pyflare's clock; ``.new(ms)``, ``.new("2024-01-02T03:04:05Z")`` and
    ``.new(year, monthIndex, day, ...)`` as in JavaScript. ``to_py()`` leaves it a Date, as Pyodide does;
    ``to_datetime()`` is the UTC ``datetime`` (None when invalid).
    """

    __slots__ = ("_ms",)
    js_type = "Date"

    def __init__(self, *args: Any) -> None:
        if not args:
            self._ms = _now_ms()
        elif len(args) == 1:
            value = args[0]
            if isinstance(value, JsDate):
                self._ms = value._ms
            elif isinstance(value, datetime):
                aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
                self._ms = _time_clip((aware - _EPOCH) / timedelta(milliseconds=1))
            elif isinstance(value, str):
                self._ms = parse_date(value)
            elif value is None:
                self._ms = 0.0
            else:
                self._ms = _time_clip(float(value))
        else:
            fields = [float(a) for a in args[:7]]
            year, month = fields[0], fields[1]
            rest = fields[2:] + [1.0, 0.0, 0.0, 0.0, 0.0][len(fields) - 2:]  # day 1, midnight by default
            if 0 <= year <= 99 and year == int(year):
                year += 1900
            self._ms = _from_parts(year, month, *rest[:5])

    @classmethod
    def new(cls, *args: Any) -> JsDate:
        return cls(*args)

    @staticmethod
    def now() -> int:
        return int(_now_ms())

    @staticmethod
    def parse(text: str) -> float | int:
        return js_value(parse_date(text))

    @staticmethod
    def UTC(year: float, month: float = 0, day: float = 1, hours: float = 0, minutes: float = 0,  # noqa: N802
            seconds: float = 0, ms: float = 0) -> float | int:
        if 0 <= year <= 99 and year == int(year):
            year += 1900
        return js_value(_from_parts(year, month, day, hours, minutes, seconds, ms))

    # -- reading -----------------------------------------------------------------------------------
    def getTime(self) -> float | int:  # noqa: N802
        return self._ms if math.isnan(self._ms) else int(self._ms)

    valueOf = getTime  # noqa: N815

    def to_datetime(self) -> datetime | None:
        if math.isnan(self._ms):
            return None
        try:
            return _EPOCH + timedelta(milliseconds=self._ms)
        except OverflowError:
            return None

    def _fields(self) -> tuple[int, int, int, int, int, int, int, int] | None:
        """(year, month index, day, hours, minutes, seconds, ms, weekday) in UTC; None when invalid."""
        if math.isnan(self._ms):
            return None
        ms = int(self._ms)
        days, rest = divmod(ms, 86400000)
        when = self.to_datetime()
        if when is not None:
            year, month, day = when.year, when.month - 1, when.day
        else:  # beyond datetime's range: civil-from-days
            z = days + 719468
            era = z // 146097
            doe = z - era * 146097
            yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
            doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
            mp = (5 * doy + 2) // 153
            day = doy - (153 * mp + 2) // 5 + 1
            month = mp + 2 if mp < 10 else mp - 10
            year = yoe + era * 400 + (month <= 1)
        hours, rest = divmod(rest, 3600000)
        minutes, rest = divmod(rest, 60000)
        seconds, millis = divmod(rest, 1000)
        return year, month, day, hours, minutes, seconds, millis, (days + 4) % 7

    def _field(self, index: int) -> float | int:
        fields = self._fields()
        return math.nan if fields is None else fields[index]

    def getFullYear(self) -> float | int: return self._field(0)  # noqa: E704,N802
    def getMonth(self) -> float | int: return self._field(1)  # noqa: E704,N802
    def getDate(self) -> float | int: return self._field(2)  # noqa: E704,N802
    def getHours(self) -> float | int: return self._field(3)  # noqa: E704,N802
    def getMinutes(self) -> float | int: return self._field(4)  # noqa: E704,N802
    def getSeconds(self) -> float | int: return self._field(5)  # noqa: E704,N802
    def getMilliseconds(self) -> float | int: return self._field(6)  # noqa: E704,N802
    def getDay(self) -> float | int: return self._field(7)  # noqa: E704,N802

    getUTCFullYear, getUTCMonth, getUTCDate = getFullYear, getMonth, getDate  # noqa: N815
    getUTCHours, getUTCMinutes, getUTCSeconds = getHours, getMinutes, getSeconds  # noqa: N815
    getUTCMilliseconds, getUTCDay = getMilliseconds, getDay  # noqa: N815

    def getTimezoneOffset(self) -> int:  # noqa: N802
        return 0

    # -- writing -----------------------------------------------------------------------------------
    def setTime(self, ms: float) -> float | int:  # noqa: N802
        self._ms = _time_clip(float(ms))
        return self.getTime()

    def _set(self, index: int, values: tuple[Any, ...]) -> float | int:
        fields = self._fields()
        current = list(fields[:7]) if fields is not None else [1970, 0, 1, 0, 0, 0, 0]
        if fields is None and index != 0:
            return math.nan
        for offset, value in enumerate(values):
            current[index + offset] = float(value)
        self._ms = _from_parts(*current)
        return self.getTime()

    def setFullYear(self, *values: Any) -> float | int: return self._set(0, values)  # noqa: E704,N802
    def setMonth(self, *values: Any) -> float | int: return self._set(1, values)  # noqa: E704,N802
    def setDate(self, *values: Any) -> float | int: return self._set(2, values)  # noqa: E704,N802
    def setHours(self, *values: Any) -> float | int: return self._set(3, values)  # noqa: E704,N802
    def setMinutes(self, *values: Any) -> float | int: return self._set(4, values)  # noqa: E704,N802
    def setSeconds(self, *values: Any) -> float | int: return self._set(5, values)  # noqa: E704,N802
    def setMilliseconds(self, *values: Any) -> float | int: return self._set(6, values)  # noqa: E704,N802

    setUTCFullYear, setUTCMonth, setUTCDate = setFullYear, setMonth, setDate  # noqa: N815
    setUTCHours, setUTCMinutes, setUTCSeconds = setHours, setMinutes, setSeconds  # noqa: N815
    setUTCMilliseconds = setMilliseconds  # noqa: N815

    # -- text --------------------------------------------------------------------------------------
    def toISOString(self) -> str:  # noqa: N802
        fields = self._fields()
        if fields is None:
            raise RangeError("Invalid time value")
        year, month, day, hours, minutes, seconds, ms, _ = fields
        year_text = f"{year:04d}" if 0 <= year <= 9999 else f"{'+' if year > 0 else '-'}{abs(year):06d}"
        return f"{year_text}-{month + 1:02d}-{day:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}.{ms:03d}Z"

    def toJSON(self, *_: Any) -> str | None:  # noqa: N802
        return None if math.isnan(self._ms) else self.toISOString()

    def _date_text(self, fields: tuple[int, ...]) -> str:
        year, month, day, *_, weekday = fields
        return f"{_DAYS[weekday]} {_MONTHS[month]} {day:02d} {year:04d}"

    def toDateString(self) -> str:  # noqa: N802
        fields = self._fields()
        return "Invalid Date" if fields is None else self._date_text(fields)

    def toTimeString(self) -> str:  # noqa: N802
        fields = self._fields()
        if fields is None:
            return "Invalid Date"
        return f"{fields[3]:02d}:{fields[4]:02d}:{fields[5]:02d} GMT+0000 (Coordinated Universal Time)"

    def toString(self) -> str:  # noqa: N802
        fields = self._fields()
        return "Invalid Date" if fields is None else f"{self._date_text(fields)} {self.toTimeString()}"

    def toUTCString(self) -> str:  # noqa: N802
        fields = self._fields()
        if fields is None:
            return "Invalid Date"
        year, month, day, hours, minutes, seconds, _, weekday = fields
        return (f"{_DAYS[weekday]}, {day:02d} {_MONTHS[month]} {year:04d} "
                f"{hours:02d}:{minutes:02d}:{seconds:02d} GMT")

    toGMTString = toUTCString  # noqa: N815

    def toLocaleDateString(self, *_: Any, **__: Any) -> str:  # noqa: N802
        fields = self._fields()
        return "Invalid Date" if fields is None else f"{fields[1] + 1}/{fields[2]}/{fields[0]}"

    def toLocaleTimeString(self, *_: Any, **__: Any) -> str:  # noqa: N802
        fields = self._fields()
        if fields is None:
            return "Invalid Date"
        hours = fields[3] % 12 or 12
        return f"{hours}:{fields[4]:02d}:{fields[5]:02d} {'AM' if fields[3] < 12 else 'PM'}"

    def toLocaleString(self, *_: Any, **__: Any) -> str:  # noqa: N802
        if math.isnan(self._ms):
            return "Invalid Date"
        return f"{self.toLocaleDateString()}, {self.toLocaleTimeString()}"

    def __repr__(self) -> str:
        return self.toString() if math.isnan(self._ms) else self.toISOString()

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__
