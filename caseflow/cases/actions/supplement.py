"""The intake side: asking the applicant to supplement the application (Art. 30), the supplement
received, or the period lapsed without one."""

from __future__ import annotations

from caseflow import law
from caseflow.cases import lapses
from caseflow.cases.actions.shared import clock_event, conclude, ledger_date
from caseflow.cases.engine import Ctx, Effect, LetterRequest, handler
from caseflow.dates import zh
from caseflow.settings import get_settings
from caseflow.states import facts as f

# --- Supplement (Art. 30) -------------------------------------------------------------------


@handler("request_supplement")
def request_supplement(ctx: Ctx, facts: f.RequestSupplementFacts) -> Effect:
    assert facts.notice_date is not None
    period = facts.period_days or get_settings().supplement_period_days
    # The applicant's period runs from the day after they receive the notice: its end is known once
    # the delivery is recorded (caseflow.cases.delivery).
    ctx.case.supplement_due = None
    ctx.case.supplement_days = period
    lapses.clear_lapse(ctx.case)
    return Effect(
        clock=clock_event("supplement_requested", facts.notice_date),
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
    lapses.clear_lapse(ctx.case)
    return Effect(
        clock=clock_event("supplement_received", facts.received_on),
        basis=(law.SUPPLEMENT_NOTICE.basis.label,),
    )


@handler("lapse_supplement")
def lapse_supplement(ctx: Ctx, facts: f.NoFacts) -> Effect:
    # Art. 30: only once the period, counted from the notice's recorded delivery, has run out.
    received, due = lapses.refuse_early(ctx.session, ctx.case, law.LapseKind.SUPPLEMENT, ctx.today)
    lapses.clear_lapse(ctx.case)
    conclude(ctx, "other.no_supplement")
    asked = ledger_date(ctx, "supplement_requested")
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
