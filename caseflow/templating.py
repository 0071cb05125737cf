"""The Jinja2 setup shared by letters and reports: where shipped templates are, and a strict,
autoescaping environment (an undefined name is an error, never an empty string)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape


def shipped_templates(kind: str, marker: str) -> Path:
    """``templates/<kind>``: inside the installed package, or at the project root in a checkout
    (recognised by the file ``marker`` in it)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates" / kind, here.parent / "templates" / kind):
        if (candidate / marker).is_file():
            return candidate
    raise FileNotFoundError(f"caseflow's {kind} templates are missing from this installation")


def strict_environment(directory: Path, *, keep_trailing_newline: bool = False) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(directory)),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
    )
