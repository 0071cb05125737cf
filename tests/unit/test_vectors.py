"""Deadline vectors, one test per line, answered by ``clock.batch_line`` as ``caseflow deadline --batch``
answers them.

- ``tests/data/deadline-vectors-v2.jsonl``: the public vectors (a copy kept in the repository, so that
  a fresh clone runs every test without anything beside it).
- ``tests/data/deadline-vectors-edges.jsonl``: the project's own vectors for the boundaries of the
  last-day pause (a pause that starts on the deadline day counts; the reply is then due on the first
  working day on or after the day the pause ends) and of the Art. 35 date (set on or before the
  deadline in force, later than it). Their "expect" is either deadline fields or {"error": substring}.

  How the edge dates were worked out, by hand from caseflow/data/calendar/2026.json (春节 rest days
  2026-02-15..02-23, 调休 working Saturdays 2026-02-14 and 2026-02-28) and the library's 2018
  schedule (清明 2018-04-05..07, Sunday 2018-04-08 a working day): a request received on Monday
  2026-01-12 is due 20 working days later counting from the next day (01-13..16, 19..23, 26..30,
  02-02..06 make 19, Monday 02-09 is the 20th), with no rest day but weekends in between. A pause
  starting on 02-09 leaves no working day: the reply is due on the day it ends if that is a working
  day (02-11; the 调休 Saturday 02-14), else on the next working day (Saturday 03-07 -> Monday 03-09,
  holiday 02-18 -> 02-24). Each line's "note" gives its own count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from caseflow.calendar import WorkingCalendar
from caseflow.clock import batch_line

DATA = Path(__file__).resolve().parents[1] / "data"
VECTORS = DATA / "deadline-vectors-v2.jsonl"
EDGES = DATA / "deadline-vectors-edges.jsonl"
DEADLINE_FIELDS = {"reply_due", "paused", "supplement_notice_due", "provisional", "rules", "extended_days"}


def _vector_params(path: Path) -> list[Any]:
    if not path.is_file():
        return []
    params = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            ident = str(json.loads(line).get("id", f"line{lineno}"))
        except (json.JSONDecodeError, AttributeError):
            ident = f"line{lineno}"
        params.append(pytest.param(path, lineno, line, id=f"{path.stem}:{ident}"))
    return params


VECTOR_PARAMS = _vector_params(VECTORS) + _vector_params(EDGES)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("path", [VECTORS, EDGES], ids=["public", "edges"])
def test_vectors_file_is_there_and_well_formed(path: Path) -> None:
    assert path.is_file(), f"{path} is missing: the vectors must be in the repository"
    vectors = _lines(path)
    assert len(vectors) == len([p for p in VECTOR_PARAMS if p.values[0] == path]) > 0
    ids = [v["id"] for v in vectors]
    assert len(ids) == len(set(ids)), "vector ids must be unique (they are the test ids)"
    for v in vectors:
        assert isinstance(v["timeline"], dict), v["id"]
        expect = v["expect"]
        assert expect, v["id"]
        if path == EDGES and "error" in expect:
            assert set(expect) == {"error"} and isinstance(expect["error"], str), v["id"]
        else:
            assert set(expect) <= DEADLINE_FIELDS, v["id"]


def test_the_edge_vectors_cover_both_rules() -> None:
    edges = _lines(EDGES)
    errors = [v for v in edges if "error" in v["expect"]]
    assert len(errors) >= 3 and len(edges) - len(errors) >= 10
    starts_on_due = [v for v in edges if any(e["type"] == "pause_started" for e in v["timeline"]["events"])]
    assert len(starts_on_due) >= 8
    assert all(v.get("note") for v in edges), "each edge vector says how its dates were worked out"


@pytest.mark.parametrize(("path", "lineno", "line"), VECTOR_PARAMS)
def test_vector(path: Path, lineno: int, line: str, cal: WorkingCalendar) -> None:
    try:
        vector = json.loads(line)
    except json.JSONDecodeError as exc:
        pytest.fail(f"{path.name} line {lineno} is not JSON: {exc}")
    out, ok = batch_line(line, lineno, cal)
    assert out["id"] == vector["id"]
    expect = vector["expect"]
    if "error" in expect:
        assert not ok, f"expected an error, got {out}"
        assert set(out) == {"id", "error"}
        assert expect["error"] in out["error"], out["error"]
        return
    assert ok, out.get("error")
    assert {k: out.get(k) for k in expect} == expect
