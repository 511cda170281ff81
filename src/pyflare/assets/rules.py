"""``_headers`` and ``_redirects`` in the assets directory, and ``run_worker_first`` rule matching.

Both files use Cloudflare's Pages syntax: URL patterns with ``*`` (a splat, ``:splat`` in the target) and
``:name`` placeholders. Invalid lines are skipped with a warning naming the line, as wrangler does; the
limits (100 header rules, 2,000 static + 100 dynamic redirects, 2,000-character lines) are Cloudflare's.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from pyflare.assets.constants import (
    MAX_DYNAMIC_REDIRECTS,
    MAX_HEADER_RULES,
    MAX_LINE_LENGTH,
    MAX_STATIC_REDIRECTS,
    REDIRECT_STATUSES,
)

log = logging.getLogger("pyflare")
_PLACEHOLDER = re.compile(r":([A-Za-z]\w*)")


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A Pages URL pattern as a regex: ``*`` captures anything as ``splat``, ``:name`` one path segment."""
    out, index, splat = "", 0, False
    for match in re.finditer(r"\*|:[A-Za-z]\w*", pattern):
        out += re.escape(pattern[index:match.start()])
        token = match.group(0)
        if token == "*":
            out += "(?P<splat>.*)" if not splat else ".*"
            splat = True
        else:
            out += f"(?P<{token[1:]}>[^/]+)"
        index = match.end()
    out += re.escape(pattern[index:])
    return re.compile(f"^{out}$")


def fill(target: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        target = target.replace(f":{name}", value)
    return target


def glob_matcher(rules: list[str]) -> re.Pattern[str] | None:
    """One regex for ``run_worker_first`` rules (``*`` matches anything, including ``/``)."""
    if not rules:
        return None
    return re.compile("^(?:" + "|".join(re.escape(r).replace(r"\*", ".*") for r in rules) + ")$")


@dataclass
class Redirect:
    source: str
    target: str
    status: int
    pattern: re.Pattern[str] | None = None  # None for a static rule (exact path)


@dataclass
class HeaderRule:
    pattern: re.Pattern[str]
    set: list[tuple[str, str]] = field(default_factory=list)
    unset: list[str] = field(default_factory=list)


def parse_redirects(text: str) -> list[Redirect]:
    rules: list[Redirect] = []
    static = dynamic = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_LINE_LENGTH:
            log.warning("_redirects line %d: longer than %d characters; ignored", number, MAX_LINE_LENGTH)
            continue
        parts = line.split()
        if len(parts) not in (2, 3):
            log.warning("_redirects line %d: expected \"from to [status]\", got %r; ignored", number, line)
            continue
        status = 302
        if len(parts) == 3:
            if not parts[2].isdigit() or int(parts[2]) not in REDIRECT_STATUSES:
                log.warning("_redirects line %d: valid statuses are %s; ignored", number,
                            ", ".join(map(str, REDIRECT_STATUSES)))
                continue
            status = int(parts[2])
        source, target = parts[0], parts[1]
        if not source.startswith("/"):
            log.warning("_redirects line %d: only relative URLs are allowed as sources; ignored", number)
            continue
        is_dynamic = "*" in source or _PLACEHOLDER.search(source) is not None
        if is_dynamic:
            if dynamic >= MAX_DYNAMIC_REDIRECTS:
                log.warning("_redirects line %d: more than %d dynamic redirects; ignored", number,
                            MAX_DYNAMIC_REDIRECTS)
                continue
            dynamic += 1
        else:
            if static >= MAX_STATIC_REDIRECTS:
                log.warning("_redirects line %d: more than %d static redirects; ignored", number, MAX_STATIC_REDIRECTS)
                continue
            static += 1
        rules.append(Redirect(source, target, status, compile_pattern(source) if is_dynamic else None))
    return rules


def parse_headers(text: str) -> list[HeaderRule]:
    rules: list[HeaderRule] = []
    current: HeaderRule | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.strip().startswith("#"):
            continue
        if len(raw) > MAX_LINE_LENGTH:
            log.warning("_headers line %d: longer than %d characters; ignored", number, MAX_LINE_LENGTH)
            continue
        if not raw[0].isspace():  # a URL pattern starts a rule
            if len(rules) >= MAX_HEADER_RULES:
                log.warning("_headers line %d: more than %d rules; the rest are ignored", number, MAX_HEADER_RULES)
                current = None
                break
            pattern = raw.strip()
            if "://" in pattern:  # an absolute URL: match on its path
                pattern = "/" + pattern.split("://", 1)[1].partition("/")[2]
            current = HeaderRule(compile_pattern(pattern))
            rules.append(current)
            continue
        line = raw.strip()
        if current is None:
            log.warning("_headers line %d: a header before any URL pattern; ignored", number)
            continue
        if line.startswith("!"):
            current.unset.append(line[1:].strip().lower())
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            log.warning("_headers line %d: expected \"Name: value\", got %r; ignored", number, line)
            continue
        current.set.append((name.strip(), value.strip()))
    return rules
