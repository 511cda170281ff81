"""Finding, parsing and resolving a wrangler configuration into one :class:`ResolvedConfig`."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pyflare.config.diagnostics import binding_warnings, environment_warnings, sibling_config_warning
from pyflare.config.errors import ConfigError
from pyflare.config.models import KNOWN_IGNORED, NON_INHERITABLE, NOT_EMULATED_SETTINGS, WorkerConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# wrangler looks for wrangler.json, then wrangler.jsonc, then wrangler.toml.
CONFIG_NAMES = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")


@dataclass
class ResolvedConfig:
    """A worker's configuration with its environment applied and its secrets loaded."""

    path: Path
    worker: WorkerConfig
    environment: str | None = None
    bindings_vars: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Where the secrets came from (``.dev.vars`` etc., None if no file) and which names are secrets or
    # --var overrides: the dev banner shows vars' values but hides secrets'.
    secrets_path: Path | None = None
    secret_names: list[str] = field(default_factory=list)
    override_names: list[str] = field(default_factory=list)

    @property
    def root(self) -> Path:
        """The folder that holds the config file; relative paths in the config start here."""
        return self.path.parent

    @property
    def main_path(self) -> Path:
        return (self.root / (self.worker.main or "")).resolve()

    @property
    def name(self) -> str:
        return self.worker.name or "worker"


def find_config(path: str | Path | None = None) -> Path:
    """The config file at ``path``, or the one in the folder ``path``; with no ``path``, the nearest one
    from the current folder up, as wrangler looks for it."""
    candidate = Path(path or ".").resolve()
    if _is_dir(candidate):
        for folder in (candidate, *candidate.parents) if path is None else (candidate,):
            for name in CONFIG_NAMES:
                if _is_file(folder / name):
                    return folder / name
        where = "this folder or its parents" if path is None else "this folder"
        raise ConfigError(f"{_shown(str(candidate))}: no wrangler.toml, wrangler.jsonc or wrangler.json in {where}")
    if not _is_file(candidate):
        raise ConfigError(f"{_shown(str(candidate))}: no such config file")
    return candidate


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False too where the system cannot even look (a name too long, a NUL...)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _shown(text: str, limit: int = 120) -> str:
    """A path as an error line quotes it: printable (a newline as ``\\n``), whole, or its start and its length
    when it is very long."""
    return _printable(text) if len(text) <= limit else f"{_printable(text[:limit])}... ({len(text)} characters)"


def is_script(path: str | Path | None) -> bool:
    """Whether a PATH argument names the worker's main module (``pyflare dev src/entry.py``) rather than a config."""
    return path is not None and Path(path).suffix == ".py"


def parse_file(path: Path) -> dict[str, Any]:
    """The raw contents of a config file as a dict; syntax errors name the file and line."""
    return parse_text(read_config_text(path), path)


def read_config_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None


def parse_text(text: str, path: Path) -> dict[str, Any]:
    """The raw contents of the config file ``path`` holding ``text``; syntax errors name the file and line."""
    try:
        if path.suffix == ".toml":
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
                where = f"{path}:{line}" if line else str(path)
                raise ConfigError(f"{where}: TOML syntax error: {exc}") from None
        else:
            import json5  # only JSON configs pay for importing it

            try:
                data = json5.loads(text)
            except ValueError as exc:
                message = str(exc).replace("<string>:", "line ")
                raise ConfigError(f"{path}: JSON syntax error: {message}") from None
    except RecursionError:
        raise ConfigError(f"{path}: tables/arrays are nested too deeply to read") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a table/object")
    return check_values(data, path)


MAX_NESTING = 32  # far deeper than any wrangler key; deeper values are a mistake, not a config


def check_values(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """Refuse what no wrangler key can hold before it reaches a file name, a queue name or SQLite: tables
    nested absurdly deep, and keys or strings with a NUL or a lone surrogate (not UTF-8). Returns the data
    with surrogate pairs joined (JSON's ``"\\ud83d\\ude00"`` escapes are one character)."""
    pending: list[tuple[Any, str, int]] = [(data, "", 0)]
    while pending:  # depth first, without recursion: the input may be nested thousands of levels
        value, where, depth = pending.pop()
        if depth > MAX_NESTING:
            raise ConfigError(f"{path}: {_printable(where)}: nested more than {MAX_NESTING} levels deep")
        if isinstance(value, dict):
            pending.extend((item, f"{where}.{key}" if where else str(key), depth + 1) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((item, f"{where}[{index}]", depth + 1) for index, item in enumerate(value))
    return _clean(data, "", path)


def _clean(value: Any, where: str, path: Path) -> Any:
    if isinstance(value, str):
        return _clean_text(value, where, path)
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            cleaned[_clean_text(key, name, path) if isinstance(key, str) else key] = _clean(item, name, path)
        return cleaned
    if isinstance(value, list):
        return [_clean(item, f"{where}[{index}]", path) for index, item in enumerate(value)]
    return value


def _clean_text(text: str, where: str, path: Path) -> str:
    if "\x00" in text:
        raise ConfigError(f"{path}: {_printable(where)}: contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        except UnicodeDecodeError:
            raise ConfigError(
                f"{path}: {_printable(where)}: contains a lone surrogate (not valid Unicode text)"
            ) from None
    return text


def _printable(where: str) -> str:
    """A key path safe to print on one line: control characters and surrogates escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in where)


def _line_from_message(message: str) -> int | None:
    marker = "at line "
    if marker in message:
        digits = message.split(marker, 1)[1].split(",", 1)[0].split(")", 1)[0]
        if digits.strip().isascii() and digits.strip().isdigit():
            return int(digits)
    return None


def merge_environment(raw: dict[str, Any], environment: str | None, path: Path) -> dict[str, Any]:
    """Apply wrangler's inheritance rules: most keys inherit, bindings and vars never do."""
    top = {k: v for k, v in raw.items() if k != "env"}
    if environment is None:
        return top
    envs = raw.get("env") or {}
    if not isinstance(envs, dict) or environment not in envs:
        known = ", ".join(sorted(envs)) if isinstance(envs, dict) and envs else "none"
        raise ConfigError(f'{path}: env.{environment}: no such environment (defined: {known})')
    block = envs[environment]
    if not isinstance(block, dict):
        raise ConfigError(f"{path}: env.{environment}: must be a table/object")
    merged = {k: v for k, v in top.items() if k not in NON_INHERITABLE}
    merged.update(block)
    if "name" not in block and top.get("name"):
        merged["name"] = f"{top['name']}-{environment}"
    return merged


def _location(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def unknown_keys(model: BaseModel, prefix: str = "") -> list[str]:
    """Dotted paths of keys the models do not know (pydantic keeps them as extras)."""
    found: list[str] = []
    for key in model.model_extra or {}:
        if prefix or key not in KNOWN_IGNORED:
            found.append(f"{prefix}{key}")
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if isinstance(item, BaseModel):
                where = f"{prefix}{name}[{index}]." if isinstance(value, list) else f"{prefix}{name}."
                found.extend(unknown_keys(item, where))
    return found


def load_config(
    path: str | Path | None = None,
    *,
    environment: str | None = None,
    vars: dict[str, Any] | None = None,
    require_main: bool = True,
) -> ResolvedConfig:
    """Find, parse, validate and resolve a config; raises :class:`ConfigError` on any problem."""
    script: Path | None = None
    if is_script(path):  # `wrangler dev src/entry.py`: the config from the current folder up, main = the script
        script = Path(path).resolve()  # type: ignore[arg-type]
        if not _is_file(script):
            raise ConfigError(f"{script}: no such file (the worker's main module)")
        try:
            config_path = find_config()
        except ConfigError:  # no config at all: the script alone, as wrangler runs it
            config_path = Path.cwd() / "wrangler.toml"
    else:
        config_path = find_config(path)
    text = read_config_text(config_path) if config_path.is_file() else None
    main = os.path.relpath(script, config_path.parent) if script is not None else None
    worker, (field_warnings, other_warnings) = _validated(config_path, text, main, environment)
    prefix = f"env.{environment}." if environment else ""
    _check(worker, config_path, prefix, require_main)
    sibling = sibling_config_warning(config_path)
    warnings = field_warnings + ([sibling] if sibling else []) + other_warnings
    resolved = ResolvedConfig(path=config_path, worker=worker, environment=environment, warnings=warnings)
    resolved.secrets_path = secrets_file(config_path.parent, environment)
    secrets = load_secrets(config_path.parent, environment)
    resolved.secret_names = list(secrets)
    resolved.bindings_vars = {**worker.vars, **secrets}
    for key, value in (vars or {}).items():
        resolved.bindings_vars[key] = value
    resolved.override_names = list(vars or {})
    return resolved


# Validated configs by (file, its text, main given as a script, environment): each test's fresh Pyflare of an
# unchanged config skips parsing and validating it again (a few ms per test). Keyed on the text itself, so an
# edited file is never served stale. A WorkerConfig is shared by every load of the same text: pyflare only
# reads it.
_VALIDATED_MAX = 64
_Validated = tuple[WorkerConfig, tuple[list[str], list[str]]]
_validated_configs: dict[tuple[str, str | None, str | None, str | None], _Validated] = {}


def _validated(config_path: Path, text: str | None, main: str | None, environment: str | None) -> _Validated:
    """The validated config and the warnings that follow from its text alone (fresh lists each call): those
    about its fields, and those about environments and bindings."""
    key = (str(config_path), text, main, environment)
    cached = _validated_configs.get(key)
    if cached is None:
        cached = _validate(config_path, text, main, environment)
        if len(_validated_configs) >= _VALIDATED_MAX:
            del _validated_configs[next(iter(_validated_configs))]
        _validated_configs[key] = cached
    worker, (field_warnings, other_warnings) = cached
    return worker, (list(field_warnings), list(other_warnings))


def _validate(config_path: Path, text: str | None, main: str | None, environment: str | None) -> _Validated:
    raw = parse_text(text, config_path) if text is not None else {
        "name": Path(main).stem if main else "worker", "compatibility_flags": ["python_workers"]}
    if main is not None:
        raw = {**raw, "main": main}
        for block in (raw.get("env") or {}).values():
            if isinstance(block, dict):
                block["main"] = main
    merged = merge_environment(raw, environment, config_path)
    prefix = f"env.{environment}." if environment else ""
    try:
        worker = WorkerConfig.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = prefix + _location(first["loc"])
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise ConfigError(f"{config_path}: {where}: {first['msg']}{more}") from None
    warnings = [
        f'{config_path}: unexpected field "{key}" (ignored)' for key in unknown_keys(worker, prefix="")
    ]
    inert = [key for key in NOT_EMULATED_SETTINGS if merged.get(key)]
    if inert:
        warnings.append(f"{config_path}: {', '.join(inert)}: accepted, but pyflare does not emulate "
                        f"{'it' if len(inert) == 1 else 'them'} yet (no effect locally)")
    if worker.workflows:
        from pyflare.config.workflows import check_workflows  # only configs with workflows pay for it

        warnings.extend(check_workflows(raw_list(merged, "workflows"), config_path, prefix))
    others = [f"{config_path}: {w}" for w in environment_warnings(raw, environment)]
    others += [f"{config_path}: {w}" for w in binding_warnings(worker, prefix)]
    return worker, (warnings, others)


def raw_list(merged: dict[str, Any], key: str) -> list[Any]:
    value = merged.get(key)
    return value if isinstance(value, list) else []


def _check(worker: WorkerConfig, path: Path, prefix: str, require_main: bool) -> None:
    if require_main:
        if not worker.main:
            raise ConfigError(f'{path}: {prefix}main: missing; set main = "src/entry.py" (the worker module)')
        main = (path.parent / worker.main).resolve()
        if not _is_file(main):
            raise ConfigError(f"{path}: {prefix}main: {_shown(worker.main)} does not exist ({_shown(str(main))})")
    names: dict[str, str] = {}
    groups = {
        "kv_namespaces": [b.binding for b in worker.kv_namespaces],
        "r2_buckets": [b.binding for b in worker.r2_buckets],
        "d1_databases": [b.binding for b in worker.d1_databases],
        "queues.producers": [b.binding for b in worker.queues.producers],
        "durable_objects.bindings": [b.name for b in worker.durable_objects.bindings],
        "workflows": [b.binding for b in worker.workflows],
        "services": [b.binding for b in worker.services],
        "vectorize": [b.binding for b in worker.vectorize],
        "secrets_store_secrets": [b.binding for b in worker.secrets_store_secrets],
        "analytics_engine_datasets": [b.binding for b in worker.analytics_engine_datasets],
        "hyperdrive": [b.binding for b in worker.hyperdrive],
        "send_email": [b.name for b in worker.send_email],
        "version_metadata": [worker.version_metadata.binding] if worker.version_metadata else [],
        "images": [worker.images.binding] if worker.images else [],
        "ai": [worker.ai.binding] if worker.ai else [],
    }
    for group, bindings in groups.items():
        for name in bindings:
            if name in names:
                raise ConfigError(f'{path}: {prefix}{group}: binding "{name}" is already used by {names[name]}')
            names[name] = group
    if worker.migrations:
        from pyflare.config.migrations import MigrationError, class_backends

        try:
            class_backends(worker.migrations)
        except MigrationError as exc:
            raise ConfigError(f"{path}: {prefix}migrations: {exc}") from None
    for index, consumer in enumerate(worker.queues.consumers):
        if consumer.dead_letter_queue and consumer.dead_letter_queue == consumer.queue:
            raise ConfigError(
                f"{path}: {prefix}queues.consumers[{index}].dead_letter_queue: "
                f'queue "{consumer.queue}" cannot be its own dead letter queue'
            )
    if worker.assets is not None:
        from pyflare.config.assets import AssetsConfigError, check_options

        try:
            check_options(worker.assets, f"{prefix}assets")
        except AssetsConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    if not worker.triggers.crons:
        return
    from pyflare.config.cron import CronSyntaxError, parse_cron  # only configs with crons pay for it

    for index, cron in enumerate(worker.triggers.crons):
        try:
            parse_cron(cron)
        except CronSyntaxError as exc:
            raise ConfigError(f"{path}: {prefix}triggers.crons[{index}]: {exc}") from None


def secrets_file(folder: Path, environment: str | None) -> Path | None:
    """The file secrets come from: ``.dev.vars.<env>`` or ``.dev.vars``, else ``.env.<env>`` or ``.env``."""
    for base in (".dev.vars", ".env"):
        names = ([f"{base}.{environment}"] if environment else []) + [base]
        for name in names:
            candidate = folder / name
            if _is_file(candidate):
                return candidate
    return None


def load_secrets(folder: Path, environment: str | None) -> dict[str, str]:
    """Secrets from :func:`secrets_file` (none if there is no such file)."""
    path = secrets_file(folder, environment)
    if path is None:
        return {}
    from dotenv import dotenv_values  # only projects with secrets files pay for importing it

    return {k: v or "" for k, v in dotenv_values(path).items()}


