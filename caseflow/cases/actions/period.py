"""The reply period: its extension (Art. 33) and a later date set under Art. 35."""

from __future__ import annotations

from caseflow import law
from caseflow.cases import art35
from caseflow.cases.actions.shared import clock_event
from caseflow.cases.engine import Ctx, Effect, LetterRequest, handler
from caseflow.dates import zh
from caseflow.states import facts as f

# --- Extension and Art. 35 ------------------------------------------------------------------


@handler("extend")
def extend(ctx: Ctx, facts: f.ExtendFacts) -> Effect:
    assert facts.decided_on is not None
    rules = law.rules_for(ctx.case.receipt_date)
    days = facts.days or rules.extension_max_days
    ctx.case.extended = True
    return Effect(
        clock=clock_event("extended", facts.decided_on, days=days),
        facts={"days": days},
        basis=(rules.extension_basis.label,),
        letter=LetterRequest(
            "extension_notice", facts.decided_on, notice={"days": days, "reason": facts.reason}
        ),
    )


@handler("set_delayed_date")
def set_delayed_date(ctx: Ctx, facts: f.SetDelayedDateFacts) -> Effect:
    assert facts.decided_on is not None
    art35.check_delayed_date(ctx, facts)  # after the reasons step, by the deadline, later than it
    return Effect(
        clock=clock_event("deadline_set", facts.decided_on, due=facts.due.isoformat()),
        basis=(law.ART35_DELAY.basis.label,),
        letter=LetterRequest(
            "art35_notice", facts.decided_on, notice={"due": zh(facts.due), "reason": facts.reason}
        ),
    )
