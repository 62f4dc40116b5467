"""The architecture's promises: packages keep to their floors, and no files import in a circle.

import-linter checks the floors (`[tool.importlinter]` in pyproject.toml). The circle
check is our own: it reads every import statement of every file, inside functions and
under `if TYPE_CHECKING:` too, because a circle hidden in a function is still a circle
(the two files cannot be understood, tested or moved apart).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ddh", "store", "knowledge", "handoff", "bot", "gateway", "evals", "cli", "tests",
            "bench")
SKIPPED = (Path("store/migrations/versions"),)  # Alembic's scripts, run by Alembic alone

Graph = Mapping[str, Collection[str]]


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name → file, for every .py file of the project's packages."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if any(relative.is_relative_to(skipped) for skipped in SKIPPED):
                continue
            parts = relative.with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _owner(dotted: str, modules: Collection[str]) -> str | None:
    """The project module `dotted` names, or the nearest one holding it (`pkg.mod.Name`)."""
    while dotted and dotted not in modules:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def imports_of(name: str, path: Path, modules: Collection[str]) -> set[str]:
    """The project modules that file `path` (module `name`) imports, anywhere in it.

    `from pkg import mod` counts as an import of `pkg.mod` when that is a module, else
    of `pkg`; relative imports are resolved against the file's package.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = parts[: len(parts) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        owners = {_owner(target, modules) for target in targets}
        found |= {owner for owner in owners if owner and owner != name}
    return found


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = project_modules(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def package_graph(graph: Graph) -> dict[str, set[str]]:
    """The same imports between top-level packages (`bot.voice.x` → `gateway.y`: bot → gateway)."""
    packages: dict[str, set[str]] = {}
    for source, targets in graph.items():
        top = source.partition(".")[0]
        packages.setdefault(top, set()).update(
            t.partition(".")[0] for t in targets if t.partition(".")[0] != top)
    return packages


def _reachable(graph: Graph, start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


def circles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one node, each sorted.

    Two nodes share a component when each reaches the other. A reachability pass per
    node is quadratic, which is nothing for a project's few hundred files.
    """
    nodes = set(graph) | {t for targets in graph.values() for t in targets}
    reach = {node: _reachable(graph, node) for node in nodes}
    components = {frozenset({n} | {m for m in reach[n] if n in reach[m]}) for n in nodes}
    return sorted(sorted(c) for c in components if len(c) > 1)


def describe(graph: Graph, found: Iterable[list[str]]) -> str:
    """Each circle with the imports that close it, to say which one to cut."""
    lines = []
    for circle in found:
        lines.append("circle: " + ", ".join(circle))
        lines += [f"    {a} -> {b}" for a in circle
                  for b in sorted(graph.get(a, ())) if b in circle]
    return "\n".join(lines)


# --- the checks ------------------------------------------------------------------------


def test_import_linter_contracts_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_no_module_imports_itself_through_others():
    graph = module_graph()
    assert len(graph) > 50  # the walk found the project, not an empty folder
    found = circles(graph)
    assert not found, "modules importing in a circle:\n" + describe(graph, found)


def test_no_package_imports_itself_through_others():
    graph = package_graph(module_graph())
    found = circles(graph)
    assert not found, "packages importing in a circle:\n" + describe(graph, found)


# --- the checker itself ----------------------------------------------------------------


def test_circles_finds_components_and_ignores_chains():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": {"d"}, "f": {"a"},
             "g": {"g"}}
    assert circles(graph) == [["a", "b", "c"], ["d", "e"]]
    assert circles({"a": {"b"}, "b": {"c"}, "f": {"a", "c"}}) == []
    assert "    c -> a" in describe(graph, circles(graph))


def test_imports_are_read_everywhere_in_a_file(tmp_path: Path):
    (tmp_path / "knowledge" / "sub").mkdir(parents=True)
    files = {
        "knowledge/__init__.py": "",
        "knowledge/a.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from knowledge.b import Thing\n"
            "def f():\n    from . import c\n    import knowledge.sub.d as d\n"
        ),
        "knowledge/b.py": "import yaml\nfrom knowledge.sub import d\n",
        "knowledge/c.py": "",
        "knowledge/sub/__init__.py": "from .d import x\n",
        "knowledge/sub/d.py": "from ..a import f\nfrom .. import b\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    graph = module_graph(tmp_path)
    assert graph["knowledge.a"] == {"knowledge.b", "knowledge.c", "knowledge.sub.d"}
    assert graph["knowledge.b"] == {"knowledge.sub.d"}
    assert graph["knowledge.sub"] == {"knowledge.sub.d"}
    assert graph["knowledge.sub.d"] == {"knowledge.a", "knowledge.b"}
    assert circles(graph) == [["knowledge.a", "knowledge.b", "knowledge.sub.d"]]
    assert package_graph(graph) == {"knowledge": set()}
