"""The released copies of a request's records, and the manifest a reply releases.

A record's released copy is the PDF itself when nothing is boxed, else the burnt-in copy
(``redact.burn_in``) for its boxes as they are (``released_digest == boxes_digest``). The burn-in of
a long record takes seconds, so ``prepare_outside_lock`` makes the copies before it takes the write
lock (on SQLite one lock for the whole database) and only stores them inside it, and only where the
boxes are still those it burnt (a change in between is burnt again, inside the lock).

``manifest`` is what a reply would release; the reviewer's approval records it and the reply is
issued only with the same one (``caseflow.cases.release_rules``). It is refused while a copy is not
made for the current boxes, or while a suggested box is neither accepted nor rejected (each
suggestion is decided by a person before anything leaves the office).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from sqlmodel import Session

from caseflow.db import lock_case, write_transaction
from caseflow.errors import FactsError, RuleViolation
from caseflow.evidence.store import DocumentStore
from caseflow.models import Case, ReleaseRecord
from caseflow.release import redact
from caseflow.release.records import PDF, boxes_digest, engine_box, for_case

#: The actions before which the case page and the API make the released copies (``prepare_before_reply``).
PREPARED_FOR = frozenset({"draft_reply", "approve_reply", "confidentiality_review", "issue_reply"})
#: The burnt-in copy is kept in memory up to this size, then in a temporary file.
_SPOOL = 8 * 1024 * 1024


def current(record: ReleaseRecord) -> bool:
    """The record's released copy is made for its boxes as they are."""
    return bool(record.released_sha256) and record.released_digest == record.boxes_digest


@dataclass(frozen=True, slots=True)
class Copy:
    """A released copy made for the boxes of ``digest``: its bytes (None: the PDF itself, no box)."""

    digest: str
    data: bytes | None
    redacted_pages: int


def burn(session: Session, record: ReleaseRecord, store: DocumentStore | None = None) -> Copy:
    """The released copy for the record's boxes as they are (reads, writes nothing)."""
    digest = boxes_digest(record.boxes)
    if not record.boxes:
        return Copy(digest, None, 0)
    pdf = (store or DocumentStore()).read(record.pdf_sha256, session)
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL) as out:
        redacted = redact.burn_in(pdf, [engine_box(b) for b in record.boxes], cast(BinaryIO, out))
        out.seek(0)
        return Copy(digest, out.read(), redacted)


def keep(
    session: Session, record: ReleaseRecord, copy: Copy, store: DocumentStore | None = None
) -> ReleaseRecord:
    """Store ``copy`` as the record's released copy (in the caller's transaction)."""
    if record.issued_seq is not None:  # pragma: no cover - a released record's boxes never change
        raise RuleViolation(f"「{record.title}」已随答复公开，不能再生成公开文本", code="release_frozen")
    if copy.data is None:
        record.released_sha256 = record.pdf_sha256
    else:
        name = f"{record.title}（公开文本）.pdf"[-300:]
        record.released_sha256 = (store or DocumentStore()).put(
            session, copy.data, media_type=PDF, filename=name
        )
    record.redacted_pages, record.released_digest = copy.redacted_pages, copy.digest
    session.add(record)
    session.flush()
    return record


def prepare(session: Session, record: ReleaseRecord, *, store: DocumentStore | None = None) -> ReleaseRecord:
    """Make the released copy for the boxes as they are, unless it is made already (in the caller's
    transaction: the burn-in runs under its lock; see ``prepare_outside_lock``)."""
    if current(record):
        return record
    return keep(session, record, burn(session, record, store), store)


def prepare_all(session: Session, case: Case, *, store: DocumentStore | None = None) -> None:
    """``prepare`` every record of the request."""
    assert case.id is not None
    for record in for_case(session, case.id):
        prepare(session, record, store=store)


def prepare_outside_lock(session: Session, case: Case, *, store: DocumentStore | None = None) -> None:
    """``prepare_all`` with the burn-in before the write transaction: the copies are made from a read,
    then stored in one short write transaction with the request row locked, each only if its record's
    boxes are still those it was made for (otherwise it is made again there)."""
    assert case.id is not None
    try:
        made = {r.id: burn(session, r, store) for r in for_case(session, case.id) if not current(r)}
    except redact.RedactionError as exc:  # a stored PDF that no longer opens: say so, not a 500
        raise FactsError([("release", str(exc))], code="release_unreadable") from exc
    session.rollback()  # end the read (an SQLite snapshot) before the write lock
    if not made:
        return
    with write_transaction(session):
        lock_case(session, case.id)
        for record in for_case(session, case.id):
            copy = made.get(record.id)
            if current(record):
                continue
            if copy is not None and copy.digest == boxes_digest(record.boxes):
                keep(session, record, copy, store)
            else:
                prepare(session, record, store=store)


def prepare_before_reply(session: Session, case: Case, *, store: DocumentStore | None = None) -> None:
    """What the case page and the API do before posting draft_reply, approve_reply,
    confidentiality_review or issue_reply: ``prepare_outside_lock`` when the request has records (a
    request without any is left alone, its session not rolled back). Refusals raise."""
    assert case.id is not None
    if for_case(session, case.id):
        prepare_outside_lock(session, case, store=store)


def manifest(session: Session, case: Case) -> list[dict[str, Any]]:
    """What the reply would release, as recorded in the review and the reply's evidence: per record its
    title, pages, redacted pages, grounds with their pages, released and original SHA-256 and the
    boxes. ``FactsError`` if a record's released copy is missing or older than its boxes, or a
    suggested box of it is still undecided."""
    assert case.id is not None
    records = for_case(session, case.id)
    errors = [
        ("release", f"「{r.title}」还有{n}处建议遮盖未处理，请逐一采纳或不采纳")
        for r in records
        if (n := sum(1 for s in r.suggestions if s.get("status") == "open"))
    ]
    if errors:
        raise FactsError(errors, code="release_suggestions_open")
    stale = [r for r in records if not current(r)]
    if stale:
        raise FactsError(
            [("release", f"「{r.title}」的公开文本尚未按当前遮盖生成，请先生成公开文本") for r in stale],
            code="release_not_prepared",
        )
    return [_entry(record) for record in records]


def _entry(record: ReleaseRecord) -> dict[str, Any]:
    """A record's manifest entry (no suggestion or box text)."""
    boxes = [
        {
            "page": int(b["page"]),
            "box": [float(v) for v in b["box"]],
            "ground": str(b["ground"]),
            "by": b.get("by", ""),
            "source": b.get("source", "manual"),
        }
        for b in record.boxes
    ]
    boxes.sort(key=lambda b: (b["page"], b["box"], b["ground"]))
    grounds: dict[str, set[int]] = {}
    for box in boxes:
        grounds.setdefault(box["ground"], set()).add(box["page"])
    return {
        "record_id": record.id,
        "title": record.title,
        "pages": record.pages,
        "redacted_pages": record.redacted_pages,
        "redacted_page_numbers": sorted({b["page"] for b in boxes}),
        "grounds": {ground: sorted(pages) for ground, pages in sorted(grounds.items())},
        "sha256": record.released_sha256,
        "original_sha256": record.original_sha256,
        "pdf_sha256": record.pdf_sha256,
        "boxes": boxes,
    }
