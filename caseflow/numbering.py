"""Gap-free numbering: tracking numbers and letter numbers (文号) per agency, year and series."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session


def next_number(session: Session, scope: str, key: str) -> int:
    """The next number in a gap-free series, inside the caller's transaction (rolled back with it)."""
    return int(
        session.execute(
            text(
                "INSERT INTO counter (scope, key, value) VALUES (:scope, :key, 1) "
                "ON CONFLICT (scope, key) DO UPDATE SET value = counter.value + 1 RETURNING value"
            ),
            {"scope": scope, "key": key},
        ).scalar_one()
    )
