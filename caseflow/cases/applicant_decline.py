"""The ``decline_applicant_submission`` action: an applicant's online supplement or withdrawal that the
clerk does not record (e.g. spam, content unrelated to the request), with a note the applicant sees.

It changes nothing on the request (a record-only action, allowed in every state): the event puts the
decision in the request's tamper-evident chain with what was declined, by the submission's content
hash, arrival moment and client address. The submission row is marked declined in the same
transaction by the caller's addon (``caseflow.portal.followup_record.decline``); the handler runs under
the request's row lock and refuses a submission that is not this request's or no longer pending.
"""

from __future__ import annotations

from caseflow.cases.engine import Ctx, Effect, handler
from caseflow.dates import SHANGHAI
from caseflow.errors import NotFound, RuleViolation
from caseflow.models import ApplicantSubmission
from caseflow.states import record_facts as rf

ACTION = "decline_applicant_submission"
#: The code of the refusal when the submission was recorded or declined meanwhile.
DECIDED = "submission_decided"


@handler(ACTION)
def decline_applicant_submission(ctx: Ctx, facts: rf.DeclineApplicantSubmissionFacts) -> Effect:
    row = ctx.session.get(ApplicantSubmission, facts.submission_id)
    if row is None or row.case_id != ctx.case.id:
        raise NotFound(f"本申请没有编号为 {facts.submission_id} 的申请人提交")
    if row.status != "pending":
        raise RuleViolation("该提交已经处理，不能再次处理，请刷新页面", code=DECIDED)
    return Effect(
        facts={
            "applicant_submission_kind": row.kind,
            "applicant_submission_sha256": row.content_sha256,
            "applicant_submitted_at": row.submitted_at.astimezone(SHANGHAI).isoformat(),
            "applicant_client_address": row.client_address,
        }
    )
