"""``caseflow demo``'s bulk inserts leave SQLite's WAL checkpointable (issue 17, item 5).

A read transaction left open while the bulk batches are inserted pins its snapshot: no frame
written after it can be checkpointed, and the WAL grows with every batch (past 16 GB at a million
requests). Here the demo runs with small batches; whenever a bulk batch is being written, a
separate connection checkpoints (PASSIVE) and every frame committed before must be checkpointed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from caseflow.cli import running
from tests.integration.test_cli_db import flat, run_cli


def test_bulk_demo_leaves_no_reader_pinning_the_wal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(running, "BULK_ABOVE", 10)
    monkeypatch.setattr(running, "SERVICE_PART", 2)
    monkeypatch.setattr(running, "BULK_BATCH", 40)
    db = tmp_path / "demo.db"
    seen: list[tuple[int, int, int]] = []

    def checkpoint(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO evidence_event") and db.with_name("demo.db-wal").exists():
            with sqlite3.connect(db) as other:
                busy, log, done = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            seen.append((busy, log, done))

    event.listen(Engine, "before_cursor_execute", checkpoint)
    try:
        result = run_cli(f"sqlite:///{db}", tmp_path / "data", "demo", "--cases", "162", "--seed", "5")
    finally:
        event.remove(Engine, "before_cursor_execute", checkpoint)
    assert result.exit_code == 0, result.output
    assert "演示数据：162件依申请公开" in flat(result.output)
    assert len(seen) > 4  # the service part's events and the four bulk batches
    assert any(log > 0 for _busy, log, _done in seen)
    assert all(done == log for _busy, log, done in seen), seen  # nothing pinned by a reader
