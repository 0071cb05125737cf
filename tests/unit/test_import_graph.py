"""No import circles between the modules of caseflow/ (the engine, the web application in
caseflow/api/, the command line) and bench/ (issue 20).

Every import counts: at the top of a module, inside a function (a "lazy" import that hides a circle
from Python but not from a reader), and under ``if TYPE_CHECKING``. An import of a package's name
(``from caseflow.cases import engine``) is an edge to the submodule when it is one, else to the
package. The graph is read from the source with ``ast``, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOPS = ("caseflow", "bench")


def _modules(root: Path, tops: tuple[str, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for top in tops:
        for path in (root / top).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module of ours that an imported dotted name lives in (its longest known prefix)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(root: Path = ROOT, tops: tuple[str, ...] = TOPS) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports anywhere in its source."""
    modules = _modules(root, tops)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(filter(None, (_resolve(alias.name, modules) for alias in node.names)))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    kept = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*kept, base] if base else kept)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    target = full if full in modules else _resolve(base, modules)
                    if target:
                        targets.add(target)
        targets.discard(name)
        graph[name] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected component of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _one_cycle(graph: dict[str, set[str]], members: list[str]) -> list[str]:
    """One concrete circle through the component, for the failure message."""
    inside = {m: graph[m] & set(members) for m in members}
    try:
        graphlib.TopologicalSorter(inside).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return members


def test_the_graph_sees_the_project() -> None:
    graph = import_graph()
    assert {"caseflow.api.main", "caseflow.cases.engine", "caseflow.law", "bench.run"} <= graph.keys()
    assert "caseflow.cases.engine" in graph["caseflow.service"]


def test_every_kind_of_import_is_an_edge(tmp_path: Path) -> None:
    pkg = tmp_path / "p"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from p.sub import b\n")
    (pkg / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from p import c\n"
        "def f():\n    from .sub import b\n    return b\n"
    )
    (pkg / "sub" / "b.py").write_text("import p.a\nfrom .. import c\n")
    (pkg / "c.py").write_text("import os\n")
    graph = import_graph(tmp_path, ("p",))
    assert graph["p.a"] == {"p.c", "p.sub.b"}  # under TYPE_CHECKING, and inside a function
    assert graph["p.sub.b"] == {"p.a", "p.c"}  # absolute and relative
    assert graph["p.sub"] == {"p.sub.b"} and graph["p.c"] == set()
    assert _cycles(graph) == [["p.a", "p.sub.b"]]


def test_the_checker_finds_a_circle_hidden_in_a_function() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles() -> None:
    graph = import_graph()
    circles = _cycles(graph)
    message = "\n".join(
        f"{len(c)} modules import each other, e.g. {' -> '.join(_one_cycle(graph, c))}" for c in circles
    )
    assert not circles, message
