"""Consultation and fees: the information processing fee (Fee Measures) assessed, paid or lapsed.

The consultation handlers (Art. 32, 34) are in ``caseflow.cases.consultations``.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from caseflow import fees, law
from caseflow.cases import fee_rules, lapses
from caseflow.cases.actions.shared import clock_event, conclude
from caseflow.cases.engine import Ctx, Effect, LetterRequest, handler, not_before
from caseflow.dates import zh
from caseflow.errors import FactsError, RuleViolation
from caseflow.fees import FeeMethod
from caseflow.models import Applicant, Case, FeeAssessment
from caseflow.states import facts as f

FEE_METHOD_NAMES = {FeeMethod.PER_APPLICATION: "按件计收", FeeMethod.PER_PAGE: "按量计收"}
HOW_TO_PAY = "凭本通知书通过政府非税收入缴款渠道缴纳，缴费凭证请交本机关"


# --- Consultation (Art. 32, 34): caseflow.cases.consultations --------------------------------


# --- Fees (Fee Measures) --------------------------------------------------------------------


def _monthly_ordinal(ctx: Ctx) -> int:
    """The place of this request's (first) application among the applicant's applications to this
    agency in its calendar month: an earlier request the agency split into several applications
    (一事一申请, Fee Measures Art. 4) counts as its recorded number of them."""
    case = ctx.case
    applicant = ctx.session.get(Applicant, case.applicant_id)
    assert applicant is not None
    first = case.receipt_date.replace(day=1)
    earlier = ctx.session.exec(
        select(func.coalesce(func.sum(func.coalesce(col(FeeAssessment.items_split), 1)), 0))
        .select_from(Case)
        .join(Applicant, col(Applicant.id) == col(Case.applicant_id))
        .outerjoin(FeeAssessment, col(FeeAssessment.case_id) == col(Case.id))
        .where(
            col(Case.agency_id) == case.agency_id,
            col(Applicant.id_number_hmac) == applicant.id_number_hmac,  # the keyed commitment
            col(Applicant.type) == applicant.type,
            col(Case.receipt_date) >= first,
            (col(Case.receipt_date) < case.receipt_date)
            | ((col(Case.receipt_date) == case.receipt_date) & (col(Case.id) < case.id)),
        )
    ).one()
    return int(earlier) + 1


@handler("assess_fee")
def assess_fee(ctx: Ctx, facts: f.AssessFeeFacts) -> Effect:
    assert facts.notice_date is not None and ctx.case.id is not None
    fee_rules.check_assessment(ctx, facts)  # 2007 text, Fee Measures in force, deadline, per-page form
    if ctx.session.exec(select(FeeAssessment.id).where(col(FeeAssessment.case_id) == ctx.case.id)).first():
        raise RuleViolation(
            f"本申请已经计收过信息处理费，同一申请只计收一次（{law.FEE_METHOD_BASIS.label}）", code="fee_once"
        )
    units = _monthly_ordinal(ctx) if facts.method is fees.FeeMethod.PER_APPLICATION else facts.pages
    assert units is not None
    try:
        quote = fees.quote(
            facts.method,
            units,
            items=facts.items_split,
            reduction_yuan=facts.reduction_yuan,
            reduction_reason=facts.reduction_reason,
        )
    except fees.FeeError as exc:
        field_name, _, message = str(exc).partition(": ")
        raise FactsError([(field_name, message or str(exc))]) from None
    if quote.gross_yuan == 0:
        raise RuleViolation(f"无须收费：{quote.description_zh()}", code="nothing_to_charge")
    assert law.FEE_PAYMENT.days is not None
    pay_by = None  # from the day after the applicant receives the notice: set at its delivery
    ctx.session.add(
        FeeAssessment(
            case_id=ctx.case.id,
            method=facts.method.value,
            units=units,
            items_split=facts.items_split,
            gross_yuan=quote.gross_yuan,
            reduction_yuan=quote.reduction_yuan,
            reduction_reason=quote.reduction_reason,
            amount_yuan=quote.amount_yuan,
            notice_date=facts.notice_date,
            pay_by=pay_by,
        )
    )
    return Effect(
        clock=clock_event("pause_started", facts.notice_date, reason="fee"),
        facts={
            "units": units,
            "gross_yuan": quote.gross_yuan,
            "amount_yuan": quote.amount_yuan,
            "pay_by": None,
            "pay_days": law.FEE_PAYMENT.days,
            "standard": quote.description_zh(),
        },
        basis=(law.FEE_PAYMENT.basis.label,),
        letter=LetterRequest(
            "fee_notice",
            facts.notice_date,
            notice={
                "method": FEE_METHOD_NAMES[facts.method],
                "standard": quote.description_zh(),
                "amount": quote.amount_yuan,
                "pay_days": law.FEE_PAYMENT.days,
                "how_to_pay": HOW_TO_PAY,
            },
        ),
    )


def _pending_fee(ctx: Ctx) -> FeeAssessment:
    row = ctx.session.exec(
        select(FeeAssessment).where(
            col(FeeAssessment.case_id) == ctx.case.id, col(FeeAssessment.status) == "pending"
        )
    ).first()
    if row is None:
        raise RuleViolation("本申请没有待缴的信息处理费", code="no_fee_pending")
    return row


@handler("record_payment")
def record_payment(ctx: Ctx, facts: f.RecordPaymentFacts) -> Effect:
    assert facts.paid_on is not None
    row = _pending_fee(ctx)
    not_before("paid_on", facts.paid_on, row.notice_date, "收费通知之日")
    if row.pay_by is not None and facts.paid_on > row.pay_by:  # unknown before delivery: in time
        raise RuleViolation(
            f"缴费期限为{zh(row.pay_by)}（{law.FEE_PAYMENT.basis.label}），逾期未缴费的视为放弃申请，"
            "此后缴费不能恢复办理",
            code="fee_overdue",
        )
    row.paid_on, row.status = facts.paid_on, "paid"
    ctx.session.add(row)
    lapses.clear_lapse(ctx.case)
    return Effect(
        clock=clock_event("pause_ended", facts.paid_on),
        facts={"amount_yuan": row.amount_yuan},
        basis=(law.FEE_PAYMENT.basis.label,),
    )


@handler("lapse_fee")
def lapse_fee(ctx: Ctx, facts: f.NoFacts) -> Effect:
    row = _pending_fee(ctx)
    # Fee Measures: only once the period, counted from the notice's recorded delivery, has run out.
    received, pay_by = lapses.refuse_early(ctx.session, ctx.case, law.LapseKind.FEE, ctx.today)
    row.status = "lapsed"
    ctx.session.add(row)
    lapses.clear_lapse(ctx.case)
    conclude(ctx, "other.fee_unpaid")
    return Effect(
        facts={
            "pay_by": pay_by.isoformat(),
            "received_on": received.isoformat(),
            "outcome": "other.fee_unpaid",
        },
        basis=(law.FEE_PAYMENT.basis.label,),
        letter=LetterRequest(
            "reply",
            ctx.today,
            outcome="other.fee_unpaid",
            reply={
                "notice_date": zh(row.notice_date),
                "received_on": zh(received),
                "period_end": zh(pay_by),
            },
        ),
    )
