"""The calls that fail (or behave differently) on Cloudflare's Python Workers, by the name they resolve to.

Shared by the static check (a call found in the source) and strict mode (a call made at run time): both
build their message with the functions of :mod:`pyflare.portability.rules`.
"""

from __future__ import annotations

import ast
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyflare.portability import rules as r
from pyflare.portability.source import Call, CallScanner, Module
from pyflare.portability.targets import Target

DATA = Path(__file__).parent / "data"

# random's module-level functions all draw from the generator seeded without entropy at import; Cloudflare
# blocks every callable of the module but these two classes until the first request.
RANDOM_ALLOWED = frozenset({"Random", "SystemRandom"})
NUMPY_RANDOM_ALLOWED = frozenset({"default_rng", "RandomState", "Generator", "SeedSequence", "BitGenerator",
                                  "PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"})
ENTROPY_CALLS = frozenset({"os.urandom", "os.getrandom", "uuid.uuid1", "uuid.uuid4"})

THREAD_CALLS = frozenset({
    "threading.Thread", "threading.Timer", "_thread.start_new_thread", "_thread.start_new",
    "concurrent.futures.ThreadPoolExecutor", "concurrent.futures.thread.ThreadPoolExecutor", "asyncio.to_thread",
    "multiprocessing.pool.ThreadPool", "multiprocessing.dummy.Pool",
})
SUBPROCESS_CALLS = frozenset({
    "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen",
    "subprocess.getoutput", "subprocess.getstatusoutput", "os.system", "os.popen", "os.fork", "os.forkpty",
    "os.posix_spawn", "os.posix_spawnp", "multiprocessing.Process", "multiprocessing.Pool",
    "multiprocessing.pool.Pool", "concurrent.futures.ProcessPoolExecutor",
    "concurrent.futures.process.ProcessPoolExecutor", "asyncio.create_subprocess_exec",
    "asyncio.create_subprocess_shell", "pty.spawn",
})
SOCKET_CALLS = frozenset({
    "socket.socket", "socket.create_connection", "http.client.HTTPConnection", "http.client.HTTPSConnection",
    "urllib.request.urlopen", "urllib.request.urlretrieve", "ftplib.FTP", "ftplib.FTP_TLS", "smtplib.SMTP",
    "smtplib.SMTP_SSL", "smtplib.LMTP", "poplib.POP3", "poplib.POP3_SSL", "imaplib.IMAP4", "imaplib.IMAP4_SSL",
    "xmlrpc.client.ServerProxy", "asyncio.open_connection", "telnetlib.Telnet",
})
SERVER_CALLS = frozenset({
    "socket.create_server", "socketserver.TCPServer", "socketserver.UDPServer", "socketserver.ThreadingTCPServer",
    "socketserver.ThreadingUDPServer", "socketserver.ForkingTCPServer", "http.server.HTTPServer",
    "http.server.ThreadingHTTPServer", "wsgiref.simple_server.make_server", "asyncio.start_server",
    "asyncio.start_unix_server", "xmlrpc.server.SimpleXMLRPCServer", "uvicorn.run",
})
FILE_FUNCTIONS = {  # name -> index of the path argument that is written
    "builtins.open": 0, "io.open": 0, "codecs.open": 0, "os.makedirs": 0, "os.mkdir": 0, "os.remove": 0,
    "os.unlink": 0, "os.rename": 1, "os.replace": 1, "os.rmdir": 0, "shutil.copy": 1, "shutil.copy2": 1,
    "shutil.copyfile": 1, "shutil.copytree": 1, "shutil.move": 1, "shutil.rmtree": 0,
}
PATH_WRITE_METHODS = frozenset({"write_text", "write_bytes", "touch", "mkdir", "unlink", "rmdir", "rename",
                                "replace", "symlink_to", "hardlink_to"})
OPENING_MODES = ("w", "a", "x", "+")


@dataclass
class ApiUse:
    rule: str
    message: str
    severity: r.Severity | None = None


def entropy_name(qualname: str, node: ast.Call | None) -> str | None:
    """The call's display name if it draws entropy (at import time that fails on Cloudflare)."""
    if qualname in ENTROPY_CALLS:
        return qualname
    module, _, attr = qualname.rpartition(".")
    if module == "random" and not attr.startswith("_"):
        if attr == "Random":
            unseeded = node is not None and (not node.args or _is_none(node.args[0])) and not node.keywords
            return "random.Random" if unseeded else None
        return None if attr in RANDOM_ALLOWED else qualname
    if module == "secrets" and not attr.startswith("_") and attr not in ("compare_digest", "SystemRandom"):
        return qualname
    if module == "numpy.random" and not attr.startswith("_"):
        if attr in ("default_rng", "RandomState") and node is not None and not node.args and not node.keywords:
            return qualname  # unseeded: draws entropy
        return None if attr in NUMPY_RANDOM_ALLOWED else qualname
    return None


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def classify_call(call: Call, module: Module, target: Target) -> ApiUse | None:
    """What the static check reports about one call of the worker's code (None: nothing)."""
    name, node = call.qualname, call.node
    if call.at_import:
        entropy = entropy_name(name, node)
        if entropy is not None:
            return ApiUse("entropy-at-import", r.entropy_message(entropy))
    if call.guarded:
        return None
    if name in THREAD_CALLS or name.endswith(".run_in_executor"):
        return ApiUse("thread", r.thread_message(name.replace("?.", "loop.")))
    if name in SUBPROCESS_CALLS or name.startswith(("os.exec", "os.spawn")):
        return ApiUse("subprocess", r.subprocess_message(name))
    if name in SERVER_CALLS:
        return ApiUse("server-socket", r.server_message(name))
    if name in SOCKET_CALLS and not target.sockets:
        return ApiUse("socket", r.socket_message(name, target.python))
    return _file_write(call, module)


# -- file writes -------------------------------------------------------------------------------------------
def _file_write(call: Call, module: Module) -> ApiUse | None:
    caller = CallScanner(module, False)
    name, node = call.qualname, call.node
    path_expr: ast.expr | None = None
    if name in FILE_FUNCTIONS:
        index = FILE_FUNCTIONS[name]
        if name.endswith(".open"):
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), None)
            if not (isinstance(mode, ast.Constant) and isinstance(mode.value, str)
                    and any(c in mode.value for c in OPENING_MODES)):
                return None
        path_expr = node.args[index] if len(node.args) > index else None
        what = f"{name.removeprefix('builtins.')}()"
    elif isinstance(node.func, ast.Attribute) and node.func.attr in PATH_WRITE_METHODS | {"open"}:
        receiver = node.func.value
        if not _is_path_expr(receiver, caller):
            return None
        if node.func.attr == "open":
            mode = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "mode"), None)
            if not (isinstance(mode, ast.Constant) and isinstance(mode.value, str)
                    and any(c in mode.value for c in OPENING_MODES)):
                return None
        path_expr = receiver
        what = f"Path.{node.func.attr}()"
    if path_expr is None:
        return None
    place = classify_path(path_expr, caller)
    if place == "bundle":
        return ApiUse("file-write-bundle", r.bundle_write_message(what))
    if place == "other":
        return ApiUse("file-write", r.file_write_message(what))
    return None


def _is_path_expr(expr: ast.expr, caller: Any, depth: int = 0) -> bool:
    if isinstance(expr, ast.Name) and depth < 3:  # HERE = Path(__file__).parent at module level
        value = caller.module.values.get(expr.id)
        return value is not None and _is_path_expr(value, caller, depth + 1)
    if isinstance(expr, ast.Call):
        return caller.qualname(expr.func) in ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath")
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
        return _is_path_expr(expr.left, caller, depth)
    if isinstance(expr, ast.Attribute) and expr.attr in ("parent", "parents"):
        return _is_path_expr(expr.value, caller, depth)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        return _is_path_expr(expr.func.value, caller, depth)
    return False


def _expand(expr: ast.expr, caller: Any, depth: int = 0) -> list[ast.expr]:
    """``expr`` and the module-level values of the names it uses (one or two levels)."""
    found = [expr]
    if depth < 3:
        for node in ast.walk(expr):
            if isinstance(node, ast.Name) and node.id in caller.module.values:
                found += _expand(caller.module.values[node.id], caller, depth + 1)
    return found


def classify_path(expr: ast.expr, caller: Any) -> str | None:
    """``"bundle"`` (derived from ``__file__``), ``"temp"``, ``"other"`` (a literal elsewhere), or None."""
    parts = _expand(expr, caller)
    names = {n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name)}
    names -= set(caller.module.values)
    if "__file__" in names:
        return "bundle"
    for part in parts:
        for node in ast.walk(part):
            if isinstance(node, ast.Call):
                callee = caller.qualname(node.func) or ""
                if callee.startswith("tempfile."):
                    return "temp"
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("/tmp"):
                return "temp"
    literals = [n for p in parts for n in ast.walk(p) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    if names - {"Path", "pathlib", "os", "path", "join"} or not literals:
        return None  # built from variables: we cannot tell where it points
    return "other"


# -- the standard library by version ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _stdlib() -> dict[str, Any]:
    return json.loads((DATA / "stdlib-versions.json").read_text(encoding="utf-8"))


def _v(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def stdlib_change(module: str, name: str | None, target: Target) -> str | None:
    """Why ``module`` (or ``module.name``) is missing from the target's Python, or None if it is there."""
    data = _stdlib()
    entry = data["modules"].get(module) if name is None else data["names"].get(module, {}).get(name)
    if not entry:
        return None
    what = f"the {module} module" if name is None else f"{module}.{name}"
    added, removed = entry.get("added"), entry.get("removed")
    if added and _v(added) > target.version:
        return f"{what} is new in Python {added}; Cloudflare runs this worker on Python {target.python}"
    if removed and _v(removed) <= target.version:
        return f"{what} was removed in Python {removed}; Cloudflare runs this worker on Python {target.python}"
    return None
