"""The public deadline vectors (shared/testdata/deadline-vectors.jsonl), one test per line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from caseflow.calendar import WorkingCalendar
from caseflow.clock import batch_line
from tests.conftest import require

#: shared/ lives next to the project root (../shared from /work/main).
SHARED = Path(__file__).resolve().parents[3] / "shared"
VECTORS = SHARED / "testdata" / "deadline-vectors.jsonl"


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
    if not VECTORS.is_file():
        if SHARED.is_dir():
            pytest.fail(f"{VECTORS} is missing although {SHARED} exists: the public vectors must be there")
        require(
            "the shared deadline vectors",
            f"no shared test data next to this checkout ({SHARED} does not exist)",
        )
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
