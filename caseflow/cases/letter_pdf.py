"""The ``letter_pdf`` action: an issued letter's PDF/A recorded by the system after the letter's commit.

The letter of record is its HTML (hash in the issuing event). Its PDF/A is rendered afterwards from
exactly those stored bytes (``caseflow.replies.pdf_after``, outside any transaction); this handler
then records it in one short transition: the ``document`` and ``case_document`` rows, the letter row's
``pdf_sha256``, and an event whose facts bind the PDF's hash to the HTML's hash and the letter number.
A letter holds one PDF: a second render (another process was faster) is refused and records nothing.
"""

from __future__ import annotations

import hashlib
import threading

from sqlmodel import col, select

from caseflow.cases.engine import Ctx, Effect, handler
from caseflow.errors import NotFound, RuleViolation
from caseflow.evidence.store import DocumentStore
from caseflow.models import CaseDocument, Letter
from caseflow.states import record_facts as rf

#: The code of the refusal when the letter already has its PDF (the renderer records nothing then).
PDF_EXISTS = "pdf_exists"

_handoff = threading.local()


def hand_over(data: bytes | None) -> None:
    """The rendered bytes for the ``letter_pdf`` transition about to run on this thread (or None)."""
    _handoff.data = data


def _rendered(sha256: str) -> bytes:
    data: bytes | None = getattr(_handoff, "data", None)
    if data is None or hashlib.sha256(data).hexdigest() != sha256:
        raise RuleViolation("PDF文本只能由系统从文书的HTML文本生成后登记", code="pdf_not_rendered")
    return data


@handler("letter_pdf")
def letter_pdf(ctx: Ctx, facts: rf.LetterPdfFacts) -> Effect:
    assert ctx.case.id is not None
    letter = ctx.session.exec(
        select(Letter).where(col(Letter.case_id) == ctx.case.id, col(Letter.letter_no) == facts.letter_no)
    ).one_or_none()
    if letter is None:
        raise NotFound(f"本申请没有文号为 {facts.letter_no} 的文书")
    if letter.pdf_sha256 is not None:
        raise RuleViolation(f"文书 {letter.letter_no} 的PDF文本已经生成，不再重复登记", code=PDF_EXISTS)
    data = _rendered(facts.pdf_sha256)
    sha = DocumentStore().put(
        ctx.session, data, media_type="application/pdf", filename=f"{letter.letter_no}.pdf"
    )
    kind = f"letter.pdf:{letter.doc_type}"
    seq = ctx.case.event_count + 1  # the event this transition appends
    ctx.session.add(CaseDocument(case_id=ctx.case.id, sha256=sha, kind=kind, event_seq=seq))
    letter.pdf_sha256, letter.pdf_pending = sha, False
    ctx.session.add(letter)
    return Effect(
        facts={
            "doc_type": letter.doc_type,
            "html_sha256": letter.html_sha256,
            "issued_seq": letter.event_seq,
        },
        documents=((kind, sha),),
    )
