"""The portability rules: what fails or behaves differently on Cloudflare's Python Workers, why, and the fix.

One :class:`Rule` per kind of problem, with the source it rests on (docs/portability.md explains each).
``pyflare check`` reports :class:`Finding` objects built from these rules, and strict mode raises
:class:`NotPortableError` with the very same message, so a test failure and a CI report read alike.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning"]

CF_PYTHON = "https://developers.cloudflare.com/workers/languages/python"
CF_STDLIB = f"{CF_PYTHON}/stdlib/"
CF_PACKAGES = f"{CF_PYTHON}/packages/"
CF_HOW = f"{CF_PYTHON}/how-python-workers-work/"
CF_LIMITS = "https://developers.cloudflare.com/workers/platform/limits/#worker-size"
PYODIDE_WASM = "https://pyodide.org/en/stable/usage/wasm-constraints.html"
WORKERD = "https://github.com/cloudflare/workerd"
WORKERS_PY = "https://github.com/cloudflare/workers-py"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    fix: str
    sources: tuple[str, ...]


RULES: dict[str, Rule] = {rule.id: rule for rule in (
    Rule("python-workers-flag", "error", "the config does not enable Python Workers",
         'add "python_workers" to compatibility_flags', (f"{CF_PYTHON}/",)),
    Rule("legacy-handlers", "error", "top-level handlers are not called on this compatibility date",
         "define class Default(WorkerEntrypoint) with async def fetch(self, request) (and scheduled/queue), "
         "or add the flag disable_python_no_global_handlers",
         (f"{WORKERD}/blob/main/src/workerd/io/compatibility-date.capnp (pythonNoGlobalHandlers)",)),
    Rule("requirements-txt", "error", "requirements.txt is no longer read",
         "move the packages to [project].dependencies in pyproject.toml and delete requirements.txt",
         (CF_PACKAGES, f"{WORKERS_PY}/blob/main/packages/cli/src/pywrangler/sync.py (check_requirements_txt)")),
    Rule("package-native", "error", "package with compiled code and no Pyodide build",
         "use a pure-Python alternative, or a package Pyodide builds (see its package list)",
         (CF_PACKAGES, "https://pyodide.org/en/stable/usage/packages-in-pyodide.html")),
    Rule("package-no-wheel", "error", "package without a wheel",
         "pywrangler installs prebuilt wheels only (uv --no-build): pick a version published as a wheel",
         (f"{WORKERS_PY}/blob/main/packages/cli/src/pywrangler/resolve.py (_compile_lockfile)",)),
    Rule("package-version", "error", "required version has no Pyodide build",
         "relax the version constraint to allow the version Pyodide builds", (CF_PACKAGES,)),
    Rule("package-version-differs", "warning", "Cloudflare runs another version of this package",
         "pin the version Pyodide builds, so that local runs match Cloudflare", (CF_PACKAGES,)),
    Rule("import-undeclared", "error", "imported package is not declared",
         "add it to [project].dependencies in pyproject.toml (pywrangler vendors only what is declared)",
         (CF_PACKAGES,)),
    Rule("module-unavailable", "error", "standard-library module missing from Python Workers",
         "use another module; Python Workers leave these out of Pyodide's standard library", (CF_STDLIB,)),
    Rule("stdlib-version", "error", "standard-library feature newer (or older) than the target Python",
         "use what the target Python has, or select a newer Python with the compatibility flags", (CF_HOW,)),
    Rule("syntax-version", "error", "syntax newer than the target Python",
         "write it the way the target Python accepts, or select a newer Python with the compatibility flags",
         (CF_HOW,)),
    Rule("entropy-at-import", "error", "random numbers at import time",
         "move the call into a handler (request context), or use random.Random(seed) for a fixed seed",
         (CF_HOW, f"{WORKERD}/blob/main/src/pyodide/internal/topLevelEntropy/entropy_import_context.py")),
    Rule("thread", "error", "threads",
         "do the work inline (await it), or hand it to ctx.waitUntil / a Queue", (CF_STDLIB, PYODIDE_WASM)),
    Rule("subprocess", "error", "subprocesses",
         "do it in Python in the worker, or call a service that runs the program", (CF_STDLIB, PYODIDE_WASM)),
    Rule("socket", "error", "raw network connections",
         "use fetch (workers.fetch, httpx.AsyncClient, requests, urllib3 or aiohttp), or select Python 3.14 "
         "(compatibility flag python_workers_20260610) where blocking sockets work",
         (f"{CF_PACKAGES}#http-client-libraries", PYODIDE_WASM)),
    Rule("server-socket", "error", "listening for connections",
         "a worker answers requests through its fetch handler; remove the server", (PYODIDE_WASM,)),
    Rule("file-write-bundle", "error", "writes into the worker's own files",
         "write under tempfile.gettempdir(), or store the data in KV, R2 or D1",
         (f"{WORKERD}/blob/main/src/pyodide/internal/readOnlyFS.ts",)),
    Rule("file-write", "warning", "files written outside the temporary folder",
         "write under tempfile.gettempdir() for scratch files; keep data that must last in KV, R2 or D1",
         (f"{WORKERD}/blob/main/src/pyodide/internal/pool/emscriptenSetup.ts",)),
    Rule("bundle-size", "error", "worker larger than Cloudflare accepts",
         "vendor fewer packages, or move large files to R2, KV or static assets", (CF_LIMITS,)),
)}


@dataclass
class Finding:
    """One problem at one place: ``path:line``, the rule it breaks and what exactly."""

    rule: str
    message: str
    path: Path | None = None
    line: int | None = None
    column: int | None = None
    severity: Severity | None = None
    fix: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        rule = RULES[self.rule]
        if self.severity is None:
            self.severity = rule.severity
        if self.fix is None:
            self.fix = rule.fix

    @property
    def where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def to_json(self, root: Path | None = None) -> dict[str, Any]:
        data = asdict(self)
        path = self.path
        if path is not None and root is not None and path.is_relative_to(root):
            path = path.relative_to(root)
        data["path"] = str(path) if path is not None else None
        data["title"] = RULES[self.rule].title
        data["sources"] = list(RULES[self.rule].sources)
        if not data["extra"]:
            del data["extra"]
        return data


class NotPortableError(Exception):
    """Strict portability mode: the worker did something that fails on Cloudflare's Python Workers.

    What is raised is also the exception class Cloudflare raises there (RuntimeError for a thread, OSError
    for a process or a socket...), so code that copes with the one copes with the other."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(f"{message} [{rule}] Fix: {RULES[rule].fix}")


class NotPortableRuntimeError(NotPortableError, RuntimeError):
    pass


class NotPortableOSError(NotPortableError, OSError):
    pass


def not_portable(rule: str, message: str) -> NotPortableError:
    """The error strict mode raises for ``rule``, of the class Cloudflare's runtime raises."""
    runtime = rule == "thread" or (rule == "entropy-at-import" and "RuntimeError" in message)
    return (NotPortableRuntimeError if runtime else NotPortableOSError)(rule, message)


class PortabilityWarning(UserWarning):
    """Strict portability mode: the worker did something that behaves differently on Cloudflare."""


def warn(rule: str, message: str) -> None:
    warnings.warn(f"{message} [{rule}] Fix: {RULES[rule].fix}", PortabilityWarning, stacklevel=3)


# -- Messages shared by the check and strict mode ----------------------------------------------------------
def entropy_message(call: str) -> str:
    if call in ("os.urandom", "random.Random", "uuid.uuid4") or call.startswith("secrets."):
        failure = "OSError: [Errno 29] Cannot get entropy outside of request context"
    else:
        failure = f"RuntimeError: Cannot use {call}() outside of request context"
    return (f"{call}() runs at import time; Cloudflare imports the worker once at deploy time to take a memory "
            f"snapshot, without entropy, and this raises {failure}")


def thread_message(call: str) -> str:
    return f"{call}() starts a thread; Python Workers have no threads (RuntimeError: can't start new thread)"


def subprocess_message(call: str) -> str:
    return f"{call}() starts a process; Python Workers cannot start processes (Pyodide has no fork or exec)"


def socket_message(call: str, python: str) -> str:
    return (f"{call}() opens a raw network connection; Python {python} Workers have no sockets: use fetch "
            "(HTTP clients that work there: requests, urllib3, httpx, aiohttp)")


def server_message(call: str) -> str:
    return f"{call}() listens for connections; a worker cannot accept connections, only requests to fetch()"


def bundle_write_message(what: str) -> str:
    return f"{what} writes into the worker's own folder, which is read-only on Cloudflare"


def file_write_message(what: str) -> str:
    return (f"{what} writes a file outside the temporary folder; on Cloudflare files live in the isolate's "
            "memory: lost when the isolate goes, never shared between isolates (here they land on disk)")
