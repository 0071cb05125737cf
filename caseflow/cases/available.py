"""The actions an actor may take on a request now: what the case page and the API offer.

Above the engine (the state machine's answer) and the checks that narrow it: the four-eyes rule,
the Art. 17 review (``caseflow.cases.disclosure_review``) and the Art. 33 approval.
"""

from __future__ import annotations

from sqlmodel import Session

from caseflow.cases import approval, disclosure_review, four_eyes
from caseflow.cases.actor import Actor
from caseflow.cases.refusals import token_for
from caseflow.models import Case
from caseflow.states.actions import RECORD_ONLY
from caseflow.states.machine import allowed_actions, possible_actions


def actions_for(session: Session, actor: Actor, case: Case) -> list[str]:
    """The actions ``actor`` may take on ``case`` now (draft_reply listed when any outcome fits)."""
    token = token_for(case)
    names = set(allowed_actions(token, actor.roles, needs_review=True, agrees=True))
    names |= set(allowed_actions(token, actor.roles, needs_review=False, agrees=False))
    if "approve_reply" in names:
        if not four_eyes.may_approve(session, case, actor.username):
            names.discard("approve_reply")  # the drafter does not approve their own reply
    if names & {"confidentiality_review", "issue_reply"}:  # Art. 17: review before disclosure
        if not disclosure_review.may_review(session, actor, case):
            names.discard("confidentiality_review")
        if disclosure_review.missing(session, case):
            names.discard("issue_reply")
    names = {n for n in names if approval.may_approve(actor.agency_id, case, n)}  # Art. 33 para. 2
    return [n for n in possible_actions(case.state) if n in names and n not in RECORD_ONLY]
