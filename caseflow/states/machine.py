"""The request's state machine as data: states and transitions, and the driver that moves a request.

One module-level ``transitions.Machine`` (``model=None``, ``auto_transitions=False``) drives a small
plain wrapper (``CaseToken``) that carries only the state and the flags the conditions read; the
ORM row is never handed to the machine (FACTS.md). The actions (roles and facts) are in
``caseflow.states.actions``, the roles in ``caseflow.states.roles``.
"""

from __future__ import annotations

import threading
from enum import StrEnum
from typing import Any

from transitions import Machine, MachineError
from transitions.core import EventData

from caseflow.states.actions import ACTIONS, RECORD_ONLY


class State(StrEnum):
    RECEIVED = "received"
    SUPPLEMENT_REQUIRED = "supplement-required"
    CONSULTATION = "consultation"
    FEE_PENDING = "fee-pending"
    EXTENDED = "extended"
    LEGAL_REVIEW = "legal-review"
    READY = "ready-to-issue"
    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"
    ARCHIVED = "archived"


STATE_NAMES: dict[State, str] = {
    State.RECEIVED: "已受理",
    State.SUPPLEMENT_REQUIRED: "待补正",
    State.CONSULTATION: "征求意见中",
    State.FEE_PENDING: "待缴费",
    State.EXTENDED: "已延期",
    State.LEGAL_REVIEW: "法制审核中",
    State.READY: "待签发",
    State.ANSWERED: "已答复",
    State.WITHDRAWN: "已撤回",
    State.CLOSED: "已终止",
    State.ARCHIVED: "已归档",
}

#: States in which the request is still being handled (the reply period matters).
OPEN_STATES = frozenset(
    {
        State.RECEIVED,
        State.SUPPLEMENT_REQUIRED,
        State.CONSULTATION,
        State.FEE_PENDING,
        State.EXTENDED,
        State.LEGAL_REVIEW,
        State.READY,
    }
)
#: States in which work goes on toward a reply (the clock runs).
WORKING = [State.RECEIVED, State.EXTENDED]
CONCLUDED = [State.ANSWERED, State.WITHDRAWN, State.CLOSED]


_OPEN = [s.value for s in OPEN_STATES]
_ANY = [s.value for s in State]
#: Review and litigation may be recorded in any state after registration (a failure to reply in time,
#: 逾期不答复, is challenged while the request is open), except once the applicant withdrew it (the
#: handler also refuses a withdrawn request that was archived). A record already filed may be concluded
#: in any state.
_REMEDY_SOURCES = [s.value for s in State if s is not State.WITHDRAWN]


def _back(trigger: str, source: str | list[str]) -> list[dict[str, Any]]:
    """A transition that returns to work: to ``extended`` if the request was extended."""
    return [
        {"trigger": trigger, "source": source, "dest": State.EXTENDED.value, "conditions": "was_extended"},
        {"trigger": trigger, "source": source, "dest": State.RECEIVED.value, "unless": "was_extended"},
    ]


def _closing(trigger: str) -> list[dict[str, Any]]:
    """A consultation closes: the request stays in consultation while others are open."""
    source = State.CONSULTATION.value
    stay = {"trigger": trigger, "source": source, "dest": "=", "conditions": "others_open"}
    back = [
        {**t, "unless": [t["unless"], "others_open"] if "unless" in t else "others_open"}
        for t in _back(trigger, source)
    ]
    return [stay, *back]


TRANSITIONS: list[dict[str, Any]] = [
    {
        "trigger": "request_supplement",
        "source": State.RECEIVED.value,
        "dest": State.SUPPLEMENT_REQUIRED.value,
        "unless": "was_supplemented",
    },
    {
        "trigger": "receive_supplement",
        "source": State.SUPPLEMENT_REQUIRED.value,
        "dest": State.RECEIVED.value,
    },
    {"trigger": "lapse_supplement", "source": State.SUPPLEMENT_REQUIRED.value, "dest": State.CLOSED.value},
    {"trigger": "start_consultation", "source": [s.value for s in WORKING], "dest": State.CONSULTATION.value},
    # Several consultations may be open at once: another may start while one is open, and the
    # request stays in consultation until the last one closes (``others_open``).
    {"trigger": "start_consultation", "source": State.CONSULTATION.value, "dest": "="},
    *_closing("receive_opinion"),
    *_closing("lapse_consultation"),
    {
        "trigger": "notify_third_party_decision",
        "source": [*(s.value for s in WORKING), State.LEGAL_REVIEW.value, State.READY.value],
        "dest": "=",
    },
    {"trigger": "assess_fee", "source": [s.value for s in WORKING], "dest": State.FEE_PENDING.value},
    *_back("record_payment", State.FEE_PENDING.value),
    {"trigger": "lapse_fee", "source": State.FEE_PENDING.value, "dest": State.CLOSED.value},
    {"trigger": "record_notice_delivery", "source": _OPEN, "dest": "="},
    {
        "trigger": "propose_lapse",
        "source": [State.SUPPLEMENT_REQUIRED.value, State.FEE_PENDING.value],
        "dest": "=",
    },
    {
        "trigger": "keep_waiting",
        "source": [State.SUPPLEMENT_REQUIRED.value, State.FEE_PENDING.value],
        "dest": "=",
    },
    {"trigger": "extend", "source": State.RECEIVED.value, "dest": State.EXTENDED.value},
    {"trigger": "extend", "source": [State.LEGAL_REVIEW.value, State.READY.value], "dest": "="},
    {"trigger": "request_art35_reasons", "source": [s.value for s in WORKING], "dest": "="},
    {"trigger": "record_art35_reasons", "source": [s.value for s in WORKING], "dest": "="},
    {"trigger": "set_delayed_date", "source": [s.value for s in WORKING], "dest": "="},
    {
        "trigger": "draft_reply",
        "source": [s.value for s in WORKING],
        "dest": State.LEGAL_REVIEW.value,
        "conditions": "needs_review",
    },
    {
        "trigger": "draft_reply",
        "source": [s.value for s in WORKING],
        "dest": State.READY.value,
        "unless": "needs_review",
    },
    {"trigger": "approve_reply", "source": State.LEGAL_REVIEW.value, "dest": State.READY.value},
    *_back("return_reply", State.LEGAL_REVIEW.value),
    # Art. 17: the review of a draft awaiting issue; 不同意公开 sends it back to work, like return_reply.
    {
        "trigger": "confidentiality_review",
        "source": State.READY.value,
        "dest": "=",
        "conditions": "review_agrees",
    },
    {
        "trigger": "confidentiality_review",
        "source": State.READY.value,
        "dest": State.EXTENDED.value,
        "conditions": "was_extended",
        "unless": "review_agrees",
    },
    {
        "trigger": "confidentiality_review",
        "source": State.READY.value,
        "dest": State.RECEIVED.value,
        "unless": ["was_extended", "review_agrees"],
    },
    {"trigger": "issue_reply", "source": State.READY.value, "dest": State.ANSWERED.value},
    {"trigger": "record_delivery", "source": State.ANSWERED.value, "dest": "=", "unless": "is_delivered"},
    {"trigger": "withdraw", "source": _OPEN, "dest": State.WITHDRAWN.value},
    {"trigger": "archive", "source": [s.value for s in CONCLUDED], "dest": State.ARCHIVED.value},
    {"trigger": "record_review", "source": _REMEDY_SOURCES, "dest": "="},
    {"trigger": "record_litigation", "source": _REMEDY_SOURCES, "dest": "="},
    {"trigger": "conclude_remedy", "source": _ANY, "dest": "="},
    {"trigger": "mark_complex", "source": _OPEN, "dest": "="},
    {"trigger": "record_joint_opinion", "source": _OPEN, "dest": "="},
    {"trigger": "reassign", "source": _OPEN, "dest": "="},
    {"trigger": "add_note", "source": _ANY, "dest": "="},
    {"trigger": "view_identity", "source": _ANY, "dest": "="},
    {"trigger": "view_document", "source": _ANY, "dest": "="},
    {"trigger": "export_evidence", "source": _ANY, "dest": "="},
    {"trigger": "recalculate_deadline", "source": _OPEN, "dest": "="},
    {"trigger": "letter_pdf", "source": _ANY, "dest": "="},
    {"trigger": "applicant_download", "source": _ANY, "dest": "="},
    {"trigger": "decline_applicant_submission", "source": _ANY, "dest": "="},
]

assert {t["trigger"] for t in TRANSITIONS} == set(ACTIONS), "every action has transitions, and only those"


class CaseToken:
    """What the machine sees of a request: its state and the flags its conditions read."""

    state: str

    def __init__(
        self, state: str, *, extended: bool = False, delivered: bool = False, supplemented: bool = False
    ) -> None:
        self.state = state
        self.extended = extended
        self.delivered = delivered
        self.supplemented = supplemented

    def was_supplemented(self, **_: Any) -> bool:
        """A supplement may be asked for once (Art. 30)."""
        return self.supplemented

    def was_extended(self, **_: Any) -> bool:
        return self.extended

    def is_delivered(self, **_: Any) -> bool:
        return self.delivered

    def needs_review(self, *, needs_review: bool = False, **_: Any) -> bool:
        return needs_review

    def others_open(self, *, others_open: bool = False, **_: Any) -> bool:
        """Other consultations stay open after this one closes (the engine counts them)."""
        return others_open

    def review_agrees(self, *, agrees: bool = True, **_: Any) -> bool:
        """The review before disclosure agreed (同意公开); otherwise the draft goes back to work."""
        return agrees


MACHINE = Machine(
    model=None,
    states=[s.value for s in State],
    transitions=TRANSITIONS,
    initial=None,
    auto_transitions=False,
    send_event=False,
    model_override=False,
)


def possible_actions(state: str) -> list[str]:
    """Actions with a transition out of ``state`` (before roles and conditions)."""
    return [name for name in ACTIONS if name in MACHINE.get_triggers(state)]


def allowed_actions(token: CaseToken, roles: frozenset[str], **condition_args: Any) -> list[str]:
    """Actions the holder of ``roles`` may take now (state, conditions and roles all allow)."""
    out = []
    for name in possible_actions(token.state):
        if name in RECORD_ONLY or not ACTIONS[name].roles & roles:
            continue
        event = MACHINE.events[name]
        data = EventData(MACHINE.get_state(token.state), event, MACHINE, token, (), condition_args)
        if any(all(c.check(data) for c in t.conditions) for t in event.transitions.get(token.state, [])):
            out.append(name)
    return out


_tokens = threading.local()
_registering = threading.Lock()


def fire(token: CaseToken, action: str, **condition_args: Any) -> bool:
    """Move ``token`` by ``action``; False when the action's conditions refuse it.

    Raises ``transitions.MachineError`` when the state has no such transition. Each thread drives
    one long-lived model registered with the machine once (adding and removing a model on every
    call costs more than the transition itself); ``token`` receives the result.
    """
    driver: CaseToken | None = getattr(_tokens, "driver", None)
    if driver is None:
        driver = CaseToken(token.state)
        with _registering:  # the machine's model list is not safe to extend from two threads at once
            MACHINE.add_model(driver, initial=token.state)
        _tokens.driver = driver
    driver.state, driver.extended, driver.delivered = token.state, token.extended, token.delivered
    driver.supplemented = token.supplemented
    moved = bool(MACHINE.events[action].trigger(driver, **condition_args))
    token.state = driver.state
    return moved


__all__ = ["MACHINE", "CaseToken", "MachineError", "State", "allowed_actions", "fire"]
