"""The map in docs/architecture.md stays true (issue 20): every path on its layout exists, and every
module and package directly under ``caseflow/`` and ``caseflow/api/`` is on it, so a new room cannot
be added without saying what it is for."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
#: A layout line: two spaces a level, the entry, then (after two spaces or more) what it is.
ENTRY = re.compile(r"^(?P<indent>(?:  )*)(?P<name>[\w.-]+(?:/[\w.-]+)*/?)(?:\s{2,}\S.*)?$")
#: Continuation lines of a description start in the description column.
DESCRIPTION_COLUMN = 28


def layout_paths(text: str) -> list[Path]:
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    paths: list[Path] = []
    stack: list[str] = []
    for line in block.splitlines()[1:]:
        if not line.strip() or len(line) - len(line.lstrip(" ")) >= DESCRIPTION_COLUMN:
            continue
        match = ENTRY.match(line)
        assert match, f"not a layout line: {line!r}"
        level = len(match["indent"]) // 2
        assert level <= len(stack), f"indented under nothing: {line!r}"
        del stack[level:]
        name = match["name"]
        paths.append(Path(*stack, name.rstrip("/")))
        if name.endswith("/"):
            stack.append(name.rstrip("/"))
    return paths


def test_the_parser_reads_nesting() -> None:
    lines = ["a/    the a", "  b.py  x", " " * 28 + "more of x", "  c/", "    d.py  y", "z.toml"]
    text = "## Layout\n```\n" + "\n".join(lines) + "\n```\n"
    assert layout_paths(text) == [Path("a"), Path("a/b.py"), Path("a/c"), Path("a/c/d.py"), Path("z.toml")]


def test_every_path_on_the_map_exists() -> None:
    paths = layout_paths(DOC.read_text(encoding="utf-8"))
    assert len(paths) > 60
    missing = [str(p) for p in paths if not (ROOT / p).exists()]
    assert not missing, f"on the map but not in the checkout: {missing}"


def test_every_room_is_on_the_map() -> None:
    listed = set(layout_paths(DOC.read_text(encoding="utf-8")))
    rooms = [
        child.relative_to(ROOT)
        for folder in (ROOT / "caseflow", ROOT / "caseflow" / "api")
        for child in folder.iterdir()
        if child.name not in {"__init__.py", "__pycache__"}
        and (child.suffix == ".py" or (child.is_dir() and any(child.iterdir())))
    ]
    assert len(rooms) > 50
    unlisted = sorted(str(r) for r in rooms if r not in listed)
    assert not unlisted, f"not on the map in docs/architecture.md: {unlisted}"
