"""Delivery (送达) of the letters that start a period for their recipient, and the lapses that follow.

The supplement notice (Art. 30), the consultation letters (Art. 32, 34), the fee notice (Fee
Measures) and the Art. 35 notice asking for reasons each start a period that runs from the day after
their recipient received them (``law.PERIOD_FROM_DELIVERY``). Until the delivery is recorded
(``record_notice_delivery``: method, proof, the day received) that period has not started, so its end
is unknown: ``Case.supplement_due``, ``Consultation.window_end`` and ``FeeAssessment.pay_by`` stay
empty, and nothing lapses.

What happens when such a period has run out (the lapse proposed, confirmed or waited on) is
``caseflow.cases.lapses``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from caseflow import law
from caseflow.cases.engine import Ctx, Effect, handler
from caseflow.dates import zh
from caseflow.errors import FactsError, RuleViolation
from caseflow.models import Case, Consultation, FeeAssessment, Letter, NoticeDelivery
from caseflow.states import record_facts as rf
from caseflow.states.machine import State


def latest_letter(session: Session, case_id: int, doc_type: str) -> Letter | None:
    """The latest letter of ``doc_type`` issued on the request."""
    return session.exec(
        select(Letter)
        .where(col(Letter.case_id) == case_id, col(Letter.doc_type) == doc_type)
        .order_by(col(Letter.id).desc())
    ).first()


def delivery_of(session: Session, letter_id: int) -> NoticeDelivery | None:
    return session.exec(select(NoticeDelivery).where(col(NoticeDelivery.letter_id) == letter_id)).first()


def received_on(session: Session, case_id: int, doc_type: str) -> dt.date | None:
    """The day the recipient received the latest letter of ``doc_type`` on the request (None: that
    letter's delivery is not recorded, or there is no such letter)."""
    letter = latest_letter(session, case_id, doc_type)
    if letter is None or letter.id is None:
        return None
    row = delivery_of(session, letter.id)
    return row.received_on if row else None


def deliveries(session: Session, case_id: int) -> dict[int, NoticeDelivery]:
    """The request's recorded deliveries by letter id."""
    rows = session.exec(select(NoticeDelivery).where(col(NoticeDelivery.case_id) == case_id))
    return {row.letter_id: row for row in rows}


@dataclass(frozen=True)
class PeriodLine:
    """One letter that starts a period, as the case page shows it."""

    doc_type: str
    doc_name: str
    letter_no: str
    issued_on: dt.date
    recipient: str
    period_name: str
    period_days: int | None
    received_on: dt.date | None
    method: str | None
    proof: str | None
    #: The period's last day where caseflow knows it (None before delivery, or when not tracked).
    period_end: dt.date | None

    @property
    def runs_from(self) -> str:
        """What the period runs from, in words (or that the delivery is not recorded)."""
        if self.received_on is None or self.method is None:
            return f"{law.NOT_DELIVERED}（期限自{self.recipient}收到之次日起计算）"
        method = law.DELIVERY_METHOD_NAMES[law.DeliveryMethod(self.method)]
        return f"自{self.recipient}于{zh(self.received_on)}收到（{method}）之次日起计算"


def period_lines(session: Session, case: Case) -> list[PeriodLine]:
    """Every letter on the request that starts a period for its recipient, with its delivery."""
    assert case.id is not None
    letters = session.exec(
        select(Letter)
        .where(col(Letter.case_id) == case.id, col(Letter.doc_type).in_(list(law.PERIOD_FROM_DELIVERY)))
        .order_by(col(Letter.id))
    ).all()
    delivered = deliveries(session, case.id)
    ends = _period_ends(session, case)
    out = []
    for letter in letters:
        entry = law.PERIOD_FROM_DELIVERY[letter.doc_type]
        period = law.period_from_delivery(letter.doc_type)
        row = delivered.get(letter.id or 0)
        doc = law.DOCUMENT_TYPES_BY_CODE.get(letter.doc_type)
        days = case.supplement_days if letter.doc_type == "supplement_notice" else None
        if letter.doc_type == "third_party_decision_notice":  # the period the office set in it
            owner = _consultation_of(session, letter.id or 0)
            days = owner.decision_wait_days if owner else None
        out.append(
            PeriodLine(
                doc_type=letter.doc_type,
                doc_name=doc.name if doc else letter.title,
                letter_no=letter.letter_no,
                issued_on=letter.issued_on,
                recipient=entry.recipient,
                period_name=period.name if period else "",
                period_days=days or (period.days if period else None),
                received_on=row.received_on if row else None,
                method=row.method if row else None,
                proof=row.proof if row else None,
                period_end=ends.get(letter.id or 0) if row else None,
            )
        )
    return out


def _period_ends(session: Session, case: Case) -> dict[int, dt.date]:
    """letter id -> the end of the period its delivery started, for the periods caseflow tracks."""
    assert case.id is not None
    out: dict[int, dt.date] = {}
    supplement = latest_letter(session, case.id, "supplement_notice")
    if supplement is not None and supplement.id is not None and case.supplement_due is not None:
        out[supplement.id] = case.supplement_due
    fee = session.exec(
        select(FeeAssessment)
        .where(col(FeeAssessment.case_id) == case.id)
        .order_by(col(FeeAssessment.id).desc())
    ).first()
    notice = latest_letter(session, case.id, "fee_notice")
    if fee is not None and fee.pay_by is not None and notice is not None and notice.id is not None:
        out[notice.id] = fee.pay_by
    consultations = session.exec(
        select(Consultation).where(col(Consultation.case_id) == case.id).order_by(col(Consultation.id))
    ).all()
    # Each consultation's own letter (several may be open at once), and its Art. 32 decision notice.
    for row in consultations:
        if row.letter_id is not None and row.window_end is not None:
            out[row.letter_id] = row.window_end
        if row.decision_letter_id is not None and row.decision_wait_end is not None:
            out[row.decision_letter_id] = row.decision_wait_end
    return out


def _consultation_of(session: Session, letter_id: int) -> Consultation | None:
    """The consultation a consultation letter or an Art. 32 decision notice belongs to."""
    return session.exec(
        select(Consultation).where(
            (col(Consultation.letter_id) == letter_id) | (col(Consultation.decision_letter_id) == letter_id)
        )
    ).first()


# --- Recording a delivery -----------------------------------------------------------------------


def _basis(doc_type: str) -> law.Basis | None:
    period = law.period_from_delivery(doc_type)
    if period is not None:
        return period.basis
    doc = law.DOCUMENT_TYPES_BY_CODE.get(doc_type)
    return doc.basis if doc else None


@handler("record_notice_delivery")
def record_notice_delivery(ctx: Ctx, facts: rf.RecordNoticeDeliveryFacts) -> Effect:
    case = ctx.case
    assert case.id is not None
    code = facts.document
    doc = law.DOCUMENT_TYPES_BY_CODE.get(code)
    name = doc.name if doc else code
    letters = ctx.session.exec(
        select(Letter)
        .where(col(Letter.case_id) == case.id, col(Letter.doc_type) == code)
        .order_by(col(Letter.id).desc())
    ).all()
    if not letters:
        raise FactsError([("document", f"本申请尚未发出{name}，无从登记送达")])
    delivered = deliveries(ctx.session, case.id)
    pending = [letter for letter in letters if letter.id not in delivered]
    if not pending:
        done = delivered[letters[0].id or 0]
        raise RuleViolation(
            f"{name}（{letters[0].letter_no}）已于{zh(done.received_on)}登记送达，不能重复登记；"
            "如登记有误，请以“补充说明（更正）”记载"
        )
    letter = _pending_letter(ctx, code, name, pending, facts.consultation_id)
    assert letter.id is not None
    if facts.received_on < letter.issued_on:
        raise FactsError(
            [
                (
                    "received_on",
                    f"收到日期{zh(facts.received_on)}早于{name}（{letter.letter_no}）的发文日期"
                    f"{zh(letter.issued_on)}",
                )
            ]
        )
    ctx.session.add(
        NoticeDelivery(
            case_id=case.id,
            letter_id=letter.id,
            doc_type=code,
            method=facts.method.value,
            proof=facts.proof,
            received_on=facts.received_on,
            recorded_at=ctx.now,
            recorded_by=ctx.actor.username,
        )
    )
    out: dict[str, object] = {
        "letter_id": letter.id,
        "letter_no": letter.letter_no,
        "letter_issued_on": letter.issued_on.isoformat(),
        "html_sha256": letter.html_sha256,
        "date_rule": law.DELIVERY_DATE_RULES[facts.method],
    }
    # A consultation letter or decision notice starts its own consultation's period (several may
    # be open at once); any other notice's period is the latest notice's.
    current = letter.id == letters[0].id or code.startswith("consultation_") or code == _DECISION_NOTICE
    period = law.period_from_delivery(code)
    if current and period is not None:
        out.update(_start_period(ctx, code, period, facts.received_on, letter.id))
    basis = _basis(code)
    return Effect(facts=out, basis=(basis.label,) if basis else ())


_DECISION_NOTICE = "third_party_decision_notice"


def _pending_letter(
    ctx: Ctx, code: str, name: str, pending: list[Letter], consultation_id: int | None
) -> Letter:
    """The letter whose delivery is recorded: the latest not yet delivered; a consultation letter or
    decision notice is named by its consultation (``consultation_id``) when several await delivery."""
    if not (code.startswith("consultation_") or code == _DECISION_NOTICE):
        return pending[0]
    owners = {letter.id: _consultation_of(ctx.session, letter.id or 0) for letter in pending}
    if consultation_id is not None:
        for letter in pending:
            owner = owners[letter.id]
            if owner is not None and owner.id == consultation_id:
                return letter
        choices = "、".join(
            f"编号{o.id}（{o.party_name}，{letter.letter_no}）"
            for letter in pending
            if (o := owners[letter.id]) is not None
        )
        raise FactsError(
            [
                (
                    "consultation_id",
                    f"编号{consultation_id}的征求意见没有尚未登记送达的{name}（可选：{choices or '无'}）",
                )
            ]
        )
    if len(pending) > 1:
        choices = "、".join(
            f"编号{o.id}（{o.party_name}，{letter.letter_no}）"
            for letter in pending
            if (o := owners[letter.id]) is not None
        )
        raise FactsError(
            [("consultation_id", f"本申请有{len(pending)}份{name}尚未登记送达（{choices}），请指明是哪一项")]
        )
    return pending[0]


def _start_period(
    ctx: Ctx, code: str, period: law.Period, received: dt.date, letter_id: int
) -> dict[str, object]:
    """The period this delivery starts, where the request still waits on it: its last day."""
    case = ctx.case
    if code == "supplement_notice":
        if case.state != State.SUPPLEMENT_REQUIRED.value:
            return {}
        days = case.supplement_days or period.days
        assert days is not None
        case.supplement_due = ctx.calendar.add_working_days(received, days)
        return {"supplement_due": case.supplement_due.isoformat(), "period_days": days}
    if code.startswith("consultation_"):
        row = _consultation_of(ctx.session, letter_id)
        if row is None or row.opinion_date is not None or row.letter_id != letter_id:
            return {}
        # The party's own period (a letter of the old type consultation_agency went to a co-producer).
        days = law.CONSULTATION_PERIODS[row.party_kind].days
        assert days is not None
        row.window_end = ctx.calendar.add_working_days(received, days)
        ctx.session.add(row)
        return {"consultation_id": row.id, "window_end": row.window_end.isoformat(), "period_days": days}
    if code == _DECISION_NOTICE:
        row = _consultation_of(ctx.session, letter_id)
        if row is None or row.decision_wait_days is None:
            return {}
        row.decision_wait_end = ctx.calendar.add_working_days(received, row.decision_wait_days)
        ctx.session.add(row)
        return {
            "consultation_id": row.id,
            "disclose_after": row.decision_wait_end.isoformat(),
            "period_days": row.decision_wait_days,
        }
    if code == "fee_notice":
        fee = ctx.session.exec(
            select(FeeAssessment).where(
                col(FeeAssessment.case_id) == case.id, col(FeeAssessment.status) == "pending"
            )
        ).first()
        if fee is None or period.days is None:
            return {}
        fee.pay_by = ctx.calendar.add_working_days(received, period.days)
        ctx.session.add(fee)
        return {"pay_by": fee.pay_by.isoformat(), "period_days": period.days}
    return {}  # a period tracked elsewhere (Art. 35 reasons: ``received_on``)
