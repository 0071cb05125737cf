"""The law is one package read as one name (issue 20): ``caseflow.law`` re-exports every public name
its modules define, so ``law.X`` is the same object wherever X lives, and a name added to a module
but forgotten in ``__init__`` fails here rather than in the code that reads it."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

from caseflow import law


def _defined(path: Path) -> set[str]:
    """The public names a module's source binds at its top level (classes, functions, constants)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_")}


def test_every_public_name_of_the_law_is_read_through_the_package() -> None:
    modules = [m.name for m in pkgutil.iter_modules(law.__path__)]
    assert {"periods", "outcomes", "fees", "remedies", "annual_report"} <= set(modules)
    seen: dict[str, str] = {}
    for name in modules:
        module = importlib.import_module(f"caseflow.law.{name}")
        assert module.__file__ is not None
        for public in _defined(Path(module.__file__)):
            assert public not in seen, f"{public} is defined in both law.{seen[public]} and law.{name}"
            seen[public] = name
            assert public in law.__all__, f"law.{name}.{public} is not re-exported by caseflow.law"
            assert getattr(law, public) is getattr(module, public)
    assert set(law.__all__) == set(seen), sorted(set(law.__all__) ^ set(seen))
