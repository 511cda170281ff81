"""Reading the worker's own modules: which ones Cloudflare imports, and what their code calls where.

From the main module, the local modules it imports (statically, or through ``importlib.import_module`` with
a literal name) are followed inside the worker's folder. A module reached through imports at module level
runs at import time, which on Cloudflare means at deploy time, inside the memory snapshot; a module first
imported inside a function runs later, in a request. Functions and classes the import-time code calls or
instantiates (in the same project) run at import time too.

The scan is static and conservative: calls are recognised by the names they resolve to through the
module's imports (``random.random``, ``from os import urandom``), and code under a guard (``try: ...
except ImportError``, ``if sys.platform == "emscripten"``, ``if TYPE_CHECKING``) is left alone.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Exceptions whose handler means "this may fail here and the code copes".
_COPING = {"Exception", "BaseException", "ImportError", "ModuleNotFoundError", "AttributeError", "OSError",
           "RuntimeError", "NotImplementedError"}
_PLATFORM_WORDS = ("platform", "emscripten", "pyodide", "TYPE_CHECKING", "version_info", "hasattr", "modules")


@dataclass
class Import:
    module: str  # dotted name as written, absolute ("a.b"); relative imports resolved
    names: tuple[str, ...]  # for ``from module import a, b``
    line: int
    column: int
    at_module_level: bool
    guarded: bool
    relative: bool


@dataclass
class Call:
    qualname: str  # what the callee resolves to ("random.random", "builtins.open", "app.setup")
    node: ast.Call
    at_import: bool
    guarded: bool


@dataclass
class Module:
    name: str
    path: Path
    source: str
    tree: ast.Module | None
    syntax_error: SyntaxError | None = None
    imports: list[Import] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    values: dict[str, ast.expr] = field(default_factory=dict)  # module-level NAME = expression
    at_import: bool = False  # imported while the main module is imported (so run at deploy time)


class Project:
    """The worker's local modules, found from its main module."""

    def __init__(self, main: Path, exclude: list[Path]) -> None:
        self.main = main.resolve()
        self.folder = self.main.parent
        self.exclude = [p.resolve() for p in exclude]
        self.modules: dict[str, Module] = {}
        self._load(self.main.stem, self.main, at_import=True)

    # -- finding modules --------------------------------------------------------------------------------
    def local_path(self, dotted: str) -> Path | None:
        base = self.folder.joinpath(*dotted.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file() and not any(candidate.is_relative_to(e) for e in self.exclude):
                return candidate
        if base.is_dir() and not any(base.is_relative_to(e) for e in self.exclude):  # namespace package
            return base
        return None

    def is_local(self, top: str) -> bool:
        return self.local_path(top) is not None

    def _load(self, name: str, path: Path, *, at_import: bool) -> None:
        known = self.modules.get(name)
        if known is not None:
            if at_import and not known.at_import:
                known.at_import = True
                self._follow(known)
            return
        if path.is_dir():
            module = Module(name, path, "", None, at_import=at_import)
            self.modules[name] = module
            return
        source = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(source, filename=str(path))
        except SyntaxError as exc:
            self.modules[name] = Module(name, path, source, None, syntax_error=exc, at_import=at_import)
            return
        module = Module(name, path, source, tree, at_import=at_import)
        self.modules[name] = module
        _Indexer(module).visit(tree)
        self._follow(module)

    def _follow(self, module: Module) -> None:
        for imp in module.imports:
            candidates = [imp.module] + [f"{imp.module}.{n}" for n in imp.names]
            for dotted in candidates:
                parts = dotted.split(".")
                for depth in range(1, len(parts) + 1):  # importing a.b.c imports a and a.b first
                    prefix = ".".join(parts[:depth])
                    path = self.local_path(prefix)
                    if path is None:
                        break
                    self._load(prefix, path, at_import=module.at_import and imp.at_module_level)

    def iter_calls(self) -> Iterator[tuple[Module, Call]]:
        """Every call in the worker's modules, marked with whether it runs at import time."""
        import_time: set[tuple[str, str]] = set()  # (module, function or class) called at import
        queue: list[tuple[str, str]] = []
        seen_calls: list[tuple[Module, Call]] = []
        for module in list(self.modules.values()):
            if module.tree is None:
                continue
            for call in CallScanner(module, module.at_import).scan(module.tree.body):
                seen_calls.append((module, call))
                if call.at_import:
                    queue.append(self._local_target(module, call.qualname))
        while queue:
            key = queue.pop()
            if key is None or key in import_time:
                continue
            import_time.add(key)
            owner = self.modules.get(key[0])
            if owner is None:
                continue
            node = owner.functions.get(key[1])
            body: list[ast.stmt] = []
            if node is not None:
                body = node.body
            elif key[1] in owner.classes:
                init = next((n for n in owner.classes[key[1]].body
                             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "__init__"), None)
                body = init.body if init is not None else []
            if isinstance(node, ast.AsyncFunctionDef):
                continue  # calling a coroutine function at import runs nothing
            for call in CallScanner(owner, True).scan(body):
                seen_calls.append((owner, call))
                queue.append(self._local_target(owner, call.qualname))
        yield from seen_calls

    def _local_target(self, module: Module, qualname: str) -> tuple[str, str] | None:
        owner, _, name = qualname.rpartition(".")
        if owner in self.modules and (name in self.modules[owner].functions or name in self.modules[owner].classes):
            return owner, name
        return None


def _resolve_relative(module_name: str, is_package: bool, level: int, target: str | None) -> str:
    parts = module_name.split(".")
    base = parts if is_package else parts[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def _guard_kind(node: ast.AST) -> bool:
    """An ``if`` test that picks code by platform or version, or a TYPE_CHECKING block."""
    text = ast.unparse(node)
    return any(word in text for word in _PLATFORM_WORDS) or "__name__" in text


def _handler_names(node: ast.Try) -> set[str]:
    names: set[str] = set()
    for handler in node.handlers:
        if handler.type is None:
            names.add("BaseException")
            continue
        for expr in handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]:
            names.add(ast.unparse(expr).rsplit(".", 1)[-1])
    return names


class _Indexer(ast.NodeVisitor):
    """Imports (with the names they bind), functions and classes of one module."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.depth = 0  # inside a function
        self.guarded = 0

    def _guarded(self) -> bool:
        return self.guarded > 0

    def visit_Try(self, node: ast.Try) -> None:
        coping = bool(_handler_names(node) & {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
        self.guarded += coping
        for stmt in node.body:
            self.visit(stmt)
        self.guarded -= coping
        for part in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(part)

    visit_TryStar = visit_Try

    def visit_If(self, node: ast.If) -> None:
        guard = _guard_kind(node.test)
        self.guarded += guard
        self.generic_visit(node)
        self.guarded -= guard

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if self.depth == 0:
            self.module.functions[node.name] = node
            self.module.aliases[node.name] = f"{self.module.name}.{node.name}"
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if self.depth == 0:
            self.module.classes[node.name] = node
            self.module.aliases[node.name] = f"{self.module.name}.{node.name}"
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_Assign(self, node: ast.Assign) -> None:
        if self.depth == 0 and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self.module.values[node.targets[0].id] = node.value
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.module.imports.append(Import(alias.name, (), node.lineno, node.col_offset, self.depth == 0,
                                              self._guarded(), False))
            if alias.asname:
                self.module.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.module.aliases[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            is_package = self.module.path.name == "__init__.py"
            target = _resolve_relative(self.module.name, is_package, node.level, node.module)
        else:
            target = node.module or ""
        names = tuple(a.name for a in node.names if a.name != "*")
        self.module.imports.append(Import(target, names, node.lineno, node.col_offset, self.depth == 0,
                                          self._guarded(), bool(node.level)))
        for alias in node.names:
            if alias.name != "*":
                self.module.aliases[alias.asname or alias.name] = f"{target}.{alias.name}" if target else alias.name

    def visit_Call(self, node: ast.Call) -> None:
        # importlib.import_module("todo_project.settings"): a module imported by name
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and not node.args[0].value.startswith("."):
            self.module.imports.append(Import(node.args[0].value, (), node.lineno, node.col_offset,
                                              self.depth == 0, True, False))
        self.generic_visit(node)


class CallScanner:
    """Walks statements knowing whether they run at import time, yielding every call it can name."""

    def __init__(self, module: Module, at_import: bool) -> None:
        self.module = module
        self.at_import = at_import

    def qualname(self, expr: ast.expr) -> str | None:
        if isinstance(expr, ast.Name):
            found = self.module.aliases.get(expr.id)
            if found is None and expr.id in vars(builtins):
                return f"builtins.{expr.id}"
            return found
        if isinstance(expr, ast.Attribute):
            base = self.qualname(expr.value)
            return f"{base}.{expr.attr}" if base else None
        return None

    def scan(self, body: list[ast.stmt]) -> Iterator[Call]:
        yield from self._stmts(body, self.at_import, False)

    def _stmts(self, body: list[ast.stmt], at_import: bool, guarded: bool) -> Iterator[Call]:
        for stmt in body:
            yield from self._stmt(stmt, at_import, guarded)

    def _stmt(self, stmt: ast.stmt, at_import: bool, guarded: bool) -> Iterator[Call]:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for expr in (*stmt.decorator_list, *stmt.args.defaults, *(d for d in stmt.args.kw_defaults if d)):
                yield from self._expr(expr, at_import, guarded)
            yield from self._stmts(stmt.body, False, guarded)
            return
        if isinstance(stmt, ast.ClassDef):
            for expr in (*stmt.decorator_list, *stmt.bases):
                yield from self._expr(expr, at_import, guarded)
            yield from self._stmts(stmt.body, at_import, guarded)
            return
        if isinstance(stmt, ast.If):
            if isinstance(stmt.test, ast.Compare) and "__name__" in ast.unparse(stmt.test):
                return  # if __name__ == "__main__": never true for a worker's modules
            inner = guarded or _guard_kind(stmt.test)
            yield from self._expr(stmt.test, at_import, guarded)
            yield from self._stmts(stmt.body, at_import, inner)
            yield from self._stmts(stmt.orelse, at_import, inner)
            return
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            coping = bool(_handler_names(stmt) & _COPING)  # type: ignore[arg-type]
            yield from self._stmts(stmt.body, at_import, guarded or coping)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                yield from self._stmts(handler.body, at_import, guarded)
            yield from self._stmts(stmt.orelse, at_import, guarded)  # type: ignore[attr-defined]
            yield from self._stmts(stmt.finalbody, at_import, guarded)  # type: ignore[attr-defined]
            return
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt):
                yield from self._stmt(child, at_import, guarded)
            elif isinstance(child, ast.expr):
                yield from self._expr(child, at_import, guarded)
            else:  # withitems, match cases, handlers, ...
                for sub in ast.iter_child_nodes(child):
                    if isinstance(sub, ast.stmt):
                        yield from self._stmt(sub, at_import, guarded)
                    elif isinstance(sub, ast.expr):
                        yield from self._expr(sub, at_import, guarded)

    def _expr(self, expr: ast.expr, at_import: bool, guarded: bool) -> Iterator[Call]:
        for node in ast.walk(expr):
            if isinstance(node, ast.Lambda):
                continue  # its body runs when called; ast.walk still descends, so nested lambdas are rare noise
            if isinstance(node, ast.Call):
                name = self.qualname(node.func)
                if name is None and isinstance(node.func, ast.Attribute):
                    name = f"?.{node.func.attr}"  # a method of something we cannot name (obj.run_in_executor)
                if name is not None:
                    yield Call(name, node, at_import and not _in_lambda(expr, node), guarded)


def _in_lambda(root: ast.expr, target: ast.AST) -> bool:
    for node in ast.walk(root):
        if isinstance(node, ast.Lambda) and any(n is target for n in ast.walk(node.body)):
            return True
    return False
