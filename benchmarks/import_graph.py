"""The shape of pyflare's import graph: cycles, lazy imports, upward imports.

    python3 benchmarks/import_graph.py [--src src/pyflare] [--list]

Reads every module under ``src/pyflare`` with ``ast`` (nothing is imported) and sorts each import of a
pyflare module into one of three kinds:

- top-level: runs when the module is imported (module body, class bodies, ``try``/``if`` at module level);
- lazy: inside a function or method body, so it runs on first call;
- typing-only: under ``if TYPE_CHECKING:``, never at run time.

An import names the module it reaches as grimp/import-linter do: ``from a.b import c`` is ``a.b.c`` when
that is a module, else ``a.b``. Imports are counted as distinct (importer, imported module) pairs per kind.
The runtime graph is top-level plus lazy imports (both run; a lazy import only runs later), which is the
graph import-linter checks with ``exclude_type_checking_imports``. It prints:

- runtime import cycles: strongly connected components of the runtime graph (largest, and how many
  modules sit in any cycle), and the same for top-level imports alone;
- package-level cycles: the runtime graph collapsed to top-level packages and modules (``bindings``,
  ``clock``, the package root ``pyflare``...), largest component;
- lazy imports, and how many sit inside a runtime cycle (importer and imported in one component): as far
  as a tool can tell, those are lazy only to dodge the cycle;
- upward imports against ``LAYERS`` below (the layer table of README's layout): an import of a higher
  layer, or of an independent sibling in the same layer; and imports between two binding packages
  (``bindings.kv`` -> ``bindings.d1``), which must stay independent;
- private reach-ins: imports of ``pyflare.workers._*`` modules from outside ``pyflare.workers``, and
  accesses of ``obj._name`` where ``obj`` is not ``self``/``cls`` (some are fine: ``other._data`` in
  ``__eq__``; the figure is a trend, not a verdict), and how many of those name something the module does
  not define itself (``self._x = ``, ``def _x``, ``__slots__``...): a reach into another module's object.

``--list`` also prints the modules of the largest cycle, the cycle-dodging lazy imports and every upward
import.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

# Top to bottom; names inside one row are independent siblings (an import between two of them is upward
# too). A name is a top-level package or module of pyflare; names absent from the tree are ignored.
LAYERS: list[list[str]] = [
    ["__main__"],
    ["cli", "testing"],
    ["pyflare"],  # the package root: re-exports Pyflare
    ["instance"],
    ["explorer"],
    ["bindings", "assets", "cron"],
    ["runtime"],
    ["workers"],
    ["websockets", "objects", "local"],
    ["dependencies"],
    ["portability"],
    ["config", "storage"],
    ["kernel", "clock"],
]
# Layers whose siblings may import each other (none today).
SHARED_ROWS: set[int] = set()


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, modules: set[str]) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.modules = modules
        self.depth = 0  # function nesting
        self.typing = 0  # inside `if TYPE_CHECKING`
        self.edges: list[tuple[str, str, int]] = []  # (target, kind, line)

    def kind(self) -> str:
        if self.typing:
            return "typing"
        return "lazy" if self.depth else "top"

    def visit_FunctionDef(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name == "TYPE_CHECKING":
            self.typing += 1
            for child in node.body:
                self.visit(child)
            self.typing -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def add(self, target: str, line: int) -> None:
        if target == "pyflare" or target.startswith("pyflare."):
            while target not in self.modules and "." in target:
                target = target.rpartition(".")[0]
            if target != self.module:
                self.edges.append((target, self.kind(), line))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            if node.level > 1:
                base = base[: -(node.level - 1)]
            stem = ".".join(base + ([node.module] if node.module else []))
        else:
            stem = node.module or ""
        for alias in node.names:
            full = f"{stem}.{alias.name}"
            self.add(full if full in self.modules else stem, node.lineno)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one node, largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found, key=len, reverse=True)


def top_package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "pyflare"


def _own_private_names(tree: ast.AST) -> set[str]:
    """Private names a module defines itself: ``self._x = ...``, ``_x = ...``, ``def _x``, ``__slots__``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("_"):
            names.add(node.value)  # __slots__ entries
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def private_reach_ins(files: dict[str, Path]) -> tuple[int, int, int]:
    """(imports of workers._* from outside workers, accesses of obj._name with obj not self/cls, and of
    those the accesses of a name the module does not define itself: a reach into another module's object)."""
    imports = accesses = foreign = 0
    for name, path in files.items():
        outside_workers = not (name == "pyflare.workers" or name.startswith("pyflare.workers."))
        tree = ast.parse(path.read_text(), str(path))
        own = _own_private_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and outside_workers and node.level == 0:
                parts = (node.module or "").split(".")
                if parts[:2] == ["pyflare", "workers"] and any(p.startswith("_") for p in parts[2:]):
                    imports += 1
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                    accesses += 1
                    foreign += node.attr not in own
    return imports, accesses, foreign


def binding_package(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 3 and parts[1] == "bindings" else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", default=str(Path(__file__).resolve().parent.parent / "src" / "pyflare"))
    parser.add_argument("--list", action="store_true", help="print the members behind each figure")
    args = parser.parse_args()
    root = Path(args.src)
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    modules = set(files)

    edges: list[tuple[str, str, str, int]] = []  # (importer, imported, kind, line)
    for name, path in files.items():
        collector = Collector(name, path.name == "__init__.py", modules)
        collector.visit(ast.parse(path.read_text(), str(path)))
        seen: set[tuple[str, str]] = set()
        for target, kind, line in collector.edges:
            if (target, kind) not in seen:
                seen.add((target, kind))
                edges.append((name, target, kind, line))

    top: dict[str, set[str]] = {name: set() for name in modules}
    run: dict[str, set[str]] = {name: set() for name in modules}
    for importer, imported, kind, _ in edges:
        if kind != "typing":
            run[importer].add(imported)
        if kind == "top":
            top[importer].add(imported)

    cycles = strongly_connected(run)
    in_cycles = sum(len(c) for c in cycles)
    top_cycles = strongly_connected(top)

    all_packages = {top_package(m) for m in modules}
    packages: dict[str, set[str]] = {name: set() for name in all_packages}
    for importer, targets in run.items():
        for imported in targets:
            a, b = top_package(importer), top_package(imported)
            if a != b:
                packages[a].add(b)
    package_cycles = strongly_connected(packages)

    lazy = [e for e in edges if e[2] == "lazy"]
    component = {m: i for i, c in enumerate(cycles) for m in c}
    dodging = [e for e in lazy if e[0] in component and component.get(e[1]) == component[e[0]]]
    typing_only = [e for e in edges if e[2] == "typing"]

    row_of = {name: i for i, row in enumerate(LAYERS) for name in row}
    upward: dict[str, list[tuple[str, str, str, int]]] = {"top": [], "lazy": [], "typing": []}
    unplaced = sorted(p for p in all_packages if p not in row_of)
    for edge in edges:
        a, b = top_package(edge[0]), top_package(edge[1])
        if a == b or a not in row_of or b not in row_of:
            continue
        if row_of[b] < row_of[a] or (row_of[b] == row_of[a] and row_of[a] not in SHARED_ROWS):
            upward[edge[2]].append(edge)

    across_bindings = [
        e for e in edges
        if e[2] != "typing" and binding_package(e[0]) and binding_package(e[1])
        and binding_package(e[0]) != binding_package(e[1])
    ]
    private_imports, private_accesses, foreign_accesses = private_reach_ins(files)

    print(f"modules: {len(modules)} in {len(all_packages)} top-level packages/modules; "
          f"pyflare imports: {sum(1 for e in edges if e[2] == 'top')} top-level, {len(lazy)} lazy, "
          f"{len(typing_only)} typing-only")
    print(f"runtime import cycles: {len(cycles)} (largest {len(cycles[0]) if cycles else 0} modules; "
          f"{in_cycles} modules in any cycle); top-level imports alone: {len(top_cycles)} "
          f"(largest {len(top_cycles[0]) if top_cycles else 0})")
    print(f"package-level cycles: {len(package_cycles)} (largest {len(package_cycles[0]) if package_cycles else 0}"
          f" of {len(all_packages)} top-level packages)")
    print(f"lazy imports: {len(lazy)}, {len(dodging)} of them inside a runtime cycle (lazy to dodge it)")
    print(f"upward imports: {len(upward['top'])} top-level, {len(upward['lazy'])} lazy, "
          f"{len(upward['typing'])} typing-only"
          + (f"; not in the layer table: {', '.join(unplaced)}" if unplaced else ""))
    print(f"imports between binding packages: {len(across_bindings)}")
    print(f"private reach-ins: {private_imports} imports of workers._* from outside workers; "
          f"{private_accesses} accesses of obj._name (obj not self/cls), {foreign_accesses} of them to a name "
          "the module does not define")
    if args.list:
        for i, cycle in enumerate(cycles):
            print(f"\ncycle {i + 1} ({len(cycle)}): " + " ".join(m.removeprefix("pyflare.") for m in cycle))
        for i, cycle in enumerate(top_cycles):
            print(f"\ntop-level cycle {i + 1} ({len(cycle)}): " + " ".join(m.removeprefix("pyflare.") for m in cycle))
        for cycle in package_cycles:
            print(f"\npackage cycle ({len(cycle)}): " + " ".join(cycle))
        print("\ncycle-dodging lazy imports:")
        for importer, imported, _, line in dodging:
            print(f"  {importer}:{line} -> {imported}")
        if across_bindings:
            print("\nimports between binding packages:")
            for importer, imported, _, line in across_bindings:
                print(f"  {importer}:{line} -> {imported}")
        for kind, found in upward.items():
            if found:
                print(f"\nupward imports ({kind}):")
                for importer, imported, _, line in found:
                    print(f"  {importer}:{line} -> {imported}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
