"""Approval by the deciding agency (Art. 33 para. 2): 经政府信息公开工作机构负责人同意.

An extension, and the Art. 35 date, are approved by the head of the disclosure office of the agency
that decides the request, never by a parent agency's supervisor (who sees the subtree for oversight).
The engine refuses such an approval (403) and does not offer it in a request's list of actions.
"""

from __future__ import annotations

from sqlmodel import Session

from caseflow import law
from caseflow.errors import Forbidden
from caseflow.models import Agency, Case

#: Actions only a supervisor of the request's own agency may take.
OWN_AGENCY_ACTIONS = frozenset({"extend", "set_delayed_date"})
RULE = (
    "延长答复期限、确定延迟答复期限须经作出答复的行政机关的政府信息公开工作机构负责人同意"
    f"（{law.OWN_AGENCY_APPROVAL.label}）"
)


def may_approve(agency_id: int | None, case: Case, action: str) -> bool:
    """Whether an actor of agency ``agency_id`` may take ``action`` on ``case``."""
    return action not in OWN_AGENCY_ACTIONS or agency_id == case.agency_id


def check(session: Session, agency_id: int | None, username: str, case: Case, action: str) -> None:
    """Refuse (403) ``action`` by an actor whose agency is not the request's own."""
    if may_approve(agency_id, case, action):
        return
    own = session.get(Agency, case.agency_id)
    theirs = session.get(Agency, agency_id) if agency_id is not None else None
    raise Forbidden(
        f"{RULE}：本申请由{own.name if own else '本机关'}办理，{username}属于"
        f"{theirs.name if theirs else '其他机关'}，不能批准"
    )
