"""One function per action: apply its facts to the request (inside ``engine.perform``'s transaction).

Each returns an ``Effect``: the clock event it adds to the ledger (if any), the facts it derived
(dates computed, numbers assigned) and the legal basis to record in the evidence.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import col, select

from caseflow import fees, law
from caseflow.cases import correction, fee_rules, four_eyes, outcome_rules, provision, release_rules
from caseflow.cases.engine import Ctx, Effect, LetterRequest, handler, not_before
from caseflow.dates import zh
from caseflow.errors import FactsError, RuleViolation
from caseflow.fees import FeeMethod
from caseflow.models import Applicant, Case, FeeAssessment
from caseflow.replies.context import you
from caseflow.replies.issue import REPLY_FIELDS
from caseflow.settings import get_settings
from caseflow.states import facts as f

FEE_METHOD_NAMES = {FeeMethod.PER_APPLICATION: "按件计收", FeeMethod.PER_PAGE: "按量计收"}
HOW_TO_PAY = "凭本通知书通过政府非税收入缴款渠道缴纳，缴费凭证请交本机关"


def _clock(kind: str, date: dt.date, **extra: object) -> dict[str, object]:
    return {"type": kind, "date": date.isoformat(), **{k: v for k, v in extra.items() if v is not None}}


# --- Supplement (Art. 30) -------------------------------------------------------------------


@handler("request_supplement")
def request_supplement(ctx: Ctx, facts: f.RequestSupplementFacts) -> Effect:
    assert facts.notice_date is not None
    period = facts.period_days or get_settings().supplement_period_days
    # The applicant's period runs from the day after they receive the notice: its end is known once
    # the delivery is recorded (caseflow.cases.delivery).
    ctx.case.supplement_due = None
    ctx.case.supplement_days = period
    _delivery.clear_lapse(ctx.case)
    return Effect(
        clock=_clock("supplement_requested", facts.notice_date),
        facts={"period_days": period, "supplement_days": period, "supplement_due": None},
        basis=(law.SUPPLEMENT_NOTICE.basis.label,),
        letter=LetterRequest(
            "supplement_notice",
            facts.notice_date,
            notice={"to_supplement": facts.items, "period_days": period},
        ),
    )


@handler("receive_supplement")
def receive_supplement(ctx: Ctx, facts: f.ReceiveSupplementFacts) -> Effect:
    assert facts.received_on is not None
    ctx.case.supplement_due = None
    _delivery.clear_lapse(ctx.case)
    return Effect(
        clock=_clock("supplement_received", facts.received_on), basis=(law.SUPPLEMENT_NOTICE.basis.label,)
    )


@handler("lapse_supplement")
def lapse_supplement(ctx: Ctx, facts: f.NoFacts) -> Effect:
    # Art. 30: only once the period, counted from the notice's recorded delivery, has run out.
    received, due = _delivery.refuse_early(ctx.session, ctx.case, law.LapseKind.SUPPLEMENT, ctx.today)
    _delivery.clear_lapse(ctx.case)
    _conclude(ctx, "other.no_supplement")
    asked = _ledger_date(ctx, "supplement_requested")
    return Effect(
        facts={
            "supplement_due": due.isoformat(),
            "received_on": received.isoformat(),
            "outcome": "other.no_supplement",
        },
        basis=(law.APPLICANT_SUPPLEMENT.basis.label,),
        letter=LetterRequest(
            "reply",
            ctx.today,
            outcome="other.no_supplement",
            reply={"notice_date": zh(asked), "received_on": zh(received), "period_end": zh(due)},
        ),
    )


def _ledger_date(ctx: Ctx, kind: str) -> dt.date:
    """The date of the latest clock event of this kind on the request's ledger."""
    return dt.date.fromisoformat(next(e["date"] for e in reversed(ctx.case.ledger) if e["type"] == kind))


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
        clock=_clock("pause_started", facts.notice_date, reason="fee"),
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
    _delivery.clear_lapse(ctx.case)
    return Effect(
        clock=_clock("pause_ended", facts.paid_on),
        facts={"amount_yuan": row.amount_yuan},
        basis=(law.FEE_PAYMENT.basis.label,),
    )


@handler("lapse_fee")
def lapse_fee(ctx: Ctx, facts: f.NoFacts) -> Effect:
    row = _pending_fee(ctx)
    # Fee Measures: only once the period, counted from the notice's recorded delivery, has run out.
    received, pay_by = _delivery.refuse_early(ctx.session, ctx.case, law.LapseKind.FEE, ctx.today)
    row.status = "lapsed"
    ctx.session.add(row)
    _delivery.clear_lapse(ctx.case)
    _conclude(ctx, "other.fee_unpaid")
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


# --- Extension and Art. 35 ------------------------------------------------------------------


@handler("extend")
def extend(ctx: Ctx, facts: f.ExtendFacts) -> Effect:
    assert facts.decided_on is not None
    rules = law.rules_for(ctx.case.receipt_date)
    days = facts.days or rules.extension_max_days
    ctx.case.extended = True
    return Effect(
        clock=_clock("extended", facts.decided_on, days=days),
        facts={"days": days},
        basis=(rules.extension_basis.label,),
        letter=LetterRequest(
            "extension_notice", facts.decided_on, notice={"days": days, "reason": facts.reason}
        ),
    )


@handler("set_delayed_date")
def set_delayed_date(ctx: Ctx, facts: f.SetDelayedDateFacts) -> Effect:
    assert facts.decided_on is not None
    _art35.check_delayed_date(ctx, facts)  # after the reasons step, by the deadline, later than it
    return Effect(
        clock=_clock("deadline_set", facts.decided_on, due=facts.due.isoformat()),
        basis=(law.ART35_DELAY.basis.label,),
        letter=LetterRequest(
            "art35_notice", facts.decided_on, notice={"due": zh(facts.due), "reason": facts.reason}
        ),
    )


# --- The reply ------------------------------------------------------------------------------


@handler("draft_reply")
def draft_reply(ctx: Ctx, facts: f.DraftReplyFacts) -> Effect:
    outcome = law.outcome(facts.outcome)
    correction.check_outcome(ctx.case, outcome, facts)  # Art. 41: correction outcomes for corrections only
    fee_rules.check_reply_outcome(ctx, outcome.code)  # after a per-page fee: an outcome that supplies
    if outcome.code == "rejected.excessive":  # Art. 35: only after the applicant was asked for reasons
        _art35.completed(ctx.session, ctx.case, "以申请数量、频次明显超过合理范围为由不予处理")
    checked = outcome_rules.check_draft(ctx, facts)  # Art. 30, 32, 36(6), 37: the steps and grounds first
    released = release_rules.check_draft(ctx, outcome.code, facts.withheld_grounds)  # Art. 37: the boxes
    drafted = facts.model_dump(mode="json")
    applicant = ctx.session.get(Applicant, ctx.case.applicant_id)
    assert applicant is not None
    drafted.update(provision.resolve(ctx.case, applicant, drafted))  # Art. 40: the form used, its reason
    ctx.case.draft = {
        **drafted,
        "drafted_by": ctx.actor.username,
        "drafted_at": ctx.now.isoformat(),
        "needs_review": outcome.needs_review,
    }
    return Effect(
        facts={"needs_review": outcome.needs_review, **checked.facts, **released},
        basis=tuple(b.label for b in checked.bases),
    )


@handler("approve_reply")
def approve_reply(ctx: Ctx, facts: f.ReviewCommentFacts) -> Effect:
    assert ctx.case.draft is not None
    four_eyes.check_approver(ctx.session, ctx.case, ctx.actor.username)
    draft, released = release_rules.bind(ctx, ctx.case.draft)  # the approval covers the released copies
    ctx.case.draft = {**draft, "approved_by": ctx.actor.username, "review_comments": facts.comments}
    return Effect(facts={"outcome": ctx.case.draft["outcome"], **released})


@handler("return_reply")
def return_reply(ctx: Ctx, facts: f.ReturnReplyFacts) -> Effect:
    assert ctx.case.draft is not None
    ctx.case.draft = {**ctx.case.draft, "returned_by": ctx.actor.username, "review_comments": facts.comments}
    return Effect(facts={"outcome": ctx.case.draft["outcome"]})


@handler("issue_reply")
def issue_reply(ctx: Ctx, facts: f.IssueReplyFacts) -> Effect:
    draft = ctx.case.draft
    assert draft is not None and facts.issued_on is not None
    not_before("issued_on", facts.issued_on, ctx.case.receipt_date, "收到申请之日")
    _disclosure_review.check_issue(ctx.session, ctx.case)  # Art. 17: reviewed before disclosure
    release_rules.check_issue(ctx.session, ctx.case)  # Art. 17, 37: the released copies as reviewed
    _consultations.check_disclosure(  # Art. 32: the decision notice first, unless the objection is honoured
        ctx, draft["outcome"], facts.issued_on, draft.get("withheld_grounds") or ()
    )
    outcome = law.outcome(draft["outcome"])
    ctx.case.outcome = outcome.code
    ctx.case.answered_on = facts.issued_on
    late = ctx.case.reply_due is not None and facts.issued_on > ctx.case.reply_due
    reply = {key: draft.get(key, "") for key in REPLY_FIELDS}
    released = release_rules.release(ctx, outcome.code)  # the records handed over, frozen
    return Effect(
        facts={"outcome": outcome.code, "reasons": draft.get("reasons", ""), "late": late, **released.facts},
        basis=tuple(b.label for b in outcome_rules.bases(outcome, draft)),
        documents=released.documents,
        letter=LetterRequest(
            "reply", facts.issued_on, outcome=outcome.code, reply={**reply, **released.letter}
        ),
    )


@handler("record_delivery")
def record_delivery(ctx: Ctx, facts: f.RecordDeliveryFacts) -> Effect:
    assert facts.delivered_on is not None and ctx.case.answered_on is not None
    not_before("delivered_on", facts.delivered_on, ctx.case.answered_on, "答复签发之日")
    ctx.case.delivered_on = facts.delivered_on
    return Effect()


def _conclude(ctx: Ctx, outcome_code: str) -> None:
    ctx.case.outcome = law.outcome(outcome_code).code
    ctx.case.closed_on = ctx.today


@handler("withdraw")
def withdraw(ctx: Ctx, facts: f.WithdrawFacts) -> Effect:
    assert facts.withdrawn_on is not None
    not_before("withdrawn_on", facts.withdrawn_on, ctx.case.receipt_date, "收到申请之日")
    _conclude(ctx, "other.other")
    ctx.case.closed_on = facts.withdrawn_on
    applicant = ctx.session.get(Applicant, ctx.case.applicant_id)
    who = you(applicant.type if applicant else law.ApplicantType.NATURAL_PERSON)  # 您 / 你单位
    return Effect(
        facts={"outcome": "other.other"},
        letter=LetterRequest(
            "reply",
            ctx.today,
            outcome="other.other",
            reply={"reasons": f"{who}于{zh(facts.withdrawn_on)}申请撤回该政府信息公开申请（{facts.reason}）"},
        ),
    )


@handler("archive")
def archive(ctx: Ctx, facts: f.NoFacts) -> Effect:
    return Effect()


from caseflow.cases import applicant_decline as _applicant_decline  # noqa: E402, F401 - issue 18
from caseflow.cases import applicant_download as _applicant_download  # noqa: E402, F401 - issue 18
from caseflow.cases import art35 as _art35  # noqa: E402 - registers the Art. 35 handlers
from caseflow.cases import consultations as _consultations  # noqa: E402 - the consultation handlers
from caseflow.cases import delivery as _delivery  # noqa: E402 - registers the delivery handlers
from caseflow.cases import disclosure_review as _disclosure_review  # noqa: E402 - the Art. 17 review
from caseflow.cases import handling as _handling  # noqa: E402, F401 - registers the other handlers
from caseflow.cases import letter_pdf as _letter_pdf  # noqa: E402, F401 - a letter's PDF after commit


def _require_all_handled() -> None:
    from caseflow.cases.engine import HANDLERS
    from caseflow.states.machine import ACTIONS

    missing = set(ACTIONS) - set(HANDLERS)
    if missing:
        raise RuntimeError(f"actions without a handler: {', '.join(sorted(missing))}")


_require_all_handled()
