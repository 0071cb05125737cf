"""The reply: drafted, approved or returned by the reviewer, and issued with its letter."""

from __future__ import annotations

from caseflow import law
from caseflow.cases import (
    art35,
    consultations,
    correction,
    disclosure_review,
    fee_rules,
    four_eyes,
    outcome_rules,
    provision,
    release_rules,
)
from caseflow.cases.engine import Ctx, Effect, LetterRequest, handler, not_before
from caseflow.models import Applicant
from caseflow.replies.issue import REPLY_FIELDS
from caseflow.states import facts as f

# --- The reply ------------------------------------------------------------------------------


@handler("draft_reply")
def draft_reply(ctx: Ctx, facts: f.DraftReplyFacts) -> Effect:
    outcome = law.outcome(facts.outcome)
    correction.check_outcome(ctx.case, outcome, facts)  # Art. 41: correction outcomes for corrections only
    fee_rules.check_reply_outcome(ctx, outcome.code)  # after a per-page fee: an outcome that supplies
    if outcome.code == "rejected.excessive":  # Art. 35: only after the applicant was asked for reasons
        art35.completed(ctx.session, ctx.case, "以申请数量、频次明显超过合理范围为由不予处理")
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
    disclosure_review.check_issue(ctx.session, ctx.case)  # Art. 17: reviewed before disclosure
    release_rules.check_issue(ctx.session, ctx.case)  # Art. 17, 37: the released copies as reviewed
    consultations.check_disclosure(  # Art. 32: the decision notice first, unless the objection is honoured
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
