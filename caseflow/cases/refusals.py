"""Why an action the request's state does not allow is refused (409), and what is allowed instead.

The engine asks ``check_state_allows`` before it looks at an action's facts: the action is allowed
when some condition arguments its facts might meet let the machine fire it. A refusal names the
state, what the actor may do now and, where the machine's condition is a rule of law, the article.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from caseflow import law
from caseflow.cases.actor import Actor
from caseflow.errors import IllegalTransition
from caseflow.models import Case, Consultation
from caseflow.states.machine import CaseToken, MachineError, allowed_actions, fire, possible_actions

#: Actions closing one consultation: the request leaves ``consultation`` only with the last one.
CLOSING = frozenset({"receive_opinion", "lapse_consultation"})

#: Built once: asked on every action closing a consultation.
_OPEN_CONSULTATIONS = (
    select(func.count())
    .select_from(Consultation)
    .where(col(Consultation.case_id) == bindparam("case_id"), col(Consultation.opinion_date).is_(None))
)


def token_for(case: Case) -> CaseToken:
    return CaseToken(
        case.state,
        extended=case.extended,
        delivered=case.delivered_on is not None,
        supplemented=any(e["type"] == "supplement_requested" for e in case.ledger),
    )


def open_consultations(session: Session, case_id: int | None) -> int:
    """How many of the request's consultations are still open."""
    return int(session.execute(_OPEN_CONSULTATIONS, {"case_id": case_id}).scalar_one())


def _probe_args(session: Session, case: Case, action: str, others_open: bool | None) -> list[dict[str, Any]]:
    """The condition arguments an action may meet, whatever its facts say (the facts decide which).
    ``others_open``: whether other consultations stay open, when the caller knows it already."""
    if action not in CLOSING:
        others_open = False
    elif others_open is None:
        others_open = open_consultations(session, case.id) > 1
    return [
        {"needs_review": needs_review, "agrees": agrees, "others_open": others_open}
        for needs_review, agrees in ((True, True), (False, False))
    ]


def allowed_now(session: Session, case: Case, actor: Actor) -> list[str]:
    """What the actor may do in the request's state, for a refusal to name (whatever the facts)."""
    token = token_for(case)
    names: list[str] = []
    for args in _probe_args(session, case, "", False):
        names += [n for n in allowed_actions(token, actor.roles, **args) if n not in names]
    return [n for n in possible_actions(case.state) if n in names]


def _legal_refusal(case: Case, action: str, token: CaseToken) -> tuple[str, str] | None:
    """Where the machine's condition is a rule of law: why (naming the article) and its code."""
    rules = law.RULE_SETS.get(case.rules) or law.RULES_2019
    if action == "extend" and token.extended:
        return f"答复期限只能延长一次（{rules.extension_basis.label}），本申请已经延期", "extension_limit"
    if action == "request_supplement" and token.supplemented:
        return (
            f"补正告知只能发出一次（{rules.supplement_notice_basis.label}），本申请已经告知过补正",
            "supplement_once",
        )
    if action == "record_delivery" and token.delivered:
        return "答复的送达已经登记过，不能重复登记", "already_delivered"
    return None


def check_state_allows(
    session: Session, case: Case, actor: Actor, action: str, *, others_open: bool | None = None
) -> None:
    """Refuse (409) an action the request's state does not allow, for any facts it might be given."""
    for args in _probe_args(session, case, action, others_open):
        probe = token_for(case)
        try:
            if fire(probe, action, **args):
                return
        except MachineError:
            break
    refusal = _legal_refusal(case, action, token_for(case))
    reason, code = refusal if refusal else (None, None)
    raise IllegalTransition(action, case.state, allowed_now(session, case, actor), reason=reason, code=code)
