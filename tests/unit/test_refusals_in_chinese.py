"""Every refusal the engine raises for people is written in Chinese at its source (issue 16, item 1).

An AST walk over every module under ``caseflow/``: each ``raise`` (or ``return``) of one of the
engine's refusals (RuleViolation, FactsError, NotFound, Forbidden, IllegalTransition, StaleVersion,
TooManyAttempts), of the problems an evidence package's verification names (PackageProblem, and
ZipProblem / ZipLimit, whose text it carries; shown on the auditor's verification page and by
``caseflow evidence verify``), of the calendar's CalendarError (a notice an admin loads, a date
outside the working-day calendar), and each ``ValueError`` raised inside a pydantic validator (its
text becomes a field error on the form) must carry a CJK character in the literal text of its
message. A message given only as a variable is not judged here (the tests that trigger it are); a
literal without any Chinese is listed as file:line.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import caseflow

CJK = re.compile(r"[\u4e00-\u9fff]")
REFUSALS = {
    "RuleViolation",
    "FactsError",
    "NotFound",
    "Forbidden",
    "IllegalTransition",
    "StaleVersion",
    "TooManyAttempts",
    "CaseflowError",
    "PackageProblem",
    "ZipProblem",
    "ZipLimit",
    "CalendarError",
}
VALIDATORS = {"field_validator", "model_validator"}
FIELD_PREFIX = re.compile(r"^[a-z_][a-z0-9_.]*: ")
ROOT = Path(caseflow.__file__).parent


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _message_nodes(call: ast.Call) -> list[ast.expr]:
    """The expressions that hold the text people read (FactsError: each pair's message)."""
    if not call.args:
        return []
    first = call.args[0]
    if _name(call.func) == "FactsError":
        if isinstance(first, ast.List | ast.Tuple):
            return [e.elts[1] for e in first.elts if isinstance(e, ast.Tuple) and len(e.elts) == 2]
        return []
    return [first]


def _literal_texts(node: ast.expr) -> list[str]:
    """The literal parts of a message (a string, an f-string, a concatenation, a conditional)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    if isinstance(node, ast.BinOp):
        return _literal_texts(node.left) + _literal_texts(node.right)
    if isinstance(node, ast.IfExp):
        return _literal_texts(node.body) + _literal_texts(node.orelse)
    return []


class _Finder(ast.NodeVisitor):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.validator_depth = 0
        self.found: list[str] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        validator = any(_name(d) in VALIDATORS for d in node.decorator_list)
        self.validator_depth += validator
        self.generic_visit(node)
        self.validator_depth -= validator

    def _check(self, call: ast.Call, line: int) -> None:
        name = _name(call.func)
        if name not in REFUSALS and not (name == "ValueError" and self.validator_depth):
            return
        for node in _message_nodes(call):
            # A validator's "field: " prefix names the field for the form; the words after it count.
            texts = [FIELD_PREFIX.sub("", t) for t in _literal_texts(node)]
            texts = [t for t in texts if re.search("[A-Za-z]", t)]
            if texts and not any(CJK.search(t) for t in texts):
                where = self.path.relative_to(ROOT.parent)
                self.found.append(f"{where}:{line}: {name}({ast.unparse(node)[:90]})")

    def visit_Raise(self, node: ast.Raise) -> None:
        if isinstance(node.exc, ast.Call):
            self._check(node.exc, node.lineno)
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        if isinstance(node.value, ast.Call):
            self._check(node.value, node.lineno)
        self.generic_visit(node)


def _modules() -> list[str]:
    # caseflow.__main__ runs the command line when imported: it is scanned, not imported.
    return [
        m.name for m in pkgutil.walk_packages(caseflow.__path__, "caseflow.") if m.name != "caseflow.__main__"
    ]


def test_every_module_imports() -> None:
    """The scan covers real modules: each one under caseflow/ imports."""
    names = _modules()
    assert "caseflow.cases.engine" in names and "caseflow.states.facts" in names
    for name in names:
        importlib.import_module(name)


def test_refusals_are_written_in_chinese() -> None:
    found: list[str] = []
    paths = sorted(ROOT.rglob("*.py"))
    assert len(paths) > 50
    for path in paths:
        finder = _Finder(path)
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        found += finder.found
    assert not found, "refusals without Chinese:\n" + "\n".join(found)


def test_the_scan_finds_an_english_refusal() -> None:
    """The walk itself works: it names an English refusal and a validator's English ValueError."""
    source = (
        "def f():\n"
        "    raise RuleViolation(f'no fee {x} is pending')\n"
        "@model_validator(mode='after')\n"
        "def g(self):\n"
        "    raise ValueError('pages: required')\n"
        "def h():\n"
        "    raise FactsError([('a', '须填写'), ('b', 'at least 2')])\n"
        "def ok():\n"
        "    raise ValueError('a programming error, not for people')\n"
        "def p():\n"
        "    raise PackageProblem(f'file {name} is not listed in {MANIFEST}')\n"
        "def q():\n"
        "    raise CalendarError(f'{where}: expected a list of dates')\n"
        "def ok2():\n"
        "    raise PackageProblem(f'证据包中的文件 {name} 未列入 {MANIFEST}')\n"
        "    raise CalendarError(f'{path}: {exc}')\n"
        "    raise ZipProblem(f'{name} 不完整（文件被截断）')\n"
        "def z():\n"
        "    raise ZipProblem(f'{name} is truncated')\n"
    )
    finder = _Finder(ROOT / "example.py")
    finder.visit(ast.parse(source))
    assert [f.split(": ", 1)[0] for f in finder.found] == [
        "caseflow/example.py:2",
        "caseflow/example.py:5",
        "caseflow/example.py:7",
        "caseflow/example.py:11",
        "caseflow/example.py:13",
        "caseflow/example.py:19",
    ]
