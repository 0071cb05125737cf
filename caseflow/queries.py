"""Read-side questions the pages and the API ask: lists, a request's full view, the dashboard.

Every query is scoped to what the actor may see (their agency, or its subtree for supervisors and
auditors); nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from caseflow import identity, law
from caseflow.calendar import WorkingCalendar, default_calendar
from caseflow.cases import consultations, delivery
from caseflow.cases.engine import Actor
from caseflow.models import Agency, Applicant, Case, EvidenceEvent, Letter, User
from caseflow.states.machine import AUDITOR, OPEN_STATES, STATE_NAMES, SUPERVISOR, SYSTEM, State


def visible_agencies(session: Session, actor: Actor) -> ColumnElement[bool]:
    """A filter on Case for the actor's agencies."""
    if SYSTEM in actor.roles:
        return col(Case.id).is_not(None)
    if actor.roles & {SUPERVISOR, AUDITOR}:
        ids = select(Agency.id).where(col(Agency.path).startswith(actor.agency_path))
        return col(Case.agency_id).in_(ids)
    return col(Case.agency_id) == actor.agency_id


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


@dataclass(frozen=True)
class CaseFilter:
    state: str | None = None
    overdue: bool | None = None
    due_within: int | None = None  # working days
    agency: str | None = None
    q: str | None = None
    outcome: str | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    handler: str | None = None
    #: disclosure or correction (Art. 41)
    kind: str | None = None
    #: only requests still being handled
    open_only: bool | None = None
    #: only requests marked 重大复杂疑难
    complex_only: bool | None = None
    #: any of these states (the dashboard's cards that count several states)
    states: tuple[str, ...] | None = None
    #: only open requests whose lapse the sweep proposed (补正或缴费期限已过，待确认)
    lapse_proposed_only: bool | None = None
    #: only open requests whose clock is stopped (补正、征求意见、缴费)
    paused_only: bool | None = None


#: "Due soon" on the lists and the dashboard: the reply deadline within this many working days.
DUE_SOON_DAYS = 3


def list_order() -> list[ColumnElement[Any]]:
    """The order of every list: open work with a running deadline first, by the deadline (which
    orders as the working days left do: most overdue first), then open requests whose clock is
    stopped (oldest first), then concluded requests, most recently concluded first. All in SQL, so
    the database pages."""
    is_open = col(Case.state).in_([s.value for s in OPEN_STATES])
    running = and_(is_open, col(Case.reply_due).is_not(None))
    stopped = and_(is_open, col(Case.reply_due).is_(None))
    concluded_on = func.coalesce(col(Case.answered_on), col(Case.closed_on), col(Case.receipt_date))
    return [
        case((running, 0), (is_open, 1), else_=2),
        case((running, col(Case.reply_due))),
        case((stopped, col(Case.receipt_date))),
        case((~is_open, concluded_on)).desc(),
        case((~is_open, -col(Case.id)), else_=col(Case.id)),
    ]


def list_cases(
    session: Session,
    actor: Actor,
    flt: CaseFilter,
    *,
    today: dt.date,
    page: int = 1,
    size: int = 50,
    calendar: WorkingCalendar | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """(total, rows of one page) in the order of ``list_order``: open work by working days left
    (most overdue first), then stopped clocks, then concluded requests (most recent first)."""
    cal = calendar or default_calendar()
    where: list[ColumnElement[bool]] = [visible_agencies(session, actor)]
    open_states = [s.value for s in OPEN_STATES]
    if flt.state:
        where.append(col(Case.state) == flt.state)
    if flt.open_only:
        where.append(col(Case.state).in_(open_states))
    if flt.complex_only:
        where.append(col(Case.complex).is_(True))
    if flt.states:
        where.append(col(Case.state).in_(list(flt.states)))
    if flt.lapse_proposed_only:
        where += [col(Case.state).in_(open_states), col(Case.lapse_proposed).is_not(None)]
    if flt.paused_only:
        where += [col(Case.state).in_(open_states), col(Case.paused).is_(True)]
    if flt.kind:
        where.append(col(Case.kind) == flt.kind)
    if flt.overdue:
        where += [col(Case.state).in_(open_states), col(Case.reply_due) < today]
    if flt.due_within is not None:
        limit = cal.add_working_days(today, flt.due_within) if flt.due_within > 0 else today
        where += [
            col(Case.state).in_(open_states),
            col(Case.reply_due) >= today,
            col(Case.reply_due) <= limit,
        ]
    if flt.agency:
        where.append(col(Case.agency_id).in_(select(Agency.id).where(col(Agency.code) == flt.agency)))
    if flt.outcome:
        where.append(col(Case.outcome) == flt.outcome)
    if flt.received_from:
        where.append(col(Case.receipt_date) >= flt.received_from)
    if flt.received_to:
        where.append(col(Case.receipt_date) <= flt.received_to)
    if flt.handler:
        where.append(col(Case.handler_id).in_(select(User.id).where(col(User.username) == flt.handler)))
    if flt.q:
        like = f"%{flt.q}%"
        where.append(
            or_(
                col(Case.tracking_no).like(like),
                col(Case.description).like(like),
                col(Case.applicant_id).in_(select(Applicant.id).where(col(Applicant.name).like(like))),
            )
        )
    condition = and_(*where)
    total = session.exec(select(func.count()).select_from(Case).where(condition)).one()
    # The database sorts and pages the ids alone (narrow rows to sort), then the page's rows are read.
    page_ids = list(
        session.exec(
            select(Case.id).where(condition).order_by(*list_order()).offset((page - 1) * size).limit(size)
        )
    )
    stmt = (
        select(Case, Applicant, Agency)
        .join(Applicant, col(Applicant.id) == col(Case.applicant_id))
        .join(Agency, col(Agency.id) == col(Case.agency_id))
        .where(col(Case.id).in_(page_ids))
    )
    position = {case_id: n for n, case_id in enumerate(page_ids)}
    found = sorted(session.exec(stmt), key=lambda row: position[row[0].id])
    rows = [summary(case, applicant, agency, today=today, calendar=cal) for case, applicant, agency in found]
    return int(total), rows


def summary(
    case: Case, applicant: Applicant, agency: Agency, *, today: dt.date, calendar: WorkingCalendar
) -> dict[str, Any]:
    """A request as a list shows it (identity masked)."""
    left = None
    if case.reply_due is not None and case.state in {s.value for s in OPEN_STATES}:
        left = calendar.working_days_between(today, case.reply_due)
        if today > case.reply_due:
            left = min(left, -1)
    return {
        "id": case.id,
        "tracking_no": case.tracking_no,
        "state": case.state,
        "state_name": STATE_NAMES[State(case.state)],
        "agency": agency.code,
        "agency_name": agency.name,
        "applicant": applicant.name,
        "applicant_type": applicant.type,
        "applicant_id_number": applicant.id_number_masked,
        "description": case.description,
        # A disclosure request or a correction request (Art. 41).
        "kind": case.kind,
        "kind_name": law.REQUEST_KIND_NAMES[law.RequestKind(case.kind)],
        "channel": case.channel,
        "receipt_date": case.receipt_date.isoformat(),
        "reply_due": case.reply_due.isoformat() if case.reply_due else None,
        "supplement_notice_due": case.supplement_notice_due.isoformat()
        if case.supplement_notice_due
        else None,
        "paused": case.paused,
        "pause_reason": case.pause_reason,
        "provisional": case.provisional,
        # still being handled (the lists show its working days left, or that its clock is stopped)
        "open": case.state in {s.value for s in OPEN_STATES},
        "working_days_left": left,
        "outcome": case.outcome,
        "outcome_name": law.OUTCOMES_BY_CODE[case.outcome].name if case.outcome else None,
        "complex": case.complex,
        "version": case.version,
        "handler_id": case.handler_id,
        # A lapse the sweep proposed and the clerk has to confirm or answer (caseflow.cases.delivery).
        "lapse_proposed": case.lapse_proposed if case.state in {s.value for s in OPEN_STATES} else None,
        "lapse_proposed_name": law.LAPSE_PROPOSED_NAMES[law.LapseKind(case.lapse_proposed)]
        if case.lapse_proposed and case.state in {s.value for s in OPEN_STATES}
        else None,
    }


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
            "template": x.template,
        }
        for x in rows
    ]


def dashboard(
    session: Session, actor: Actor, *, today: dt.date, calendar: WorkingCalendar | None = None
) -> dict[str, Any]:
    """Counts for supervisors: overdue, due soon (3 working days), waiting, by state, handler and
    agency, and open requests by working days left. Working days grow with the date, so each
    bucket is a date range and the whole count is one pass of SQL."""
    cal = calendar or default_calendar()
    scope = visible_agencies(session, actor)
    is_open = col(Case.state).in_([s.value for s in OPEN_STATES])
    due = col(Case.reply_due)
    limits = {n: cal.add_working_days(today, n) for n in (3, 10, 20)}

    def tally(*conditions: ColumnElement[bool]) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0)) if conditions else func.count()

    open_due = (due.is_not(None),)
    counts = session.execute(
        sa_select(
            tally(due < today),
            tally(due >= today, due <= limits[3]),
            tally(col(Case.state).in_([State.SUPPLEMENT_REQUIRED.value, State.FEE_PENDING.value])),
            tally(col(Case.state) == State.CONSULTATION.value),
            tally(col(Case.state) == State.LEGAL_REVIEW.value),
            tally(col(Case.lapse_proposed).is_not(None)),
            tally(),
            tally(*open_due, due >= today, due <= limits[3]),
            tally(*open_due, due > limits[3], due <= limits[10]),
            tally(*open_due, due > limits[10], due <= limits[20]),
            tally(*open_due, due > limits[20]),
            tally(col(Case.paused).is_(True)),
        ).where(scope, is_open)
    ).one()
    (
        overdue,
        due_soon,
        waiting_applicant,
        waiting_third_party,
        awaiting_review,
        lapse_proposed,
        open_count,
        *buckets,
        paused,
    ) = (int(n or 0) for n in counts)
    # Open requests only: the history by outcome is the statistics' business (reports).
    by_state = dict(
        session.exec(select(Case.state, func.count()).where(scope, is_open).group_by(col(Case.state))).all()
    )
    by_handler = {
        name or "—": n
        for name, n in session.exec(
            select(User.username, func.count())
            .select_from(Case)
            .join(User, col(User.id) == col(Case.handler_id), isouter=True)
            .where(scope, is_open)
            .group_by(col(User.username))
        ).all()
    }
    # The same, by the names people know (the pages show these; the keys above stay for the API).
    handlers = [
        {"username": username, "name": name or username or "未分配", "count": int(n)}
        for username, name, n in session.exec(
            select(User.username, User.display_name, func.count())
            .select_from(Case)
            .join(User, col(User.id) == col(Case.handler_id), isouter=True)
            .where(scope, is_open)
            .group_by(col(User.username), col(User.display_name))
            .order_by(func.count().desc(), col(User.display_name))
        ).all()
    ]
    agencies = [
        {"code": code, "name": name, "count": int(n)}
        for code, name, n in session.exec(
            select(Agency.code, Agency.name, func.count())
            .select_from(Case)
            .join(Agency, col(Agency.id) == col(Case.agency_id))
            .where(scope, is_open)
            .group_by(col(Agency.code), col(Agency.name))
            .order_by(func.count().desc(), col(Agency.name))
        ).all()
    ]
    by_agency = dict(
        session.exec(
            select(Agency.code, func.count())
            .select_from(Case)
            .join(Agency, col(Agency.id) == col(Case.agency_id))
            .where(scope, is_open)
            .group_by(col(Agency.code))
        ).all()
    )
    return {
        "as_of": today.isoformat(),
        "overdue": overdue,
        "due_soon": due_soon,
        "waiting_applicant": waiting_applicant,
        "waiting_third_party": waiting_third_party,
        "awaiting_review": awaiting_review,
        # "补正期限已过，待确认" / "缴费期限已过，待确认": the clerk confirms or keeps waiting
        "lapse_proposed": lapse_proposed,
        "open": open_count,
        "by_state": by_state,
        "by_handler": by_handler,
        "by_agency": by_agency,
        "handlers": handlers,
        "agencies": agencies,
        # open requests whose clock is stopped (no running deadline: not in by_working_days_left)
        "paused": paused,
        "by_working_days_left": dict(
            zip(("overdue", "0-3", "4-10", "11-20", ">20"), [overdue, *buckets], strict=True)
        ),
    }


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
