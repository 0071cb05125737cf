"""What a request row must hold, replayed from its evidence events.

Each action's handler (``caseflow.cases.actions``, ``caseflow.cases.handling``) records in its event
the facts it applied; ``register`` (``caseflow.cases.intake``) records the application itself. Read
back in order, the events say what the row's state, outcome, dates, handler, applicant, description
and clock ledger must be. ``SETS`` and ``CLOCK`` are that reading as data: for every action of the
state machine, which fields it sets from which fact and which clock event it adds to the ledger
(checked complete against the machine at import, as the handlers are).

``replay`` gives an ``Expected`` (each value with the event that set it); ``caseflow.evidence.rowcheck``
compares it with the stored row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from caseflow.dates import SHANGHAI, legal_date
from caseflow.states.actions import ACTIONS


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the database says that its evidence does not: request, field, event, what differs."""

    tracking_no: str
    field: str
    seq: int | None  # the event that set the value (None: no one event)
    action: str
    message: str

    def __str__(self) -> str:
        where = f"事件{self.seq}（{self.action}）" if self.seq is not None else "证据链"
        return f"{self.tracking_no} {where} {self.field}：{self.message}"


def mismatch(
    tracking_no: str,
    name: str,
    seq: int | None,
    action: str,
    stored: object,
    expected: object,
    note: str = "",
) -> Finding:
    text = f"库中为 {_show(stored)}，证据链记载为 {_show(expected)}"
    return Finding(tracking_no, name, seq, action, f"{text}；{note}" if note else text)


def _show(value: object) -> str:
    if value is None:
        return "空"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = repr(value) if not isinstance(value, str) else f"“{value}”"
    return text if len(text) <= 200 else text[:200] + "…"


# --- what each action sets ---------------------------------------------------------------------

#: The special values an action may set a field to (besides a fact of its event).
TODAY = "@today"  # the legal date of the event's moment (lapses conclude "today")
NONE = "@none"
TRUE = "@true"
#: A source "?fact": set from the fact only when the event records it (facts added later, or set
#: only in some cases, e.g. a delivery that starts the supplement period).
OPTIONAL = "?"

#: The lapse proposal's fields, cleared when the applicant's period is over (caseflow.cases.delivery).
_NO_LAPSE = {
    "lapse_proposed": NONE,
    "lapse_proposed_on": NONE,
    "lapse_waiting": NONE,
    "lapse_wait_until": NONE,
}

#: action -> {request field: fact key or special value}. Dates as ISO text in the facts.
SETS: dict[str, dict[str, str]] = {
    "request_supplement": {
        "supplement_due": "supplement_due",
        "supplement_days": "?supplement_days",
        **_NO_LAPSE,
    },
    "receive_supplement": {"supplement_due": NONE, **_NO_LAPSE},
    "lapse_supplement": {"outcome": "outcome", "closed_on": TODAY, **_NO_LAPSE},
    "lapse_fee": {"outcome": "outcome", "closed_on": TODAY, **_NO_LAPSE},
    "record_payment": {**_NO_LAPSE},
    # The supplement period starts at the notice's delivery (the other periods are not on the row).
    "record_notice_delivery": {"supplement_due": "?supplement_due"},
    "propose_lapse": {
        "lapse_proposed": "kind",
        "lapse_proposed_on": TODAY,
        "lapse_waiting": NONE,
        "lapse_wait_until": NONE,
    },
    "keep_waiting": {
        "lapse_proposed": NONE,
        "lapse_proposed_on": NONE,
        "lapse_waiting": "kind",
        "lapse_wait_until": "until",
    },
    "extend": {"extended": TRUE},
    "issue_reply": {"outcome": "outcome", "answered_on": "issued_on"},
    "record_delivery": {"delivered_on": "delivered_on"},
    # The applicant's first download: the reply's delivery, or a notice's (the supplement period).
    "applicant_download": {"delivered_on": "?delivered_on", "supplement_due": "?supplement_due"},
    "withdraw": {"outcome": "outcome", "closed_on": "withdrawn_on"},
    "mark_complex": {"complex": TRUE},
    "reassign": {"handler": "handler"},
}

#: action -> (clock event type, fact holding its date, {clock key: fact key}) added to the ledger
#: (``caseflow.cases.actions.shared.clock_event``: extras that are None are left out).
CLOCK: dict[str, tuple[str, str, dict[str, str]]] = {
    "request_supplement": ("supplement_requested", "notice_date", {}),
    "receive_supplement": ("supplement_received", "received_on", {}),
    "start_consultation": ("pause_started", "letter_date", {"reason": "@consultation"}),
    "receive_opinion": ("pause_ended", "opinion_date", {}),
    "lapse_consultation": ("pause_ended", "window_end", {}),
    "assess_fee": ("pause_started", "notice_date", {"reason": "@fee"}),
    "record_payment": ("pause_ended", "paid_on", {}),
    "extend": ("extended", "decided_on", {"days": "days"}),
    "set_delayed_date": ("deadline_set", "decided_on", {"due": "due"}),
}

#: An event whose facts say ``clock_event: false`` added nothing to the ledger, and one that records
#: ``clock_date`` added its clock event on that date: several consultations may be open at once, and
#: the pause starts with the first and ends with the last, on the latest day any of them closed
#: (``caseflow.cases.consultations``). Events recorded before these facts existed always added theirs.
CLOCK_EVENT = "clock_event"
CLOCK_DATE = "clock_date"

#: Actions that set nothing on the request row but its state (their records live elsewhere:
#: the draft, consultations, fees, remedies, notes) or only record that something happened.
RECORD_ONLY_FOR_ROW = frozenset(
    {
        "draft_reply",
        "approve_reply",
        "return_reply",
        "confidentiality_review",  # the Art. 17 review lives in the draft (caseflow.cases.disclosure_review)
        "archive",
        "record_review",
        "record_litigation",
        "conclude_remedy",
        "record_joint_opinion",
        "request_art35_reasons",  # the Art. 35 step lives in art35_step (caseflow.cases.art35)
        "record_art35_reasons",
        "notify_third_party_decision",  # on the consultation row (caseflow.cases.consultations)
        "add_note",
        "view_identity",
        "view_document",
        "export_evidence",
        "recalculate_deadline",
        "letter_pdf",  # the letter row's PDF (checked against this event by dbcheck)
        "decline_applicant_submission",  # on the applicant_submission row (caseflow.portal.followup_record)
    }
)

#: The register event's facts -> request and applicant fields (``caseflow.cases.intake.register``).
REGISTER_FIELDS: dict[str, str] = {
    "tracking_no": "tracking_no",
    "receipt_date": "receipt_date",
    "arrived_at": "arrived_at",
    "receipt_proof": "receipt_proof",
    "channel": "channel",
    "provision_form": "provision_form",
    "description": "description",
    "document_no_sought": "document_no_sought",
    "agency": "agency",
    "applicant.type": "applicant_type",
    "applicant.name": "applicant_name",
    "applicant.id_type": "id_type",
    "applicant.phone": "phone",
    "applicant.email": "email",
    "applicant.address": "address",
}

#: Bulk history (``caseflow.bulk``): a second event standing for a request's whole handling.
BULK_HISTORY = "bulk_history"

_DATES = frozenset(
    {
        "receipt_date",
        "supplement_due",
        "answered_on",
        "delivered_on",
        "closed_on",
        "lapse_proposed_on",
        "lapse_wait_until",
    }
)


def _check_complete() -> None:
    covered = set(SETS) | set(CLOCK) | RECORD_ONLY_FOR_ROW
    missing = set(ACTIONS) - covered
    unknown = covered - set(ACTIONS)
    if missing or unknown:
        raise RuntimeError(
            "replay rules out of step with the state machine: "
            f"missing {sorted(missing)}, unknown {sorted(unknown)}"
        )


_check_complete()


# --- the replay -------------------------------------------------------------------------------


@dataclass(slots=True)
class Expected:
    """The row as its events say it: field -> (value, seq of the event that set it, its action)."""

    values: dict[str, tuple[object, int, str]] = field(default_factory=dict)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    ledger_from: list[tuple[int, str]] = field(default_factory=list)  # the event of each entry
    ledger_set: tuple[int, str] = (1, "register")  # the last event that changed the ledger
    register_facts: Mapping[str, Any] = field(default_factory=dict)
    bulk: bool = False  # bulk history: only what its two events record can be checked
    findings: list[Finding] = field(default_factory=list)


Event = Mapping[str, Any]  # a parsed payload: seq, moment, actor, action, from, to, facts


def _value(kind: str, raw: object, event: Event) -> object:
    if kind == TODAY:
        return legal_date(dt.datetime.fromisoformat(str(event["moment"])).astimezone(SHANGHAI))
    if kind == NONE:
        return None
    if kind == TRUE:
        return True
    return raw


def _typed(name: str, value: object) -> object:
    """A fact as the row holds it (dates are ISO text in the facts)."""
    if isinstance(value, str) and (name in _DATES or name.endswith("_on")):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if name == "arrived_at" and isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def replay(tracking_no: str, events: Iterable[Event]) -> Expected:
    """Replay a (verified) chain's parsed payloads into the row they describe."""
    out = Expected()
    values = out.values
    previous_to: object = None
    for n, event in enumerate(events, 1):
        seq = int(event.get("seq", n))
        action = str(event.get("action"))
        facts = event.get("facts") if isinstance(event.get("facts"), dict) else {}
        assert isinstance(facts, dict)
        if n > 1 and event.get("from") != previous_to:
            out.findings.append(
                mismatch(
                    tracking_no,
                    "state",
                    seq,
                    action,
                    event.get("from"),
                    previous_to,
                    "事件记载的原状态不是前一事件的新状态",
                )
            )
        previous_to = event.get("to")
        values["state"] = (previous_to, seq, action)
        if action == "register":
            _register(out, event, facts, seq)
            continue
        if action == BULK_HISTORY:
            _bulk_history(out, facts, seq)
            continue
        for name, source in SETS.get(action, {}).items():
            if source.startswith(OPTIONAL):
                if source[1:] not in facts:
                    continue
                source = source[1:]
            raw = facts.get(source) if not source.startswith("@") else None
            values[name] = (_typed(name, _value(source, raw, event)), seq, action)
        rule = CLOCK.get(action)
        if rule is not None and facts.get(CLOCK_EVENT) is not False:
            kind, date_key, extras = rule
            entry: dict[str, Any] = {"type": kind, "date": facts.get(CLOCK_DATE, facts.get(date_key))}
            for key, source in extras.items():
                value = source[1:] if source.startswith("@") else facts.get(source)
                if value is not None:
                    entry[key] = value
            out.ledger.append(entry)
            out.ledger_from.append((seq, action))
            out.ledger_set = (seq, action)
    return out


def _register(out: Expected, event: Event, facts: Mapping[str, Any], seq: int) -> None:
    out.register_facts = facts
    out.bulk = facts.get("bulk") is True
    for name, key in REGISTER_FIELDS.items():
        if key in facts:
            out.values[name] = (_typed(name, facts[key]), seq, "register")
    if not out.bulk:
        out.values["handler"] = (event.get("actor"), seq, "register")
    out.values["extended"] = (False, seq, "register")
    out.values["complex"] = (False, seq, "register")
    # A correction request (Art. 41) records its kind; a disclosure request's event leaves it out.
    out.values["kind"] = (facts.get("kind", "disclosure"), seq, "register")
    for name in (
        "outcome",
        "supplement_due",
        "answered_on",
        "delivered_on",
        "closed_on",
        "supplement_days",
        *_NO_LAPSE,
    ):
        out.values[name] = (None, seq, "register")


def _bulk_history(out: Expected, facts: Mapping[str, Any], seq: int) -> None:
    """``caseflow.bulk``: the outcome and the whole ledger in one event; the dates of the reply are
    not recorded, so they cannot be checked (nor the handler, applicant or description)."""
    out.values["outcome"] = (facts.get("outcome"), seq, BULK_HISTORY)
    ledger = facts.get("ledger")
    events = ledger.get("events", []) if isinstance(ledger, dict) else []
    out.ledger = list(events) if isinstance(events, list) else []
    out.ledger_from = [(seq, BULK_HISTORY)] * len(out.ledger)
    out.ledger_set = (seq, BULK_HISTORY)
    for name in ("answered_on", "delivered_on", "closed_on", "extended"):
        out.values.pop(name, None)
