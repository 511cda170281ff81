"""The ``[assets]`` grammar: its options, ``run_worker_first`` rules and the limits wrangler checks on the
assets directory, with wrangler's and Miniflare's texts (the assets feature itself is ``pyflare.assets``)."""

from __future__ import annotations

from typing import Any

from pyflare.config.errors import ConfigError

MAX_ASSET_SIZE = 25 * 1024 * 1024  # 25 MiB per file
MAX_ASSET_COUNT = 100_000  # files in one version

MAX_RUN_WORKER_FIRST_RULES = 100
MAX_RUN_WORKER_FIRST_RULE_LENGTH = 100  # characters

HTML_HANDLING = ("auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none")
NOT_FOUND_HANDLING = ("single-page-application", "404-page", "none")


class AssetsConfigError(ConfigError):
    """A problem with the ``assets`` config or directory (reported at start, as wrangler does)."""


def pretty_bytes(size: int) -> str:
    """Sizes as wrangler prints them (pretty-bytes, binary units, 3 significant digits)."""
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    text = f"{value:.3g}" if value < 1000 else f"{value:.0f}"
    return f"{text} {units[unit]}"


def check_options(assets: Any, where: str) -> None:
    if assets.html_handling is not None and assets.html_handling not in HTML_HANDLING:
        raise AssetsConfigError(f"{where}.html_handling: expected one of {', '.join(HTML_HANDLING)}, "
                                f"got {assets.html_handling!r}")
    if assets.not_found_handling is not None and assets.not_found_handling not in NOT_FOUND_HANDLING:
        raise AssetsConfigError(f"{where}.not_found_handling: expected one of {', '.join(NOT_FOUND_HANDLING)}, "
                                f"got {assets.not_found_handling!r}")
    if isinstance(assets.run_worker_first, list):
        check_run_worker_first(assets.run_worker_first)


def check_run_worker_first(rules: list[str]) -> tuple[list[str], list[str]]:
    """wrangler's checks of a rule list, with its messages; returns (worker rules, asset rules)."""
    if not rules:
        raise AssetsConfigError("No `run_worker_first` rules were provided; must provide at least 1 rule.")
    if len(rules) > MAX_RUN_WORKER_FIRST_RULES:
        raise AssetsConfigError(f"Too many `run_worker_first` rules were provided; {len(rules)} rules provided "
                                f"exceeds max of {MAX_RUN_WORKER_FIRST_RULES}.")
    worker, assets, raw_assets, problems = [], [], [], []
    for rule in rules:
        if rule.startswith("!/"):
            assets.append(rule[1:])
            raw_assets.append(rule)
        elif rule.startswith("/"):
            worker.append(rule)
        elif rule.startswith("!"):
            problems.append(f"'{rule}': negative rules must start with '!/'")
        else:
            problems.append(f"'{rule}': rules must start with '/' or '!/'")
    if assets and not worker:
        raise AssetsConfigError("Only negative `run_worker_first` rules were provided; "
                                "must provide at least 1 non-negative rule")
    problems += _rule_problems(worker) + _rule_problems(raw_assets)
    if problems:
        raise AssetsConfigError("Invalid routes in `run_worker_first`:\n" + "\n".join(problems))
    return worker, assets


def _rule_problems(rules: list[str]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for rule in rules:
        if len(rule) > MAX_RUN_WORKER_FIRST_RULE_LENGTH:
            problems.append(f"'{rule}': all rules must be less than {MAX_RUN_WORKER_FIRST_RULE_LENGTH} characters "
                            "in length")
        if rule in seen:
            problems.append(f"'{rule}': rule is a duplicate; rules must be unique")
        if rule.endswith("*"):
            problems += [f"'{other}': rule '{rule}' makes it redundant" for other in rules
                         if other != rule and other.startswith(rule[:-1])]
        seen.add(rule)
    return problems


def too_many_assets(count: int, directory: str) -> AssetsConfigError:
    return AssetsConfigError(
        "Maximum number of assets exceeded.\n"
        f"Cloudflare Workers supports up to {MAX_ASSET_COUNT:,} assets in a version. We found {count:,} files in "
        f'the specified assets directory "{directory}".\n'
        f"Ensure your assets directory contains a maximum of {MAX_ASSET_COUNT:,} files, and that you have "
        "specified your assets directory correctly."
    )


def asset_too_large(path: str, size: int, directory: str) -> AssetsConfigError:
    return AssetsConfigError(
        "Asset too large.\n"
        f"Cloudflare Workers supports assets with sizes of up to {pretty_bytes(MAX_ASSET_SIZE)}. We found a file "
        f"{path} with a size of {pretty_bytes(size)}.\n"
        f'Ensure all assets in your assets directory "{directory}" conform with the Workers maximum size requirement.'
    )
