"""The SQL API's dialect, locally: a query in Analytics Engine's ClickHouse-flavoured SQL is translated to
SQLite and run on the stored data points, and the answer is shaped as the SQL API shapes it.

Supported (the subset Analytics Engine's SQL reference documents for everyday queries):

- ``SELECT ... FROM <dataset> [WHERE] [GROUP BY] [HAVING] [ORDER BY] [LIMIT n [OFFSET m]] [FORMAT f]``,
  subqueries in ``FROM``, ``SHOW TABLES``; columns ``timestamp``, ``_sample_interval``, ``index1``,
  ``blob1``..``blob20``, ``double1``..``double20``, ``dataset``;
- aggregates ``count``, ``countIf``, ``sum``, ``sumIf``, ``avg``, ``avgIf``, ``min``, ``max``, ``argMin``,
  ``argMax``, ``quantileExactWeighted(q, x, w)`` (also ``quantileWeighted`` and ClickHouse's
  ``quantileExactWeighted(q)(x, w)``);
- time: ``now()``, ``today()``, ``INTERVAL n SECOND|MINUTE|HOUR|DAY|WEEK`` (and ``MONTH``/``YEAR`` in
  ``toStartOfInterval``), ``toStartOfInterval``, ``toStartOfMinute``, ``toStartOfFiveMinutes``,
  ``toStartOfFifteenMinutes``, ``toStartOfHour``, ``toStartOfDay``, ``toStartOfWeek``, ``toStartOfMonth``,
  ``toDate``, ``toDateTime``, ``toUnixTimestamp``; a string compared with ``timestamp`` is read as a date;
- scalars ``if``, ``abs``, ``round``, ``floor``, ``ceil``, ``lower``, ``upper``, ``length``, ``concat``,
  ``substring``, ``coalesce``, ``toString``, ``toFloat64``, ``toUInt32``, ``toInt64``;
- ``FORMAT JSON`` (the default: ``meta``, ``data``, ``rows``, ``rows_before_limit_at_least``),
  ``JSONEachRow``, ``TabSeparated``, ``TabSeparatedWithNames``.

Anything else is refused with :class:`SqlError` naming what is not supported. Queries are read-only: an
authorizer lets the statement read, never write. Times are seconds since the epoch inside, written as
``YYYY-MM-DD hh:mm:ss`` (UTC) in answers, as ClickHouse writes ``DateTime``.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from pyflare.bindings.analytics_engine.constants import RETENTION_SECONDS
from pyflare.bindings.analytics_engine.store import COLUMNS, DataPointStore
from pyflare.kernel.clock import Clock

__all__ = ["QueryResult", "SqlError", "run_query"]


class SqlError(ValueError):
    """A query the local SQL API cannot run (a syntax it does not support, an unknown table)."""


TOKEN = re.compile(r"""
    (?P<space>\s+|--[^\n]*)
  | (?P<string>'(?:[^'\\]|\\.|'')*')
  | (?P<quoted>`[^`]*`|"[^"]*")
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|!=|<>|==|\|\||[-+*/%=<>(),.;])
""", re.VERBOSE)

UNITS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400, "WEEK": 7 * 86400}
CALENDAR_UNITS = ("MONTH", "QUARTER", "YEAR")
FORMATS = ("JSON", "JSONEachRow", "TabSeparated", "TabSeparatedWithNames")

# Function name (lower case) -> the SQLite function it becomes.
FUNCTIONS = {
    "count": "count", "sum": "sum", "avg": "avg", "min": "min", "max": "max",
    "countif": "ae_countif", "sumif": "ae_sumif", "avgif": "ae_avgif", "argmin": "ae_argmin",
    "argmax": "ae_argmax", "quantileexactweighted": "ae_quantile_weighted", "quantileweighted":
    "ae_quantile_weighted",
    "now": "ae_now", "today": "ae_today", "tostartofinterval": "ae_start_of_interval",
    "tostartofminute": "ae_start_of_minute", "tostartoffiveminutes": "ae_start_of_five_minutes",
    "tostartoffifteenminutes": "ae_start_of_fifteen_minutes", "tostartofhour": "ae_start_of_hour",
    "tostartofday": "ae_start_of_day", "tostartofweek": "ae_start_of_week", "tostartofmonth": "ae_start_of_month",
    "todate": "ae_start_of_day", "todatetime": "ae_to_datetime", "tounixtimestamp": "ae_to_unix",
    "if": "iif", "abs": "abs", "round": "round", "floor": "ae_floor", "ceil": "ae_ceil", "lower": "lower",
    "upper": "upper", "length": "length", "concat": "ae_concat", "substring": "substr", "coalesce": "coalesce",
    "tostring": "ae_to_string", "tofloat64": "ae_to_float", "touint32": "ae_to_int", "toint64": "ae_to_int",
}
DATETIME_FUNCTIONS = {"now", "tostartofinterval", "tostartofminute", "tostartoffiveminutes",
                      "tostartoffifteenminutes", "tostartofhour", "tostartofday", "tostartofweek", "todatetime"}
DATE_FUNCTIONS = {"today", "todate", "tostartofmonth"}
CLAUSE_WORDS = {"SELECT", "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "FORMAT", "AS", "BY",
                "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "BETWEEN", "ASC", "DESC", "DISTINCT", "CASE",
                "WHEN", "THEN", "ELSE", "END", "INTERVAL", "SHOW", "TABLES", "TRUE", "FALSE"}
NOT_SUPPORTED = {"JOIN", "UNION", "INSERT", "UPDATE", "DELETE", "DROP", "CREATE", "ALTER", "ATTACH", "PRAGMA",
                 "WITH", "INTERSECT", "EXCEPT", "ARRAY", "SETTINGS", "SAMPLE", "PREWHERE", "WINDOW", "OVER"}


@dataclass
class Token:
    kind: str
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass
class QueryResult:
    names: list[str]
    types: list[str]
    rows: list[list[Any]]
    format: str

    def body(self) -> tuple[str, str]:
        """``(content_type, text)`` as the SQL API answers in this query's FORMAT."""
        if self.format == "JSON":
            data = [dict(zip(self.names, (_json_value(v, t) for v, t in zip(row, self.types, strict=True)),
                             strict=True)) for row in self.rows]
            document = {"meta": [{"name": n, "type": t} for n, t in zip(self.names, self.types, strict=True)],
                        "data": data, "rows": len(self.rows), "rows_before_limit_at_least": len(self.rows)}
            return "application/json", json.dumps(document, indent=1) + "\n"
        if self.format == "JSONEachRow":
            lines = [json.dumps(dict(zip(self.names, (_json_value(v, t) for v, t in zip(row, self.types,
                                                                                          strict=True)),
                                         strict=True)), separators=(",", ":")) for row in self.rows]
            return "application/x-ndjson", "".join(line + "\n" for line in lines)
        lines = ["\t".join(self.names)] if self.format == "TabSeparatedWithNames" else []
        lines += ["\t".join(_tsv_value(v, t) for v, t in zip(row, self.types, strict=True)) for row in self.rows]
        return "text/tab-separated-values", "".join(line + "\n" for line in lines)


def _json_value(value: Any, kind: str) -> Any:
    if kind in ("UInt64", "Int64"):  # ClickHouse quotes 64-bit integers in JSON (output_format_json_quote_64bit)
        return str(value)
    return value


def _tsv_value(value: Any, kind: str) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


# -- translation -----------------------------------------------------------------------------------
def tokenize(sql: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(sql):
        match = TOKEN.match(sql, position)
        if match is None:
            raise SqlError(f"Syntax error at position {position}: unexpected {sql[position]!r}")
        position = match.end()
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group()))
    while tokens and tokens[-1].text == ";":
        tokens.pop()
    if any(t.text == ";" for t in tokens):
        raise SqlError("Only one statement per query is supported")
    return tokens


def _string_value(token: Token) -> str:
    body = token.text[1:-1]
    return re.sub(r"\\(.)|''", lambda m: m.group(1) or "'", body)


def _parse_date(text: str) -> float:
    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SqlError(f"Cannot parse {text!r} as a DateTime (use 'YYYY-MM-DD hh:mm:ss')") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


@dataclass
class Translation:
    sql: str
    datasets: list[str]
    names_types: list[str]  # the select items' kinds: "DateTime", "Date" or "" (decided by the value)
    format: str


def translate(sql: str) -> Translation | str:
    """The SQLite form of a query (or ``"SHOW TABLES"``)."""
    tokens = tokenize(sql)
    if not tokens:
        raise SqlError("Empty query")
    output_format = "JSON"
    if len(tokens) >= 2 and tokens[-2].upper == "FORMAT":
        wanted = tokens[-1].text
        match = next((f for f in FORMATS if f.lower() == wanted.lower()), None)
        if match is None:
            raise SqlError(f"Unsupported FORMAT {wanted}: supported are {', '.join(FORMATS)}")
        output_format = match
        tokens = tokens[:-2]
    words = [t.upper for t in tokens if t.kind == "name"]
    if words[:2] == ["SHOW", "TABLES"] and len(tokens) == 2:
        return f"SHOW TABLES:{output_format}"
    if tokens[0].upper != "SELECT":
        raise SqlError(f"Only SELECT queries and SHOW TABLES are supported, not {tokens[0].text}")
    for token in tokens:
        if token.kind == "name" and token.upper in NOT_SUPPORTED:
            raise SqlError(f"{token.upper} is not supported by the local Analytics Engine SQL API")
    out: list[str] = []
    datasets: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.kind == "name" and token.upper == "INTERVAL":
            seconds, index = _interval(tokens, index, in_start_of_interval=_inside(tokens, index,
                                                                                   "tostartofinterval"))
            out.append(seconds)
            continue
        if token.kind == "name" and token.upper == "FROM" and following is not None and following.text != "(":
            name = following.text[1:-1] if following.kind == "quoted" else following.text
            datasets.append(name)
            out.append("FROM " + _quote(name))
            index += 2
            continue
        if token.kind == "name" and following is not None and following.text == "(":
            lower = token.text.lower()
            if lower not in FUNCTIONS:
                raise SqlError(f"Function {token.text} is not supported by the local Analytics Engine SQL API "
                               f"(supported: {', '.join(sorted(_shown_functions()))})")
            if lower in ("quantileexactweighted", "quantileweighted"):
                index = _parametric_quantile(tokens, index, out)
                continue
            out.append(FUNCTIONS[lower])
            index += 1
            continue
        if token.kind == "string" and _beside_timestamp(tokens, index):
            out.append(repr(_parse_date(_string_value(token))))
            index += 1
            continue
        if token.kind == "string":
            out.append("'" + _string_value(token).replace("'", "''") + "'")
        elif token.kind == "quoted":
            out.append(_quote(token.text[1:-1]))
        elif token.text == "==":
            out.append("=")
        else:
            out.append(token.text)
        index += 1
    # Each dataset is a table of its data points still within the retention period, on pyflare's clock.
    ctes = ", ".join(f"{_quote(name)} AS (SELECT * FROM data_points WHERE dataset = "
                     f"'{name.replace(chr(39), chr(39) * 2)}' AND timestamp >= ae_now() - {RETENTION_SECONDS})"
                     for name in dict.fromkeys(datasets))
    text = (f"WITH {ctes} " if ctes else "") + " ".join(out)
    return Translation(text, list(dict.fromkeys(datasets)), _select_kinds(tokens), output_format)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _shown_functions() -> set[str]:
    spelled = {"count", "countIf", "sum", "sumIf", "avg", "avgIf", "min", "max", "argMin", "argMax",
               "quantileExactWeighted", "quantileWeighted", "now", "today", "toStartOfInterval", "toStartOfMinute",
               "toStartOfFiveMinutes", "toStartOfFifteenMinutes", "toStartOfHour", "toStartOfDay", "toStartOfWeek",
               "toStartOfMonth", "toDate", "toDateTime", "toUnixTimestamp", "if", "abs", "round", "floor", "ceil",
               "lower", "upper", "length", "concat", "substring", "coalesce", "toString", "toFloat64", "toUInt32",
               "toInt64"}
    return spelled


def _inside(tokens: list[Token], index: int, function: str) -> bool:
    """Is ``tokens[index]`` an argument of a call to ``function`` (lower case)?"""
    depth = 0
    for position in range(index - 1, -1, -1):
        text = tokens[position].text
        if text == ")":
            depth += 1
        elif text == "(":
            if depth == 0:
                return position > 0 and tokens[position - 1].text.lower() == function
            depth -= 1
    return False


def _interval(tokens: list[Token], index: int, *, in_start_of_interval: bool) -> tuple[str, int]:
    """``INTERVAL n UNIT`` (n a number or a quoted number) -> seconds, or ``'n UNIT'`` for toStartOfInterval."""
    if index + 2 >= len(tokens):
        raise SqlError("INTERVAL needs a number and a unit, e.g. INTERVAL 1 DAY")
    amount_token, unit_token = tokens[index + 1], tokens[index + 2]
    amount_text = _string_value(amount_token) if amount_token.kind == "string" else amount_token.text
    try:
        amount = float(amount_text)
    except ValueError:
        raise SqlError(f"INTERVAL needs a number, not {amount_token.text}") from None
    unit = unit_token.upper
    if unit.endswith("S") and (unit[:-1] in UNITS or unit[:-1] in CALENDAR_UNITS):  # DAYS, MINUTES...
        unit = unit[:-1]
    if unit in CALENDAR_UNITS:
        if not in_start_of_interval:
            raise SqlError(f"INTERVAL {amount_text} {unit_token.text} is only supported in toStartOfInterval locally "
                           "(months and years have no fixed length); use DAY or WEEK")
        return f"'{amount:g} {unit}'", index + 3
    if unit not in UNITS:
        raise SqlError(f"Unsupported INTERVAL unit {unit_token.text}: use SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, "
                       "QUARTER or YEAR")
    return repr(amount * UNITS[unit]), index + 3


def _parametric_quantile(tokens: list[Token], index: int, out: list[str]) -> int:
    """``quantileExactWeighted(q, x, w)`` stays; ``quantileExactWeighted(q)(x, w)`` becomes it."""
    close = _closing(tokens, index + 1)
    if close + 1 < len(tokens) and tokens[close + 1].text == "(":
        out.append("ae_quantile_weighted(")
        out.extend(t.text for t in tokens[index + 2:close])
        out.append(",")
        return close + 2
    out.append("ae_quantile_weighted")
    return index + 1


def _closing(tokens: list[Token], open_index: int) -> int:
    depth = 0
    for position in range(open_index, len(tokens)):
        if tokens[position].text == "(":
            depth += 1
        elif tokens[position].text == ")":
            depth -= 1
            if depth == 0:
                return position
    raise SqlError("Unbalanced parentheses")


COMPARISONS = {"=", "==", "!=", "<>", "<", ">", "<=", ">="}


def _beside_timestamp(tokens: list[Token], index: int) -> bool:
    """``timestamp > '2026-01-01 00:00:00'`` (either side): the string is a DateTime."""
    before = tokens[index - 2:index]
    after = tokens[index + 1:index + 3]
    return ((len(before) == 2 and before[0].text.lower() == "timestamp" and before[1].text in COMPARISONS)
            or (len(after) == 2 and after[0].text in COMPARISONS and after[1].text.lower() == "timestamp"))


def _select_kinds(tokens: list[Token]) -> list[str]:
    """For each item of the outermost select list: "DateTime", "Date" or "" (decided by its values)."""
    items: list[list[Token]] = [[]]
    depth = 0
    for token in tokens[1:]:
        if depth == 0 and token.kind == "name" and token.upper == "FROM":
            break
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        if depth == 0 and token.text == ",":
            items.append([])
            continue
        items[-1].append(token)
    if any(len(item) == 1 and item[0].text == "*" for item in items):
        return []  # SELECT *: every column, typed by its name
    kinds = []
    for item in items:
        first = item[0] if item else None
        second = item[1] if len(item) > 1 else None
        if first is not None and first.upper == "DISTINCT":
            first, second = second, (item[2] if len(item) > 2 else None)
        name = (first.text.lower() if first is not None else "")
        called = second is not None and second.text == "("
        if name == "timestamp" and not called:
            kinds.append("DateTime")
        elif called and name in DATETIME_FUNCTIONS:
            kinds.append("DateTime")
        elif called and name in DATE_FUNCTIONS:
            kinds.append("Date")
        else:
            kinds.append("")
    return kinds


# -- running ---------------------------------------------------------------------------------------
def _utc(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)


def _start_of_interval(value: Any, interval: Any) -> float | None:
    if value is None or interval is None:
        return None
    if isinstance(interval, str):  # 'n MONTH|QUARTER|YEAR'
        amount_text, unit = interval.split()
        amount = int(float(amount_text))
        moment = _utc(float(value))
        months = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[unit] * max(amount, 1)
        index = (moment.year * 12 + moment.month - 1) // months * months
        return datetime.datetime(index // 12, index % 12 + 1, 1, tzinfo=datetime.timezone.utc).timestamp()
    step = float(interval)
    if step <= 0:
        raise ValueError("toStartOfInterval needs a positive interval")
    return math.floor(float(value) / step) * step


def _start_of(step: float) -> Any:
    return lambda value: None if value is None else math.floor(float(value) / step) * step


def _start_of_week(value: Any) -> float | None:
    if value is None:
        return None
    day = math.floor(float(value) / 86400) * 86400
    weekday = (_utc(day).weekday() + 1) % 7  # ClickHouse's default mode: weeks start on Sunday
    return day - weekday * 86400


def _start_of_month(value: Any) -> float | None:
    return None if value is None else _start_of_interval(value, "1 MONTH")


def _to_datetime(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _parse_date(value)
    return float(value)


class _CountIf:
    def __init__(self) -> None:
        self.count = 0

    def step(self, condition: Any) -> None:
        if condition:
            self.count += 1

    def finalize(self) -> int:
        return self.count


class _SumIf:
    def __init__(self) -> None:
        self.total: float | int = 0

    def step(self, value: Any, condition: Any) -> None:
        if condition and value is not None:
            self.total += value

    def finalize(self) -> float | int:
        return self.total


class _AvgIf:
    def __init__(self) -> None:
        self.total = 0.0
        self.count = 0

    def step(self, value: Any, condition: Any) -> None:
        if condition and value is not None:
            self.total += value
            self.count += 1

    def finalize(self) -> float:
        return self.total / self.count if self.count else math.nan


class _ArgExtreme:
    smallest = True

    def __init__(self) -> None:
        self.best: Any = None
        self.key: Any = None

    def step(self, argument: Any, value: Any) -> None:
        if value is None:
            return
        if self.key is None or (value < self.key if self.smallest else value > self.key):
            self.key, self.best = value, argument

    def finalize(self) -> Any:
        return self.best


class _ArgMax(_ArgExtreme):
    smallest = False


class _QuantileWeighted:
    """ClickHouse's quantileExactWeighted: the smallest value whose cumulative weight passes q * total."""

    def __init__(self) -> None:
        self.level = 0.5
        self.weights: dict[Any, float] = {}

    def step(self, level: Any, value: Any, weight: Any) -> None:
        self.level = float(level)
        if value is not None and weight:
            self.weights[value] = self.weights.get(value, 0) + float(weight)

    def finalize(self) -> Any:
        if not self.weights:
            return math.nan
        ordered = sorted(self.weights.items())
        threshold = self.level * sum(w for _, w in ordered)
        accumulated = 0.0
        for value, weight in ordered:
            accumulated += weight
            if accumulated >= threshold:
                return value
        return ordered[-1][0]


def _install(connection: sqlite3.Connection, clock: Clock) -> None:
    now = clock.time
    functions: dict[str, tuple[int, Any]] = {
        "ae_now": (0, lambda: float(math.floor(now()))),
        "ae_today": (0, lambda: math.floor(now() / 86400) * 86400.0),
        "ae_start_of_interval": (2, _start_of_interval),
        "ae_start_of_minute": (1, _start_of(60)),
        "ae_start_of_five_minutes": (1, _start_of(300)),
        "ae_start_of_fifteen_minutes": (1, _start_of(900)),
        "ae_start_of_hour": (1, _start_of(3600)),
        "ae_start_of_day": (1, _start_of(86400)),
        "ae_start_of_week": (1, _start_of_week),
        "ae_start_of_month": (1, _start_of_month),
        "ae_to_datetime": (1, _to_datetime),
        "ae_to_unix": (1, lambda v: None if v is None else int(float(v))),
        "ae_floor": (1, lambda v: None if v is None else math.floor(v)),
        "ae_ceil": (1, lambda v: None if v is None else math.ceil(v)),
        "ae_concat": (-1, lambda *parts: "".join("" if p is None else str(p) for p in parts)),
        "ae_to_string": (1, lambda v: None if v is None else (repr(v) if isinstance(v, float) else str(v))),
        "ae_to_float": (1, lambda v: None if v is None else float(v)),
        "ae_to_int": (1, lambda v: None if v is None else int(float(v))),
    }
    for name, (count, function) in functions.items():
        connection.create_function(name, count, function, deterministic=name not in ("ae_now", "ae_today"))
    aggregates = {"ae_countif": (1, _CountIf), "ae_sumif": (2, _SumIf), "ae_avgif": (2, _AvgIf),
                  "ae_argmin": (2, _ArgExtreme), "ae_argmax": (2, _ArgMax), "ae_quantile_weighted": (3, _QuantileWeighted)}
    for name, (count, cls) in aggregates.items():
        connection.create_aggregate(name, count, cls)


_ALLOWED_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, 33}  # 33: RECURSIVE


def _read_only(action: int, *_: Any) -> int:
    return sqlite3.SQLITE_OK if action in _ALLOWED_ACTIONS else sqlite3.SQLITE_DENY


def run_query(store: DataPointStore, sql: str) -> QueryResult:
    """Run one query of the SQL API's dialect on the stored data points."""
    translated = translate(sql)
    if isinstance(translated, str):  # SHOW TABLES
        rows = [[name] for name in store.datasets_now()]
        return QueryResult(["name"], ["String"], rows, translated.split(":", 1)[1])
    known = set(store.datasets_now())
    for name in translated.datasets:
        if name not in known:
            shown = ", ".join(sorted(known)) or "none yet (a dataset appears with its first data point)"
            raise SqlError(f"Unknown table {name}: no data points were written to that dataset (datasets: {shown})")
    connection = store.db.connection
    with store.db._lock:
        _install(connection, store.clock)
        connection.set_authorizer(_read_only)
        try:
            cursor = connection.execute(translated.sql)
            names = [column[0] for column in cursor.description]
            rows = [list(row) for row in cursor.fetchall()]
        except sqlite3.Error as exc:
            raise SqlError(_sqlite_message(exc)) from None
        finally:
            connection.set_authorizer(None)
    kinds = translated.names_types + [""] * (len(names) - len(translated.names_types))
    types = [_column_type(kind, name, [row[i] for row in rows]) for i, (kind, name) in enumerate(zip(kinds, names,
                                                                                                       strict=False))]
    for row in rows:
        for i, kind in enumerate(types):
            row[i] = _shown(row[i], kind)
    return QueryResult(names, types, rows, translated.format)


def _sqlite_message(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "not authorized" in text:
        return "Only read-only SELECT queries are supported"
    match = re.match(r"no such column: (.+)", text)
    if match:
        return f"Unknown column {match.group(1)}: the columns are {', '.join(COLUMNS)}"
    return f"Query failed: {text}"


def _column_type(kind: str, name: str, values: list[Any]) -> str:
    if kind:
        return kind
    lowered = name.lower()
    if lowered == "timestamp" and all(isinstance(v, float) for v in values if v is not None):
        return "DateTime"
    if lowered == "_sample_interval":
        return "UInt32"
    if lowered.startswith("double"):
        return "Float64"
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) for v in present):
        return "UInt64" if all(v >= 0 for v in present) else "Int64"
    if present and all(isinstance(v, (int, float)) for v in present):
        return "Float64"
    return "String"


def _shown(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "DateTime":
        return _utc(float(value)).strftime("%Y-%m-%d %H:%M:%S")
    if kind == "Date":
        return _utc(float(value)).strftime("%Y-%m-%d")
    if kind == "Float64":
        number = float(value)
        return None if math.isnan(number) else number
    return value
