"""The lean write path writes exactly what the write path before it wrote, on the same inputs.

``tests/data/write_path_golden.json`` was written by the code before the lean write path (commit
a57baea) running ``writepath_scenario.run`` (three requests through every kind of transition that
writes rows, letters as HTML). The same scenario on today's code, on SQLite and on PostgreSQL, must
give the same events (payloads and hashes), request rows, letters, ``case_document`` and
``document`` rows, column for column.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tests.integration import writepath_scenario

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "write_path_golden.json"


def _compared(golden: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """Today's rows restricted to the golden record's columns (new columns are not its business)."""
    out: dict[str, Any] = {}
    for table, rows in golden.items():
        columns = set(rows[0]) if rows else set()
        out[table] = [{k: v for k, v in row.items() if k in columns} for row in now[table]]
    return out


def test_events_rows_and_letters_identical_to_the_old_write_path(engine: Engine, tmp_path: Path) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    with writepath_scenario.fixed_environment(tmp_path):
        writepath_scenario.run(engine)
        now = writepath_scenario.dump(engine)
    assert {t: len(r) for t, r in now.items()} == {t: len(r) for t, r in golden.items()}
    compared = _compared(golden, now)
    for table in ("evidence_event", "request", "letter", "case_document", "document"):
        for before, after in zip(golden[table], compared[table], strict=True):
            assert after == before, f"{table}: {before.get('case')} {before.get('seq', '')}"
    # The chain the events form is the one the old code formed, head for head.
    heads = {r["tracking_no"]: r["last_hash"] for r in compared["request"]}
    assert heads == {r["tracking_no"]: r["last_hash"] for r in golden["request"]}
