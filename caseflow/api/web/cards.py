"""The supervisor dashboard's cards: what each counts, and the list (``/cases?card=...``) that shows
exactly the requests it counts. Each card's filter is the count's own condition in
``caseflow.queries.dashboard``, so the list's total equals the card's number."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from caseflow import queries
from caseflow.states.machine import State


@dataclass(frozen=True)
class Card:
    key: str  # the ``card`` query parameter, and the dashboard figure it shows
    label: str
    flt: dict[str, Any] = field(default_factory=dict)  # CaseFilter arguments
    css: str = ""


CARDS: tuple[Card, ...] = (
    Card("overdue", "已逾期", {"overdue": True}, "overdue"),
    Card("due_soon", f"{queries.DUE_SOON_DAYS}个工作日内到期", {"due_within": queries.DUE_SOON_DAYS}, "soon"),
    Card(
        "waiting_applicant",
        "等待申请人（补正、缴费）",
        {"states": (State.SUPPLEMENT_REQUIRED.value, State.FEE_PENDING.value)},
    ),
    Card("waiting_third_party", "等待第三方或其他机关意见", {"state": State.CONSULTATION.value}),
    Card("awaiting_review", "待法制审核", {"state": State.LEGAL_REVIEW.value}),
    Card("lapse_proposed", "补正或缴费期限已过，待确认", {"lapse_proposed_only": True}, "soon"),
    Card("paused", "已暂停计算期限", {"paused_only": True}),
    Card("open", "办理中", {"open_only": True}),
)
CARDS_BY_KEY = {c.key: c for c in CARDS}


def card_filter(key: str) -> dict[str, Any]:
    """CaseFilter arguments of the card ``key`` (none for an unknown key)."""
    card = CARDS_BY_KEY.get(key)
    return dict(card.flt) if card is not None else {}


def card_link(key: str) -> str:
    """The list of what the card counts: every request the viewer may see, not only their own."""
    return f"/cases?card={key}&mine=false"
