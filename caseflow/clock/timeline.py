"""A request's ledger of clock events (the clock's input): the event types, the timeline, reading
one from JSON as INTERFACES.md describes it, and the error a timeline that is not legal raises."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from caseflow import law
from caseflow.dates import parse_date


class EventType(StrEnum):
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENT_RECEIVED = "supplement_received"
    PAUSE_STARTED = "pause_started"
    PAUSE_ENDED = "pause_ended"
    EXTENDED = "extended"
    DEADLINE_SET = "deadline_set"


@dataclass(frozen=True, slots=True)
class ClockEvent:
    type: EventType
    date: dt.date
    reason: law.PauseReason | None = None  # pause_started
    days: int | None = None  # extended (None: the rule set's maximum)
    due: dt.date | None = None  # deadline_set

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type.value, "date": self.date.isoformat()}
        if self.reason is not None:
            out["reason"] = self.reason.value
        if self.days is not None:
            out["days"] = self.days
        if self.due is not None:
            out["due"] = self.due.isoformat()
        return out


@dataclass(frozen=True, slots=True)
class Timeline:
    received: dt.date
    events: tuple[ClockEvent, ...] = ()
    rules: str = "auto"

    @classmethod
    def from_json(cls, data: object) -> Timeline:
        """Read a timeline as INTERFACES.md describes it; errors name the field."""
        if not isinstance(data, Mapping):
            raise TimelineError("timeline: expected an object with 'received' and 'events'")
        received = _date(data.get("received"), "received")
        rules = data.get("rules", "auto")
        if rules not in ("auto", *law.RULE_SETS):
            raise TimelineError(
                f"rules: expected 'auto', {', '.join(repr(c) for c in law.RULE_SETS)}, got {rules!r}"
            )
        raw_events = data.get("events", [])
        if not isinstance(raw_events, list):
            raise TimelineError("events: expected a list")
        events = tuple(_event(raw, n) for n, raw in enumerate(raw_events, 1))
        return cls(received=received, events=events, rules=rules)

    def to_json(self) -> dict[str, Any]:
        return {
            "received": self.received.isoformat(),
            "rules": self.rules,
            "events": [e.to_json() for e in self.events],
        }


class TimelineError(ValueError):
    """A timeline that is not legal: the message names the event and what is wrong (for the
    ``caseflow deadline`` command); ``kind`` and ``dates`` say the same for programs, so that
    ``caseflow.cases.clock_refusals`` can tell a person in Chinese, naming the article."""

    def __init__(self, message: str, kind: str = "invalid", **dates: object) -> None:
        super().__init__(message)
        self.kind = kind
        self.dates = dates


def _date(value: object, where: str) -> dt.date:
    try:
        return parse_date(value, where)
    except ValueError as exc:
        raise TimelineError(str(exc)) from None


def _event(raw: object, n: int) -> ClockEvent:
    where = f"events[{n}]"
    if not isinstance(raw, Mapping):
        raise TimelineError(f"{where}: expected an object with 'type' and 'date'")
    kind = raw.get("type")
    try:
        etype = EventType(kind if isinstance(kind, str) else "")
    except ValueError:
        raise TimelineError(
            f"{where}.type: unknown event type {kind!r}; expected one of "
            f"{', '.join(e.value for e in EventType)}"
        ) from None
    date = _date(raw.get("date"), f"{where}.date")
    reason = days = due = None
    if etype is EventType.PAUSE_STARTED:
        raw_reason = raw.get("reason")
        try:
            reason = law.PauseReason(raw_reason if isinstance(raw_reason, str) else "")
        except ValueError:
            raise TimelineError(
                f"{where}.reason: expected 'consultation' or 'fee', got {raw_reason!r}"
            ) from None
    elif etype is EventType.EXTENDED and raw.get("days") is not None:
        days = raw["days"]
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise TimelineError(f"{where}.days: expected a whole number of working days >= 1")
    elif etype is EventType.DEADLINE_SET:
        due = _date(raw.get("due"), f"{where}.due")
    return ClockEvent(etype, date, reason, days, due)
