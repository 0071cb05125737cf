"""Gap-free numbering: tracking numbers and letter numbers (文号) per agency, year and series."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

#: Built once: the write path takes a number on every letter and every registration.
_NEXT = text(
    "INSERT INTO counter (scope, key, value) VALUES (:scope, :key, 1) "
    "ON CONFLICT (scope, key) DO UPDATE SET value = counter.value + 1 RETURNING value"
)


def next_number(session: Session, scope: str, key: str) -> int:
    """The next number in a gap-free series, inside the caller's transaction (rolled back with it).

    On PostgreSQL the series' counter row stays locked until the caller's commit: take the number
    as late as the transaction allows (``caseflow.replies.issue`` takes it after every other read)."""
    return int(session.connection().execute(_NEXT, {"scope": scope, "key": key}).scalar_one())
