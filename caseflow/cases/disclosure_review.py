"""Review before disclosure (保密审查, Regulation Art. 17): no disclosing reply is issued unreviewed.

Every draft of a disclosing outcome (``law.DISCLOSURE_REVIEW_GROUPS``: disclosed.*, partial) passes a
recorded review once it awaits issue: who reviewed it, when, and the conclusion (同意公开 / 不同意公开,
with comments). The reviewer role reviews, and never a draft of their own (the four-eyes rule,
``caseflow.cases.four_eyes``). Where the office so sets (``Agency.handler_confirms_published``), the
handler's own confirmation suffices for information already published (``law.HANDLER_CONFIRMS_OUTCOMES``):
the clerk records it with the same action.

The review is bound to the draft it read: it records a digest of the draft, and ``issue_reply`` issues
only a draft whose latest review (in the draft and in the evidence chain, so editing the draft row does
not forge one) agrees and matches the draft as it stands. A new draft needs a new review. A review
that does not agree sends the draft back to work with its comments, as ``return_reply`` does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from caseflow import law
from caseflow.cases import four_eyes, release_rules
from caseflow.cases.actor import Actor
from caseflow.cases.engine import Ctx, Effect, acting_role, handler
from caseflow.errors import Forbidden, RuleViolation
from caseflow.models import Agency, Case, EvidenceEvent
from caseflow.states import facts as f
from caseflow.states.roles import CLERK, REVIEWER

ACTION = "confidentiality_review"
#: The draft's key holding its review (left out of the digest the review records).
KEY = "disclosure_review"
#: Who reviewed: the reviewer role, or the handler's confirmation where the office allows it.
KIND_NAMES = {"reviewer": "审核人员审查", "handler": "经办人确认（信息已主动公开）"}


def digest(draft: dict[str, Any]) -> str:
    """The draft as reviewed: SHA-256 of its canonical JSON (its review left out)."""
    content = {k: v for k, v in draft.items() if k != KEY}
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def needs_review(case: Case) -> bool:
    """Whether the request's draft discloses information (and so is reviewed before issue)."""
    if not case.draft:
        return False
    return law.outcome(case.draft["outcome"]).group in law.DISCLOSURE_REVIEW_GROUPS


#: Built once (asked on every review and every issue of a reply).
_LATEST_EVENT = (
    select(EvidenceEvent.payload)
    .where(
        col(EvidenceEvent.case_id) == bindparam("case_id"),
        col(EvidenceEvent.action).in_(("draft_reply", ACTION)),
    )
    .order_by(col(EvidenceEvent.seq).desc())
    .limit(1)
)


def _latest_event(session: Session, case: Case) -> dict[str, Any] | None:
    """The latest draft or review event of the request's evidence chain (its payload)."""
    row = session.exec(_LATEST_EVENT, params={"case_id": case.id}).first()
    return json.loads(row) if row else None


def current(session: Session, case: Case) -> dict[str, Any] | None:
    """The review of the draft as it stands (None: not reviewed, or the draft changed since)."""
    if not case.draft or not isinstance(case.draft.get(KEY), dict):
        return None
    review: dict[str, Any] = case.draft[KEY]
    if review.get("draft_digest") != digest(case.draft):
        return None
    event = _latest_event(session, case)
    if event is None or event.get("action") != ACTION:
        return None
    facts = event.get("facts") or {}
    if facts.get("draft_digest") != review["draft_digest"] or facts.get("conclusion") != review.get(
        "conclusion"
    ):
        return None
    if release_rules.changed(session, case):  # Art. 37: the records released are not those reviewed
        return None
    return review


def missing(session: Session, case: Case) -> bool:
    """Whether the draft awaits a review that agrees before it may be issued."""
    if not needs_review(case):
        return False
    review = current(session, case)
    return review is None or review.get("conclusion") != "agree"


def check_issue(session: Session, case: Case) -> None:
    """Refuse (409) to issue a disclosing reply without a review of the draft that agrees."""
    if not missing(session, case):
        return
    assert case.draft is not None
    name = law.outcome(case.draft["outcome"]).name
    earlier = case.draft.get(KEY)
    if isinstance(earlier, dict) and earlier.get("draft_digest") == digest(case.draft):
        release_rules.check_issue(session, case)  # the records changed since: says which
    if isinstance(earlier, dict) and earlier.get("draft_digest") != digest(case.draft):
        why = "拟答复在审查后已经修改，须重新审查"
    else:
        why = "尚未经审查"
    raise RuleViolation(
        f"{law.DISCLOSURE_REVIEW_RULE}：本答复（{name}）{why}，不能签发；"
        f"请由审核人员进行{law.DISCLOSURE_REVIEW_NAME}"
    )


def handler_confirms(session: Session, case: Case) -> bool:
    """Whether the office lets the handler's confirmation stand for the review of this draft."""
    if not case.draft or case.draft["outcome"] not in law.HANDLER_CONFIRMS_OUTCOMES:
        return False
    agency = session.get(Agency, case.agency_id)
    return bool(agency is not None and agency.handler_confirms_published)


def may_review(session: Session, actor: Actor, case: Case) -> bool:
    """Whether ``actor`` may review the draft now (offered on the case page only then)."""
    if not needs_review(case) or current(session, case) is not None:
        return False
    if not actor.roles & {REVIEWER, CLERK}:
        return False
    if acting_role(actor, ACTION) == REVIEWER:
        return four_eyes.may_approve(session, case, actor.username)
    return handler_confirms(session, case)


@handler(ACTION)
def confidentiality_review(ctx: Ctx, facts: f.DisclosureReviewFacts) -> Effect:
    draft = ctx.case.draft
    assert draft is not None
    outcome = law.outcome(draft["outcome"])
    if outcome.group not in law.DISCLOSURE_REVIEW_GROUPS:
        raise RuleViolation(
            f"{law.DISCLOSURE_REVIEW_RULE}：本答复为“{outcome.name}”，不公开政府信息，无需{law.DISCLOSURE_REVIEW_NAME}"
        )
    if current(ctx.session, ctx.case) is not None:
        raise RuleViolation(
            f"本拟答复已经{law.DISCLOSURE_REVIEW_NAME}（{law.DISCLOSURE_REVIEW.label}），无需再次审查"
        )
    if ctx.role == REVIEWER:
        kind = "reviewer"
        if not four_eyes.may_approve(ctx.session, ctx.case, ctx.actor.username):
            raise Forbidden(
                f"{four_eyes.RULE}（本答复由 {ctx.actor.username} 拟定，{law.DISCLOSURE_REVIEW_NAME}"
                f"须由另一名审核人员进行，{law.DISCLOSURE_REVIEW.label}）。"
            )
    else:
        kind = "handler"
        if not handler_confirms(ctx.session, ctx.case):
            allowed = "、".join(law.outcome(c).name for c in sorted(law.HANDLER_CONFIRMS_OUTCOMES))
            raise Forbidden(
                f"{law.DISCLOSURE_REVIEW_RULE}：本答复（{outcome.name}）须由审核人员审查；"
                f"经办人确认仅适用于本机关设定的“{allowed}”"
            )
    released: dict[str, Any] = {}
    if facts.conclusion == "agree":  # the review covers the released copies as they stand (Art. 37)
        draft, released = release_rules.bind(ctx, draft)
    review = {
        "by": ctx.actor.username,
        "role": ctx.role,
        "kind": kind,
        "at": ctx.now.isoformat(),
        "conclusion": facts.conclusion,
        "conclusion_name": law.DISCLOSURE_REVIEW_CONCLUSIONS[facts.conclusion],
        "comments": facts.comments,
        "draft_digest": digest(draft),
    }
    updated = {**draft, KEY: review}
    if facts.conclusion != "agree":  # back to the handler with the comments, like return_reply
        updated |= {"returned_by": ctx.actor.username, "review_comments": facts.comments}
    ctx.case.draft = updated
    return Effect(
        facts={
            "outcome": outcome.code,
            "conclusion_name": review["conclusion_name"],
            "kind": kind,
            "draft_digest": review["draft_digest"],
            **released,
        },
        basis=(law.DISCLOSURE_REVIEW.label,),
    )
