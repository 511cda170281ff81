"""The start-up banner of ``pyflare dev``: what the worker has access to, as ``wrangler dev`` prints it.

For each worker: the secrets file that was read, every binding with its kind, resource and local state
(``local``, or ``not emulated`` for a binding pyflare parses but does not provide), vars with their values
and secrets hidden, the state folder, the cron triggers, and warnings (a binding that is not emulated, no
compatibility date, no ``python_workers`` flag).

Nothing here lists binding kinds: bindings come from :func:`pyflare.config.bindings.describe_bindings`
(derived from the config models; a model may describe itself with ``describe_binding()``), and a binding's
mode comes from the running worker's ``env`` (:func:`binding_mode`): ``local`` when env holds it, ``not
emulated`` when it does not, or what the binding object says of itself (``banner_mode``, or
``needs_cloudflare = True``). A binding kind that gains a plugin shows up without touching this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from pyflare.config.bindings import describe_bindings
from pyflare.config.diagnostics import dev_warnings

LOCAL = "local"
NOT_EMULATED = "not emulated"
NEEDS_CLOUDFLARE = "needs Cloudflare"  # in env, raising a clear error when used (pyflare.bindings.offline)
MAX_VALUE = 40  # wrangler truncates shown values to 40 characters


@dataclass(frozen=True)
class BannerRow:
    name: str
    kind: str
    resource: str | None
    mode: str


def _truncate(text: str) -> str:
    return text if len(text) < MAX_VALUE else text[: MAX_VALUE - 3] + "..."


def _var_value(value: Any) -> str:
    if isinstance(value, str):
        return f'"{_truncate(value)}"'
    return _truncate(json.dumps(value, default=str, separators=(",", ":")))


def binding_mode(env: Any, name: str) -> str:
    """The Mode column: what the binding object in env says of itself (``banner_mode``, or
    ``needs_cloudflare``), else ``local`` when env holds it and ``not emulated`` when it does not."""
    if name not in env:
        return NOT_EMULATED
    binding = env[name]
    if getattr(binding, "needs_cloudflare", False) is True:
        return NEEDS_CLOUDFLARE
    try:
        own = getattr(binding, "banner_mode", None)
    except Exception:  # a binding that refuses every attribute (a stand-in) describes nothing more
        own = None
    return own if isinstance(own, str) and own else LOCAL


def banner_rows(config: Any, env: Any) -> list[BannerRow]:
    """Every binding, var and secret of a worker, with its local state."""
    rows = [BannerRow(d.name, d.kind, d.resource, binding_mode(env, d.name)) for d in describe_bindings(config.worker)]
    hidden = set(config.secret_names) - set(config.override_names)
    for name, value in config.bindings_vars.items():
        shown = '"(hidden)"' if name in hidden else _var_value(value)
        rows.append(BannerRow(name, "Environment Variable", shown, LOCAL))
    return rows


def _table(rows: list[BannerRow]) -> list[str]:
    cells = [(f"env.{r.name}" + (f" ({r.resource})" if r.resource else ""), r.kind, r.mode) for r in rows]
    heads = ("Binding", "Resource", "Mode")
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(heads)]

    def line(values: Iterable[str]) -> str:
        return "   ".join(v.ljust(w) for v, w in zip(values, widths, strict=False)).rstrip()

    return [line(heads), *(line(c) for c in cells)]


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def python_version_notes(config: Any) -> list[str]:
    """The Python Cloudflare would run the worker on, and the project's requires-python, when this
    interpreter is not what they say (pyflare.dependencies.python)."""
    from pyflare import dependencies
    from pyflare.dependencies.python import python_notes

    project = dependencies.check(config.root).project
    requires = project.requires_python if project is not None else None
    where = _relative(project.pyproject) if project is not None and project.pyproject is not None else None
    return python_notes(config.worker.compatibility_flags, config.worker.compatibility_date, requires, where)


def header_lines() -> list[str]:
    """The first lines of ``pyflare dev``, as wrangler's own: name and version over a rule."""
    from pyflare import __version__

    title = f" ⛅️ pyflare {__version__}"
    return [title, "─" * (len(title) + 1)]


def banner_lines(config: Any, env: Any, *, persist_to: Path | None, url: str | None = None,
                 worker_count: int = 1) -> list[str]:
    """The banner of one worker as text lines (no trailing newlines)."""
    lines: list[str] = []
    for warning in dev_warnings(config.worker, config.path):
        lines.append(f"▲ [WARNING] {warning}")
    for note in python_version_notes(config):
        lines.append(f"▲ [WARNING] {note}")
    if config.secrets_path is not None:
        lines.append(f"Using vars defined in {_relative(config.secrets_path)}")
    rows = banner_rows(config, env)
    if rows:
        title = ("Your Worker has access to the following bindings:" if worker_count == 1
                 else f"{config.name} has access to the following bindings:")
        lines += [title, *_table(rows)]
    else:
        lines.append("No bindings found." if worker_count == 1 else f"No bindings found for {config.name}")
    if any("connected]" in r.mode for r in rows):  # wrangler's note, for pyflare's registry
        lines.append("Service bindings, Durable Object bindings, queues and workflows connect to other pyflare dev "
                     "processes running locally (the dev registry), with their connection status indicated by "
                     "[connected] or [not connected]; lines follow as that changes.")
    missing = [r for r in rows if r.mode == NOT_EMULATED]
    if missing:
        named = ", ".join(f"env.{r.name} ({r.kind})" for r in missing)
        lines.append(f"▲ [WARNING] Not emulated by pyflare: {named}. The config is accepted, but these names are "
                     "absent from env and code that uses them fails locally.")
    remote = [r for r in rows if r.mode == NEEDS_CLOUDFLARE]
    if remote:
        named = ", ".join(f"env.{r.name} ({r.kind})" for r in remote)
        lines.append(f"▲ [WARNING] Needs Cloudflare: {named}. These are in env, but every use raises an error "
                     "saying so; give tests a fake with Pyflare(bindings={...}).")
    crons = list(config.worker.triggers.crons)
    if crons:
        example = quote_plus(crons[0], safe="*/")
        run = f'; run one now: curl "{url}/cdn-cgi/handler/scheduled?cron={example}"' if url else ""
        lines.append(f"Cron triggers: {', '.join(crons)} (fired on schedule{run})")
    if persist_to is not None:
        lines.append(f"Local state: {_relative(persist_to)} (kept across restarts; --no-persist for a "
                     "temporary one)")
    else:
        lines.append("Local state: temporary (--no-persist), deleted on exit")
    return lines


def banner_json(config: Any, env: Any, *, persist_to: Path | None) -> str:
    """The banner as one JSON object, for ``--log-format json``."""
    return json.dumps({
        "type": "bindings",
        "worker": config.name,
        "config": str(config.path),
        "secrets_file": str(config.secrets_path) if config.secrets_path else None,
        "bindings": [asdict(r) for r in banner_rows(config, env)],
        "state": str(persist_to) if persist_to is not None else None,
        "crons": list(config.worker.triggers.crons),
        "warnings": dev_warnings(config.worker, config.path) + python_version_notes(config),
    }, ensure_ascii=False)
