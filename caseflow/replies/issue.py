"""Issuing a letter inside the transition that needs it: number, render, store, record.

The number is taken from the agency's gap-free series in the same transaction, so a letter that
fails to issue (incomplete settings, a rendering error, any refusal) rolls back and uses no number.
The HTML is stored content-addressed; the evidence event records its hash, the template and the
template's own hash. The PDF/A is rendered after the commit from exactly that HTML and recorded by a
``letter_pdf`` event (``caseflow.replies.pdf_after``). An issued letter is never rendered again:
``issued_files`` returns the stored bytes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, true
from sqlalchemy.orm import object_session
from sqlmodel import Session, col, select

from caseflow import law
from caseflow.cases import correction
from caseflow.cases.art35 import letter_context as art35_context
from caseflow.cases.engine import LetterRequest
from caseflow.cases.outcome_rules import add_to_letter
from caseflow.cases.provision import letter_context as provision_context
from caseflow.cases.release_rules import preview_rows
from caseflow.dates import now as current_moment
from caseflow.errors import FactsError, RuleViolation
from caseflow.evidence.store import DocumentStore
from caseflow.models import Agency, Applicant, Case, CaseDocument, Letter
from caseflow.numbering import next_number
from caseflow.replies.context import clause, letter_context, letter_number, remedies, require_settings
from caseflow.replies.pdf_after import mark_issued
from caseflow.replies.remedy_bodies import review_body
from caseflow.replies.render import render_html, template_digest
from caseflow.settings import get_settings

#: The write path's statements, built once (Core inserts: no ORM object, no get-then-flush).
_LETTER: Table = Letter.__table__  # type: ignore[attr-defined]
_LETTER_INSERT = _LETTER.insert().returning(_LETTER.c.id)
_CASE_DOCUMENT_INSERT = CaseDocument.__table__.insert()  # type: ignore[attr-defined]
_PARTS = (
    select(Agency, Applicant)
    .join(Applicant, true())  # two rows by their keys: one read, a join on purpose
    .where(col(Agency.id) == bindparam("agency_id"), col(Applicant.id) == bindparam("applicant_id"))
)

#: The free-text parts of a drafted reply that its letter shows (the clerk may edit only these).
REPLY_FIELDS = (
    "reasons",
    "where_to_obtain",
    "responsible_agency",
    "provided",
    "responsible_contact",
    "search_description",
    "query_law",
    "query_where",
    # Art. 40, 36(2): the form of provision used, its reason, the place and time (caseflow.cases.provision).
    "provided_form",
    "provided_form_reason",
    "provision_place",
    "provision_time",
)


@dataclass(frozen=True)
class Issued:
    """What the evidence event records of an issued letter."""

    letter_no: str
    documents: tuple[tuple[str, str], ...]
    facts: dict[str, Any]
    letter_id: int | None = None


def _title(doc: law.DocumentType, outcome: law.Outcome | None, case: Case | None = None) -> str:
    if case is not None and correction.is_correction(case):  # Art. 41: the correction request's own titles
        if outcome is not None and outcome.group == "other":
            return "政府信息更正申请终止处理告知书"
        if doc.code == "receipt":
            return law.CORRECTION_RECEIPT_TITLE
        if doc.code == "reply":
            return law.CORRECTION_REPLY_TITLE
    if outcome is not None and outcome.group == "other":
        return "政府信息公开申请终止处理告知书"
    return doc.name


def _parts(session: Session, case: Case) -> tuple[Agency, Applicant]:
    """The agency and the applicant a letter names, in one read."""
    row = session.execute(_PARTS, {"agency_id": case.agency_id, "applicant_id": case.applicant_id}).one()
    return row[0], row[1]


def compose(
    session: Session,
    case: Case,
    doc_code: str,
    *,
    issue_date: dt.date,
    number: str | None,
    notice: dict[str, Any] | None = None,
    outcome_code: str | None = None,
    reply: dict[str, Any] | None = None,
) -> tuple[str, str, law.DocumentType, law.Outcome | None]:
    """(template name, HTML, document type, outcome) for a letter, numbered or as a preview."""
    template, context, doc, outcome = _prepare(
        session,
        case,
        doc_code,
        _parts(session, case),
        issue_date=issue_date,
        number=number,
        notice=notice,
        outcome_code=outcome_code,
        reply=reply,
    )
    return template, render_html(template, context), doc, outcome


def _prepare(
    session: Session,
    case: Case,
    doc_code: str,
    parts: tuple[Agency, Applicant],
    *,
    issue_date: dt.date,
    number: str | None,
    notice: dict[str, Any] | None = None,
    outcome_code: str | None = None,
    reply: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any], law.DocumentType, law.Outcome | None]:
    """(template name, context, document type, outcome): every read a letter needs, nothing rendered
    (``number`` "" stands for the number taken afterwards: the settings are checked as for one)."""
    doc = law.DOCUMENT_TYPES_BY_CODE[doc_code]
    outcome = law.outcome(outcome_code) if outcome_code else None
    agency, applicant = parts
    carries_remedies = outcome.remedies if outcome else doc.remedies
    review_first = bool(outcome) and law.review_required_first(outcome_code or "", issue_date)
    body = review_body(session, agency).name  # the setting, or derived from the agency tree (Art. 24)
    if number is not None:
        require_settings(agency, needs_remedies=carries_remedies, review_first=review_first, review_body=body)
    template = outcome.template if outcome else doc.code
    if outcome_code in law.RELEASE_OUTCOMES and (reply or {}).get("released"):
        template = f"{template}_released"  # the same letter with the table of the released files
    if doc_code == "receipt" and correction.is_correction(case):
        template = "correction_receipt"
    context = letter_context(
        case=case,
        agency=agency,
        applicant=applicant,
        doc=doc,
        title=_title(doc, outcome, case),
        issue_date=issue_date,
        number=number,
        notice=notice or {},
        outcome=outcome,
        reply={**dict.fromkeys(REPLY_FIELDS, ""), **(reply or {})},  # a part not drafted reads empty
        remedies_clause=remedies(
            agency,
            review_first=review_first,
            subject="本答复" if outcome else f"本{doc.name}",
            review_body=body,
        )
        if carries_remedies
        else None,
        rules=law.rules_for(case.receipt_date, case.rules),
    )
    if outcome_code in law.PROVISION_OUTCOMES:  # Art. 40, 36(2): the form and how it is provided
        context["provision"] = provision_context(case, applicant, clause(reply or {}), context["you"])
    if doc_code == "art35_notice" or outcome_code == "rejected.excessive":
        context["art35"] = clause(art35_context(session, case))  # the reasons step these letters cite
    context["correction"] = correction.letter_context(case)  # Art. 41: None for a disclosure request
    if outcome is not None:
        add_to_letter(context, session, case, outcome)  # Art. 30, 32, 36(6), 37
    return template, context, doc, outcome


def issue(
    session: Session,
    case: Case,
    doc_code: str,
    *,
    issue_date: dt.date,
    moment: dt.datetime,
    notice: dict[str, Any] | None = None,
    outcome_code: str | None = None,
    reply: dict[str, Any] | None = None,
    store: DocumentStore | None = None,
) -> Issued:
    """Number, render and store a letter in the caller's transaction (the caller records the event)."""
    assert case.id is not None
    doc = law.DOCUMENT_TYPES_BY_CODE[doc_code]
    parts = _parts(session, case)
    agency = parts[0]
    # Every read the letter needs first (the settings checked: incomplete ones refuse before a number
    # is taken), then the number: on PostgreSQL the series' counter row stays locked from here to the
    # commit, so it is taken last. A later refusal rolls it back to the series: no number is lost.
    template, context, doc, outcome = _prepare(
        session,
        case,
        doc_code,
        parts,
        issue_date=issue_date,
        number="",
        notice=notice,
        outcome_code=outcome_code,
        reply=reply,
    )
    number = next_number(session, "letter", f"{agency.code}:{issue_date.year}:{doc.series}")
    letter_no = letter_number(agency, doc, issue_date.year, number)
    context["letter"] = {**context["letter"], "number": letter_no, "draft": False}
    html = render_html(template, context)
    docs = store or DocumentStore()
    html_bytes = html.encode("utf-8")
    html_sha = docs.put(
        session, html_bytes, media_type="text/html; charset=utf-8", filename=f"{letter_no}.html"
    )
    # The PDF/A is rendered after the commit from exactly these HTML bytes and recorded by its own
    # ``letter_pdf`` event (caseflow.replies.pdf_after): WeasyPrint runs while nothing is locked.
    pdf_pending = get_settings().letter_pdf
    if pdf_pending:
        mark_issued(session)
    template_sha256 = template_digest(f"{template}.html")
    seq = case.event_count + 1
    conn = session.connection()  # Core statements on the transaction's connection
    letter_id = conn.execute(
        _LETTER_INSERT,
        {
            "case_id": case.id,
            "agency_id": agency.id or 0,
            "doc_type": doc.code,
            "outcome": outcome.code if outcome else None,
            "title": _title(doc, outcome, case),
            "series": doc.series,
            "year": issue_date.year,
            "number": number,
            "letter_no": letter_no,
            "template": template,
            "template_sha256": template_sha256,
            "html_sha256": html_sha,
            "pdf_sha256": None,
            "pdf_pending": pdf_pending,
            "issued_on": issue_date,
            "issued_at": moment,
            "event_seq": seq,
        },
    ).scalar_one()
    documents = [(f"letter.html:{doc.code}", html_sha)]
    conn.execute(
        _CASE_DOCUMENT_INSERT,
        {
            "case_id": case.id,
            "sha256": html_sha,
            "kind": f"letter.html:{doc.code}",
            "event_seq": seq,
            "created_at": current_moment(),  # as the row's default had it: when it is written
        },
    )
    facts = {
        "letter": {
            "doc_type": doc.code,
            "letter_no": letter_no,
            "template": template,
            "template_sha256": template_sha256,
            "html_sha256": html_sha,
            "pdf_sha256": None,  # the PDF's own event (letter_pdf) binds its hash to this HTML
        }
    }
    return Issued(letter_no, tuple(documents), facts, int(letter_id))


def issue_letter(session: Session, case: Case, request: LetterRequest, moment: dt.datetime) -> Issued:
    """Issue the letter an action produces (numbered, rendered and stored in this transaction): the
    letter step the action table gives ``engine.perform``."""
    return issue(
        session,
        case,
        request.doc_type,
        issue_date=request.issue_date,
        moment=moment,
        notice=request.notice,
        outcome_code=request.outcome,
        reply=request.reply,
    )


def issued_letters(session: Session, case_id: int) -> list[Letter]:
    return list(session.exec(select(Letter).where(col(Letter.case_id) == case_id).order_by(col(Letter.id))))


def issued_files(letter: Letter, store: DocumentStore | None = None) -> dict[str, bytes]:
    """The letter's files exactly as issued (verified against their recorded hashes)."""
    docs = store or DocumentStore()
    session = object_session(letter)  # the letter's own session where it has one (else the engine's)
    files = {"html": docs.read(letter.html_sha256, session)}
    if letter.pdf_sha256:
        files["pdf"] = docs.read(letter.pdf_sha256, session)
    return files


def preview(
    session: Session,
    case: Case,
    doc_code: str = "reply",
    *,
    today: dt.date,
    overrides: dict[str, Any] | None = None,
) -> str:
    """The draft letter as HTML, unnumbered and marked 预览稿: for a reply, from the drafted reply
    with the clerk's edits to its free-text parts (``overrides``) applied. Nothing is stored."""
    outcome_code = None
    reply: dict[str, Any] = {}
    if doc_code == "reply":
        draft = case.draft or {}
        if "outcome" not in draft:
            raise RuleViolation("本申请尚未拟定答复", code="no_draft")
        outcome_code = draft["outcome"]
        reply = {key: draft.get(key, "") for key in REPLY_FIELDS}
        unknown = set(overrides or {}) - set(REPLY_FIELDS)
        if unknown:
            raise FactsError(
                [
                    (key, f"不是答复中可编辑的文字部分（可编辑：{'、'.join(REPLY_FIELDS)}）")
                    for key in sorted(unknown)
                ]
            )
        reply.update(overrides or {})
        reply.update(preview_rows(session, case))  # the records as they stand (Art. 37)
    elif overrides:
        doc = law.DOCUMENT_TYPES_BY_CODE.get(doc_code)
        doc_name = doc.name if doc else doc_code
        raise FactsError([("overrides", f"只有答复书的文字部分可以编辑，{doc_name}不能编辑")])
    _template, html, _doc, _outcome = compose(
        session, case, doc_code, issue_date=today, number=None, outcome_code=outcome_code, reply=reply
    )
    return html
