"""The public deadline vectors (a copy of the brief's shared/testdata/deadline-vectors-v2.jsonl kept in
tests/fixtures, so that a fresh clone stands alone), one test per line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from caseflow.calendar import WorkingCalendar
from caseflow.clock import batch_line
from tests.conftest import FIXTURES

VECTORS = FIXTURES / "deadline-vectors.jsonl"


def _vector_params() -> list[Any]:
    if not VECTORS.is_file():
        return []
    params = []
    for lineno, line in enumerate(VECTORS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            ident = str(json.loads(line).get("id", f"line{lineno}"))
        except (json.JSONDecodeError, AttributeError):
            ident = f"line{lineno}"
        params.append(pytest.param(lineno, line, id=ident))
    return params


VECTOR_PARAMS = _vector_params()


def test_vectors_file_is_there_and_well_formed() -> None:
    assert VECTORS.is_file(), f"{VECTORS} is missing: the public vectors must be in the repository"
    vectors = [json.loads(line) for line in VECTORS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(vectors) == len(VECTOR_PARAMS) > 0
    ids = [v["id"] for v in vectors]
    assert len(ids) == len(set(ids)), "vector ids must be unique (they are the test ids)"
    allowed = {"reply_due", "paused", "supplement_notice_due", "provisional", "rules", "extended_days"}
    for v in vectors:
        assert isinstance(v["timeline"], dict), v["id"]
        assert v["expect"] and set(v["expect"]) <= allowed, v["id"]


@pytest.mark.parametrize(("lineno", "line"), VECTOR_PARAMS)
def test_vector(lineno: int, line: str, cal: WorkingCalendar) -> None:
    try:
        vector = json.loads(line)
    except json.JSONDecodeError as exc:
        pytest.fail(f"{VECTORS.name} line {lineno} is not JSON: {exc}")
    out, ok = batch_line(line, lineno, cal)
    assert ok, out.get("error")
    assert out["id"] == vector["id"]
    expect = vector["expect"]
    assert {k: out.get(k) for k in expect} == expect
