"""Content-addressed document store: a document's key is the SHA-256 of its bytes, and the bytes
live in its ``document`` row (``content``), written in the caller's transaction.

A transition that stores documents (an upload, a letter) therefore commits its rows, its evidence
event and the bytes the event cites in one durable commit: there is no file to write and fsync
before the commit, nor one that a power cut can lose after it, nor one left behind by a rollback.
The same bytes are the same row (``INSERT ... ON CONFLICT DO NOTHING``). Every read checks the bytes
against their hash, so a row changed in the database is reported, never served.

Up to migration 0021 the bytes were files under ``$CASEFLOW_DATA_DIR/documents/ab/cd/<sha256>``
(``legacy_path``); the migration moved them into the rows, and restoring an old backup brings such
files back for it to load.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from caseflow.dates import now
from caseflow.models import Document

TABLE: Table = Document.__table__  # type: ignore[attr-defined]
CONTENT = TABLE.c.content
#: statements built once (parameters bound per call)
_INSERTS: dict[str, Any] = {
    "sqlite": sqlite.insert(TABLE).on_conflict_do_nothing(index_elements=[TABLE.c.sha256]),
    "postgresql": postgresql.insert(TABLE).on_conflict_do_nothing(index_elements=[TABLE.c.sha256]),
}
CHANGED = "document {} in the database does not match its hash"
MISSING = "document {} is not in the database"

Bind = Session | Connection


def legacy_path(data_dir: Path, sha256: str) -> Path:
    """Where the bytes were kept before migration 0021 (and where an old backup restores them)."""
    return data_dir / "documents" / sha256[:2] / sha256[2:4] / sha256


class DocumentStore:
    """The documents of the database ``engine`` (default: the process's, ``caseflow.db.get_engine``).
    Every method takes the caller's ``session`` where there is one (it sees the caller's own
    uncommitted rows); without one, a connection of ``engine`` is used for the call."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from caseflow.db import get_engine

            self._engine = get_engine()
        return self._engine

    def put(self, session: Session, data: bytes, *, media_type: str, filename: str = "") -> str:
        """Store the bytes in their ``document`` row in the caller's transaction (one statement; the
        row is kept as it is when the same bytes are stored already) and return their SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        dialect = session.get_bind().dialect.name
        session.execute(
            _INSERTS[dialect],
            {
                "sha256": digest,
                "size": len(data),
                "media_type": (media_type or "application/octet-stream")[:100],
                "filename": filename[:300],
                "created_at": now(),
                "content": data,
            },
        )
        return digest

    def _content(self, sha256: str, session: Bind | None) -> bytes:
        stmt = select(CONTENT).where(TABLE.c.sha256 == sha256)
        if session is not None:
            data = session.execute(stmt).scalar_one_or_none()
        else:
            with self.engine.connect() as conn:
                data = conn.execute(stmt).scalar_one_or_none()
        if data is None:
            raise FileNotFoundError(MISSING.format(sha256))
        return bytes(data) if not isinstance(data, bytes) else data

    def read(self, sha256: str, session: Bind | None = None) -> bytes:
        """The document's bytes; ``FileNotFoundError`` when there is no such document, ``ValueError``
        when its bytes do not match its hash."""
        data = self._content(sha256, session)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError(CHANGED.format(sha256))
        return data

    def open_verified(
        self, sha256: str, chunk: int = 1 << 20, session: Bind | None = None
    ) -> tuple[int, Iterator[bytes]]:
        """(size, the bytes in chunks) of a document, read once: the generator raises ``ValueError``
        after the last chunk if the bytes do not match their hash."""
        data = self._content(sha256, session)
        view = memoryview(data)

        def chunks() -> Iterator[bytes]:
            digest = hashlib.sha256()
            for start in range(0, len(view), chunk):
                block = view[start : start + chunk]
                digest.update(block)
                yield bytes(block)
            if digest.hexdigest() != sha256:
                raise ValueError(CHANGED.format(sha256))

        return len(data), chunks()

    def digest_of(self, sha256: str, session: Bind | None = None) -> str | None:
        """The SHA-256 of the stored bytes as they are now (computed by PostgreSQL itself, without
        sending the bytes), or None when there is no such document."""
        if session is None:
            with self.engine.connect() as conn:
                return self.digest_of(sha256, conn)
        dialect = session.get_bind().dialect.name if isinstance(session, Session) else session.dialect.name
        if dialect == "postgresql":
            stmt = select(func.encode(func.sha256(CONTENT), "hex")).where(TABLE.c.sha256 == sha256)
            found: str | None = session.execute(stmt).scalar_one_or_none()
            return found
        try:
            data = self._content(sha256, session)
        except FileNotFoundError:
            return None
        return hashlib.sha256(data).hexdigest()
