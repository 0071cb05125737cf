"""Text as caseflow accepts it from anyone: no control characters, bounded lengths.

PostgreSQL cannot store U+0000 in text (the driver refuses it), a lone surrogate cannot be encoded
as UTF-8, and the other control characters have no place in a request, a letter or a name: all are
refused as bad input (422 naming the field) on every database alike, before anything is written.

``Text`` is multi-line text (tab, line feed and carriage return allowed); ``Line`` a single line (no
control character at all). Both are pydantic types: the facts of every action and the application
use them, and the web layer checks query parameters, form fields and JSON bodies with
``control_problem`` before any route sees them.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

#: C0 controls except tab, LF and CR; DEL; C1 controls; lone surrogates.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: The same, and tab, LF and CR too: a single line.
_LINE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def control_problem(value: str, *, single_line: bool = False) -> str | None:
    """Why ``value`` is refused (in Chinese), or None when it holds no forbidden character."""
    found = (_LINE_CONTROLS if single_line else _CONTROLS).search(value)
    if found is None:
        return None
    char = found.group()
    if char in "\t\n\r":
        return "只能填写一行（不能含换行符或制表符）"
    return f"含有不允许的控制字符（U+{ord(char):04X}）"


def refuse_controls(value: object) -> object:
    """A pydantic validator for any field: strings (and lists of them) without control characters."""
    if isinstance(value, str):
        problem = control_problem(value)
        if problem:
            raise ValueError(problem)
    elif isinstance(value, list | tuple):
        for item in value:
            refuse_controls(item)
    return value


def _text(value: str) -> str:
    problem = control_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _line(value: str) -> str:
    problem = control_problem(value, single_line=True)
    if problem:
        raise ValueError(problem)
    return value


#: The same rules as JSON Schema patterns, for the API's description (the validators above decide).
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"

#: Multi-line free text (tab, LF and CR allowed; no other control character).
Text = Annotated[str, AfterValidator(_text), Field(json_schema_extra={"pattern": TEXT_PATTERN})]
#: One line of text (no control character at all).
Line = Annotated[str, AfterValidator(_line), Field(json_schema_extra={"pattern": LINE_PATTERN})]
