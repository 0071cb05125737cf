"""What backups and restores share: the error, the summary, the database kinds and the counts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

FORMAT = "caseflow-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
#: What of ``CASEFLOW_DATA_DIR`` a restore may write: ``documents`` only from archives made before
#: the documents' bytes moved into the database (migration 0021), which loads them on upgrade.
DATA_PARTS = ("documents", "keys", "calendar")
#: What of ``CASEFLOW_DATA_DIR`` a backup keeps (the documents are in the database snapshot).
BACKED_UP_PARTS = ("keys", "calendar")
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why (and nothing was changed
    when the archive was refused)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Summary:
    """What a backup holds (or a restore brought back)."""

    archive: Path
    kind: str  # sqlite | postgresql
    revision: str | None
    requests: int
    events: int
    files: int
    size: int
    #: After a restore: where the replaced database went (``FILE.bak``, or a schema), if anywhere.
    previous: str | None = None


#: (schema revision, requests, evidence events)
Counts = tuple[str | None, int, int]


def kind_of(url: str) -> str:
    try:
        backend = make_url(url).get_backend_name()
    except Exception as exc:  # noqa: BLE001 - any malformed URL
        raise BackupError(f"not a database URL: {exc}") from None
    if backend == "sqlite":
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise BackupError(f"backup knows SQLite and PostgreSQL, not {backend}")


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def counts(query: Callable[[str], Any]) -> Counts:
    """(schema revision, requests, evidence events) through ``query(sql) -> scalar``."""
    revision = query("SELECT version_num FROM alembic_version")
    return (
        None if revision is None else str(revision),
        int(query("SELECT count(*) FROM request")),
        int(query("SELECT count(*) FROM evidence_event")),
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def counts_differ(found: object, wanted: Counts) -> BackupError:
    return BackupError(
        "备份中的数据库与其清单不符，未恢复，原数据库保持不变：结构版本、申请数、证据记录数为 "
        f"{found}，清单记载 {wanted}"
    )
