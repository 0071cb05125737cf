"""Writing in-app notifications: each row inserted once per key, however often it is written.

Below the jobs that make notifications (reminders, checkpoints, portal reminders) and the engine's
lapse proposal (``caseflow.cases.delivery``); it imports neither the requests' actions nor the
queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from caseflow.models import Notification


def insert_notifications(session: Session, rows: Sequence[dict[str, Any]], moment: dt.datetime) -> int:
    """Insert notifications, ignoring any whose key exists (a re-run or a racing instance)."""
    if not rows:
        return 0
    values = [{**r, "created_at": moment, "mail_error": ""} for r in rows]
    dialect = session.get_bind().dialect.name
    table = Notification.__table__  # type: ignore[attr-defined]
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    else:  # pragma: no cover - caseflow runs on SQLite and PostgreSQL
        stmt = insert(table)
    # RETURNING lists the rows actually inserted (rowcount is not reliable for many rows).
    return len(session.execute(stmt.returning(table.c.id), values).all())
