"""A draft sent back comes back filled: the 拟答复 form of a request whose draft the reviewer returned
(退回修改, or a 保密审查 that did not agree) is pre-filled with the returned draft, and the reviewer's
comments are shown beside it with who returned it and when."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from caseflow.dates import SHANGHAI
from caseflow.models import Case, EvidenceEvent, User
from caseflow.states.facts import DraftReplyFacts

#: The actions that send a draft back to the handler with comments.
RETURNING = ("return_reply", "confidentiality_review")
DRAFT_FIELDS = frozenset(DraftReplyFacts.model_fields)


def values(case: Case, action: str) -> dict[str, Any] | None:
    """The stored draft's values for the 拟答复 form (None for any other form or when there is none)."""
    if action != "draft_reply" or not case.draft:
        return None
    return {k: v for k, v in case.draft.items() if k in DRAFT_FIELDS and v is not None}


def context(session: Session, case: Case) -> dict[str, Any]:
    """``returned``: the comments, the reviewer's name and the moment of the return of the draft now
    stored, when it was sent back (a new draft drops the mark ``returned_by``), else None."""
    draft = case.draft or {}
    returned_by = draft.get("returned_by")
    if not returned_by:
        return {"returned": None}
    event = session.exec(
        select(EvidenceEvent)
        .where(
            col(EvidenceEvent.case_id) == case.id,
            col(EvidenceEvent.action).in_(RETURNING),
            col(EvidenceEvent.actor) == returned_by,
        )
        .order_by(col(EvidenceEvent.seq).desc())
    ).first()
    user = session.exec(select(User).where(col(User.username) == returned_by)).first()
    return {
        "returned": {
            "comments": draft.get("review_comments") or "",
            "by": user.display_name if user else returned_by,
            "at": event.moment.astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M") if event else "",
            "kind": "保密审查意见" if event and event.action == "confidentiality_review" else "审核退回意见",
        }
    }
