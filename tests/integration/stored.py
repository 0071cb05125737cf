"""Looking at and changing stored documents (``document`` rows and their bytes) from tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, delete, func, select, text, update

from caseflow.dates import now
from caseflow.evidence.store import TABLE


def exists(engine: Engine, sha256: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(TABLE.c.sha256).where(TABLE.c.sha256 == sha256)).first() is not None


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(TABLE)).scalar_one())


def age(engine: Engine, sha256: str, days: float) -> None:
    """Make the document look stored ``days`` ago."""
    with engine.begin() as conn:
        moment = now() - dt.timedelta(days=days)
        conn.execute(update(TABLE).where(TABLE.c.sha256 == sha256).values(created_at=moment))


def tamper(engine: Engine, sha256: str, data: bytes) -> None:
    """Change the stored bytes behind the application's back (as someone with database access could)."""
    with engine.begin() as conn:
        assert conn.execute(update(TABLE).where(TABLE.c.sha256 == sha256).values(content=data)).rowcount == 1


def remove(engine: Engine, sha256: str) -> None:
    """Delete the row although rows cite it (as someone with database access could, foreign key
    checks switched off for it): the document is then missing."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute("DELETE FROM document WHERE sha256 = ?", (sha256,))
            assert cursor.rowcount == 1
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            raw.close()
        return
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        assert conn.execute(delete(TABLE).where(TABLE.c.sha256 == sha256)).rowcount == 1
