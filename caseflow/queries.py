"""Read-side questions the pages and the API ask: lists, a request's full view, the dashboard.

Every query is scoped to what the actor may see (their agency, or its subtree for supervisors and
auditors); nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from caseflow import identity
from caseflow.board import dashboard as dashboard  # the dashboard's figures live there
from caseflow.calendar import WorkingCalendar, default_calendar
from caseflow.case_list import DUE_SOON_DAYS as DUE_SOON_DAYS  # the lists live there
from caseflow.case_list import CaseFilter as CaseFilter
from caseflow.case_list import Cursor as Cursor
from caseflow.case_list import ListPage as ListPage
from caseflow.case_list import list_cases as list_cases
from caseflow.case_list import list_order as list_order
from caseflow.case_list import list_page as list_page
from caseflow.case_summary import summary
from caseflow.cases import consultations, delivery
from caseflow.cases.actor import Actor
from caseflow.models import Agency, Applicant, Case, EvidenceEvent, Letter, User
from caseflow.states.machine import STATE_NAMES, State
from caseflow.states.roles import AUDITOR, SUPERVISOR, SYSTEM


def agency_choices(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the agencies whose requests the actor may see, in tree order (for the
    lists' agency filter, which shows names)."""
    stmt = select(Agency.code, Agency.name).order_by(col(Agency.path), col(Agency.code))
    if SYSTEM not in actor.roles:
        if actor.roles & {SUPERVISOR, AUDITOR}:
            stmt = stmt.where(col(Agency.path).startswith(actor.agency_path))
        else:
            stmt = stmt.where(col(Agency.id) == actor.agency_id)
    return [(code, name) for code, name in session.exec(stmt)]


def case_detail(
    session: Session,
    case: Case,
    *,
    today: dt.date,
    full_identity: bool,
    calendar: WorkingCalendar | None = None,
) -> dict[str, Any]:
    cal = calendar or default_calendar()
    applicant = session.get(Applicant, case.applicant_id)
    agency = session.get(Agency, case.agency_id)
    assert applicant is not None and agency is not None
    handler = session.get(User, case.handler_id) if case.handler_id else None
    out = summary(case, applicant, agency, today=today, calendar=cal)
    out.update(
        {
            "query_code": case.query_code,
            "arrived_at": case.arrived_at.isoformat(),
            "receipt_proof": case.receipt_proof,
            "document_no_sought": case.document_no_sought,
            "provision_form": case.provision_form,
            "draft": case.draft,
            "extended": case.extended,
            "answered_on": case.answered_on.isoformat() if case.answered_on else None,
            "delivered_on": case.delivered_on.isoformat() if case.delivered_on else None,
            "closed_on": case.closed_on.isoformat() if case.closed_on else None,
            "handler": handler.username if handler else None,
            "handler_name": handler.display_name if handler else None,  # the person, not the account
            "rules": case.rules,
            "ledger": case.ledger,
            "supplement_due": case.supplement_due.isoformat() if case.supplement_due else None,
            "lapse_proposed_on": case.lapse_proposed_on.isoformat() if case.lapse_proposed_on else None,
            "lapse_waiting": case.lapse_waiting,
            "lapse_wait_until": case.lapse_wait_until.isoformat() if case.lapse_wait_until else None,
            # Each letter that starts a period for its recipient: what it runs from, or not delivered.
            "periods": [
                {
                    "doc_type": p.doc_type,
                    "doc_name": p.doc_name,
                    "letter_no": p.letter_no,
                    "issued_on": p.issued_on.isoformat(),
                    "recipient": p.recipient,
                    "period_name": p.period_name,
                    "period_days": p.period_days,
                    "delivered": p.received_on is not None,
                    "received_on": p.received_on.isoformat() if p.received_on else None,
                    "method": p.method,
                    "proof": p.proof,
                    "runs_from": p.runs_from,
                    "period_end": p.period_end.isoformat() if p.period_end else None,
                }
                for p in delivery.period_lines(session, case)
            ],
            # Every consultation (several may be open at once) and any Art. 32 decision notice.
            "consultations": consultations.page_lines(session, case.id or 0),
            "applicant_detail": {
                "name": applicant.name,
                "type": applicant.type,
                "id_type": applicant.id_type,
                # whole only for a recorded view (view_identity) or a full evidence package
                "id_number": identity.reveal(applicant) if full_identity else applicant.id_number_masked,
                "phone": applicant.phone,
                "email": applicant.email,
                "address": applicant.address,
            },
        }
    )
    return out


def events(session: Session, case_id: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(EvidenceEvent).where(col(EvidenceEvent.case_id) == case_id).order_by(col(EvidenceEvent.seq))
    )
    return [
        identity.masked_event(  # events written before the commitment carry the number: masked
            {
                "seq": e.seq,
                "moment": e.moment.isoformat(),
                "actor": e.actor,
                "role": e.role,
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "payload": e.payload,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
        )
        for e in rows
    ]


def letters(session: Session, case_id: int) -> list[dict[str, Any]]:
    rows = session.exec(select(Letter).where(col(Letter.case_id) == case_id).order_by(col(Letter.id)))
    return [
        {
            "id": x.id,
            "doc_type": x.doc_type,
            "title": x.title,
            "letter_no": x.letter_no,
            "outcome": x.outcome,
            "issued_on": x.issued_on.isoformat(),
            "html_sha256": x.html_sha256,
            "pdf_sha256": x.pdf_sha256,
            "pdf_pending": x.pdf_pending,  # rendered after the commit (caseflow.replies.pdf_after)
            "template": x.template,
        }
        for x in rows
    ]


def public_status(session: Session, tracking_no: str, code: str) -> dict[str, Any] | None:
    """What an applicant may see with tracking number and query code: nothing personal."""
    case = session.exec(select(Case).where(col(Case.tracking_no) == tracking_no)).first()
    if case is None or not code or case.query_code != code.strip().upper():
        return None
    return {
        "tracking_no": case.tracking_no,
        "state": case.state,
        "state_name": STATE_NAMES[State(case.state)],
        "receipt_date": case.receipt_date.isoformat(),
        "reply_due": case.reply_due.isoformat() if case.reply_due else None,
        "provisional": case.provisional,
        "paused": case.paused,
        "answered_on": case.answered_on.isoformat() if case.answered_on else None,
    }
