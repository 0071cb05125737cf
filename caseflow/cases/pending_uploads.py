"""Files chosen on a form that is not saved yet (the intake form after 计算期限, or a refused save).

The bytes go to the content-addressed document store (``caseflow.evidence.store``: a ``document``
row by their SHA-256, the same content stored once) in the same transaction as the ``pending_upload``
row that binds them to the user who chose them and to the form's file field. The form carries the
rows' ids; only their owner may use them. A registration turns them into the request's documents and
deletes the rows in its own transaction (``caseflow.cases.intake.register``). Abandoned rows are
deleted after ``MAX_AGE`` by the ``pending`` job (``caseflow.scheduled.pending``), and their
``document`` row with them when nothing else names it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy.orm import object_session
from sqlmodel import Session, col, select

from caseflow.cases.upload import Upload
from caseflow.dates import now as current_moment
from caseflow.errors import FactsError, Forbidden
from caseflow.evidence.store import DocumentStore
from caseflow.models import PendingUpload

#: The intake form's file fields and the kind of request document each becomes.
INTAKE_SLOTS: dict[str, str] = {"application_scan": "application", "envelope": "envelope", "proof": "proof"}
#: How long a pending upload is kept for its form.
MAX_AGE = dt.timedelta(hours=24)
GONE = "已上传的文件已超过24小时未登记而被清理，请重新选择文件"


def keep(
    session: Session,
    *,
    user_id: int,
    slot: str,
    data: bytes,
    media_type: str,
    filename: str,
    store: DocumentStore | None = None,
    moment: dt.datetime | None = None,
) -> PendingUpload:
    """Store the bytes and a pending row for ``user_id``'s form field ``slot`` (the caller commits)."""
    if slot not in INTAKE_SLOTS:
        raise FactsError([(slot, "没有这个上传栏目")])
    digest = (store or DocumentStore()).put(session, data, media_type=media_type, filename=filename)
    row = PendingUpload(
        user_id=user_id,
        slot=slot,
        sha256=digest,
        filename=filename[:300],
        media_type=(media_type or "application/octet-stream")[:100],
        size=len(data),
        created_at=moment or current_moment(),
    )
    session.add(row)
    session.flush()
    return row


def parse_ids(values: Iterable[str]) -> list[int]:
    """The pending ids a form carries (hidden fields); anything that is not an id is refused."""
    ids = []
    for value in values:
        if not value.isdigit() or len(value) > 10:
            raise FactsError([("pending", "已上传文件的编号无效，请重新选择文件")])
        ids.append(int(value))
    return ids


def held(session: Session, *, user_id: int, ids: Sequence[int]) -> list[PendingUpload]:
    """The pending uploads ``ids`` of ``user_id``, in the order given; another user's is refused
    (403), one already discarded is a field error (choose the file again)."""
    if not ids:
        return []
    rows = {r.id: r for r in session.exec(select(PendingUpload).where(col(PendingUpload.id).in_(ids)))}
    for pid in ids:
        row = rows.get(pid)
        if row is not None and row.user_id != user_id:
            raise Forbidden("该上传文件不是您上传的，不能使用", code="pending_upload_not_yours")
    missing = [pid for pid in ids if pid not in rows]
    if missing:
        raise FactsError([("pending", GONE)])
    return [rows[pid] for pid in dict.fromkeys(ids)]


def as_uploads(rows: Sequence[PendingUpload], store: DocumentStore | None = None) -> tuple[Upload, ...]:
    """The pending files as the uploads of a registration (their bytes read back and checked)."""
    docs = store or DocumentStore()
    out = []
    for row in rows:
        try:
            data = docs.read(row.sha256, object_session(row))
        except (FileNotFoundError, ValueError) as exc:
            raise FactsError([(row.slot, f"已上传的文件“{row.filename}”已不可用，请重新选择文件")]) from exc
        out.append(Upload(INTAKE_SLOTS.get(row.slot, row.slot), data, row.media_type, row.filename))
    return tuple(out)


def discard(session: Session, rows: Sequence[PendingUpload]) -> None:
    """Delete the rows (their ``document`` rows stay until the ``pending`` job or the store's sweep
    finds nothing naming them)."""
    for row in rows:
        session.delete(row)


def abandoned(session: Session, as_of: dt.datetime) -> list[PendingUpload]:
    """The pending uploads older than ``MAX_AGE`` as of ``as_of``."""
    cutoff = as_of - MAX_AGE
    return list(session.exec(select(PendingUpload).where(col(PendingUpload.created_at) < cutoff)))


def size_text(size: int) -> str:
    """A file size as the form shows it: 512 字节, 3.4 KB, 12.5 MB."""
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
