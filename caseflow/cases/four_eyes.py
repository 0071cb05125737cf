"""Four eyes (审核与拟稿分离): whoever drafted a reply does not approve it in legal review.

The drafter is read from the request's draft and from its evidence chain (the actor of the latest
``draft_reply`` event), so editing the draft row does not lift the rule. The rule holds for everyone,
also for a user an admin allowed to hold both roles (``RoleException``): the exception lets one
person draft some replies and review others, never review their own.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from caseflow.errors import Forbidden
from caseflow.models import Case, EvidenceEvent

RULE = "四眼原则：拟定答复的人不得审核通过同一答复"

#: Built once (asked on every review and approval, and by the case page).
_LATEST_DRAFTER = (
    select(EvidenceEvent.actor)
    .where(col(EvidenceEvent.case_id) == bindparam("case_id"), col(EvidenceEvent.action) == "draft_reply")
    .order_by(col(EvidenceEvent.seq).desc())
    .limit(1)
)


def drafters(session: Session, case: Case) -> set[str]:
    """Who drafted the reply awaiting review (by the draft, and by the evidence chain)."""
    names = set()
    if case.draft and case.draft.get("drafted_by"):
        names.add(str(case.draft["drafted_by"]))
    latest = session.exec(_LATEST_DRAFTER, params={"case_id": case.id}).first()
    if latest:
        names.add(latest)
    return names


def may_approve(session: Session, case: Case, username: str) -> bool:
    return username not in drafters(session, case)


def check_approver(session: Session, case: Case, username: str) -> None:
    """Refuse (403) an approval by the reply's drafter."""
    if not may_approve(session, case, username):
        raise Forbidden(f"{RULE}（本答复由 {username} 拟定，须由另一名法制审核人员审核）。")
