"""The applicant's downloads: a letter (the bytes as issued, the first download recorded as
delivery), and a record's copy released with the reply (``serve_released``).

``serve`` reads the letter's file exactly as issued (verified against its recorded hash), then, if no
download of that letter is recorded yet, records it through the engine as the system action
``applicant_download`` (``caseflow.cases.applicant_download``: the hash of the bytes served, the
moment and the client address; the delivery it amounts to). The check before the transition only
spares later downloads a write; the handler decides under the request's row lock, so two first
downloads at once record one (the second is refused ``DOWNLOADED`` and records nothing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Literal

from sqlmodel import Session

from caseflow import service
from caseflow.cases.applicant_download import ACTION, DOWNLOADED, applicant_letter, downloads
from caseflow.errors import NotFound, RuleViolation
from caseflow.models import Case, Letter
from caseflow.replies.issue import issued_files

Format = Literal["html", "pdf"]


def serve(
    session: Session, case: Case, letter_no: str, fmt: Format, address: str, *, now: dt.datetime | None = None
) -> tuple[Letter, bytes, bool]:
    """(the letter, its file's bytes, whether this download was recorded as the first)."""
    assert case.id is not None
    letter = applicant_letter(session, case.id, letter_no)
    if letter is None:
        raise NotFound("没有这份文书")
    if fmt == "pdf" and letter.pdf_pending:
        raise NotFound("该文书的PDF文本尚在生成中，请稍后再试，或先下载网页版本", code="pdf_pending")
    files = issued_files(letter)
    if fmt not in files:
        raise NotFound("该文书没有PDF文本，请下载网页版本")
    data = files[fmt]
    if letter.letter_no in downloads(session, case.id):
        return letter, data, False
    facts = {
        "letter_no": letter.letter_no,
        "format": fmt,
        "sha256": hashlib.sha256(data).hexdigest(),
        "client_address": (address or "?")[:100],
    }
    try:
        service.perform_grouped(
            session=session,
            case_id=case.id,
            actor=service.SYSTEM_ACTOR,
            action=ACTION,
            facts=facts,
            now=now,
        )
    except RuleViolation as exc:
        if exc.code != DOWNLOADED:
            raise
        return letter, data, False  # another download of the same letter was recorded first
    return letter, data, True


def serve_released(session: Session, case: Case, sha256: str) -> tuple[str, bytes]:
    """(the file name, the bytes) of a copy released with the request's reply: only a case document of
    kind ``released`` of this request (never an original or its conversion: NotFound, as for any
    other hash). Its download is not recorded: the reply's own first download is its delivery."""
    from sqlmodel import col, select

    from caseflow.evidence.store import DocumentStore
    from caseflow.models import CaseDocument
    from caseflow.portal.request_view import released_copies
    from caseflow.release import RELEASED

    assert case.id is not None
    found = session.exec(
        select(CaseDocument.id).where(
            col(CaseDocument.case_id) == case.id,
            col(CaseDocument.kind) == RELEASED,
            col(CaseDocument.sha256) == sha256.lower()[:64],
        )
    ).first()
    if found is None:
        raise NotFound("没有这份公开材料")
    copy = next(x for x in released_copies(session, case.id) if x["sha256"] == sha256.lower()[:64])
    return f"{copy['title']}.pdf", DocumentStore().read(copy["sha256"], session=session)
