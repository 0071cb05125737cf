"""After the reply: its delivery recorded; closing a request by withdrawal; the archive."""

from __future__ import annotations

from caseflow import law
from caseflow.cases.actions.shared import conclude
from caseflow.cases.engine import Ctx, Effect, LetterRequest, handler, not_before
from caseflow.dates import zh
from caseflow.models import Applicant
from caseflow.replies.context import you
from caseflow.states import facts as f


@handler("record_delivery")
def record_delivery(ctx: Ctx, facts: f.RecordDeliveryFacts) -> Effect:
    assert facts.delivered_on is not None and ctx.case.answered_on is not None
    not_before("delivered_on", facts.delivered_on, ctx.case.answered_on, "答复签发之日")
    ctx.case.delivered_on = facts.delivered_on
    return Effect()


@handler("withdraw")
def withdraw(ctx: Ctx, facts: f.WithdrawFacts) -> Effect:
    assert facts.withdrawn_on is not None
    not_before("withdrawn_on", facts.withdrawn_on, ctx.case.receipt_date, "收到申请之日")
    conclude(ctx, "other.other")
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
