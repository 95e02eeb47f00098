"""No import cycle between gongshu's packages: each package can be read, tested and changed with
only the ones below it in mind (DESIGN.md's layers; tests/test_layers.py checks the Prefect arrows).

The graph is built from the source, one node per package (``gongshu.cleanse``) or top-level module
(``gongshu.clock``). Imports under ``if TYPE_CHECKING:`` are left out: they name types for the checker
and do not run.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SKIP = ("migrations", "vendor")


def _module(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _node(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool):
    """(imported module, line) for every import that runs, relative ones resolved."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node.test):
            for other in node.orelse:
                yield from _imports(other, module, is_package)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                yield ".".join([*base, *([node.module] if node.module else [])]), node.lineno
            elif node.module:
                yield node.module, node.lineno
        else:
            yield from _imports(node, module, is_package)


def import_graph() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> the places (file:line) that import it."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted((REPO / "gongshu").rglob("*.py")):
        if any(part in SKIP for part in path.parts):
            continue
        module = _module(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target, line in _imports(tree, module, path.name == "__init__.py"):
            if target == "gongshu" or not target.startswith("gongshu."):
                continue
            source, imported = _node(module), _node(target)
            if source != imported:
                graph[source][imported].append(f"{path.relative_to(REPO)}:{line}")
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, {}):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_packages():
    graph = import_graph()
    # a known arrow, so that a broken walk (no edges at all) cannot pass as "no cycles"
    assert "gongshu.catalog" in graph["gongshu.cleanse"]
    assert len(graph) > 8


def test_no_cycle_between_packages():
    graph = import_graph()
    problems = []
    for component in cycles(graph):
        arrows = [f"  {a} -> {b} ({', '.join(graph[a][b][:3])})" for a in component for b in component if b in graph[a]]
        problems.append(" <-> ".join(component) + "\n" + "\n".join(arrows))
    assert not problems, "import cycles between gongshu packages:\n" + "\n".join(problems)


def test_a_cycle_is_found():
    graph = {"a": {"b": ["a.py:1"]}, "b": {"c": ["b.py:1"]}, "c": {"a": ["c.py:1"]}, "d": {"a": ["d.py:1"]}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_type_checking_imports_are_left_out():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from gongshu.catalog.model import Resource\n"
        "from gongshu.clock import now\n"
    )
    assert [t for t, _ in _imports(tree, "gongshu.store.dwd", False)] == ["typing", "gongshu.clock"]
