"""The deadline computation of the statutory clock: a request's timeline -> its deadlines, each step
worded by ``caseflow.clock.explain``.

This is the only deadline code in caseflow. The rules (DOMAIN.md section 3):

- The reply is due N working days after the receipt date (N from the rule set: 20, or 15 under
  the 2007 Regulation); counting starts the day after (Civil Code Art. 201).
- The supplement notice is due 7 working days after receipt (Art. 30), and may be sent once.
- A supplement received restarts the reply period from its receipt; an earlier extension, earlier
  pauses and an Art. 35 date no longer apply.
- A pause (consultation, fee) from date P to date R excludes the working days d with P < d <= R:
  the working days left at P are counted from R. A pause that starts on the deadline day counts (the
  last day runs to its end, Civil Code Art. 203); that day is used, no working day is left, and the
  reply is due on the first working day on or after R. A pause that starts after the deadline in
  force cannot stop a period that has run out.
- An extension adds its working days (at most the rule set's maximum), once, decided on or before
  the deadline in force. An Art. 35 date replaces the computed deadline: it is set on or before the
  deadline in force and is later than it (during a pause: later than the deadline the pause would
  give if it ended that day); a pause still open, or started later, no longer moves it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from caseflow import law
from caseflow.calendar import CalendarError, WorkingCalendar, default_calendar
from caseflow.clock import explain
from caseflow.clock.explain import Step
from caseflow.clock.timeline import ClockEvent, EventType, Timeline, TimelineError
from caseflow.dates import iso


class _Where:
    """Names an event in an error message; formatted only when an error is raised."""

    __slots__ = ("n", "event")

    def __init__(self, n: int, event: ClockEvent) -> None:
        self.n = n
        self.event = event

    def __format__(self, spec: str) -> str:
        return f"events[{self.n}] ({self.event.type.value} on {self.event.date.isoformat()})"


@dataclass(frozen=True, slots=True)
class Deadline:
    """The clock's answer for one timeline."""

    received: dt.date
    rules: law.RuleSet
    reply_due: dt.date | None
    supplement_notice_due: dt.date | None  # None: no limit (the 2007 Regulation set none)
    paused: bool
    pause_reason: str | None  # "supplement", "consultation", "fee" while paused
    provisional: bool
    extended_days: int
    explanation: tuple[Step, ...]
    years: tuple[int, ...] = field(default=())

    def working_days_left(self, as_of: dt.date, calendar: WorkingCalendar | None = None) -> int | None:
        """Working days from ``as_of`` to the reply deadline: 0 on the due day, < 0 when overdue.

        None while the clock is stopped (waiting for a supplement or inside a pause).
        """
        if self.reply_due is None:
            return None
        cal = calendar or default_calendar()
        left = cal.working_days_between(as_of, self.reply_due)
        # Overdue on a rest day right after the due day: no working day has passed, yet it is late.
        return min(left, -1) if as_of > self.reply_due else left

    def is_overdue(self, as_of: dt.date) -> bool:
        return self.reply_due is not None and as_of > self.reply_due

    def to_json(self) -> dict[str, Any]:
        return {
            "reply_due": iso(self.reply_due) if self.reply_due else None,
            "paused": self.paused,
            "supplement_notice_due": iso(self.supplement_notice_due) if self.supplement_notice_due else None,
            "provisional": self.provisional,
            "rules": self.rules.code,
            "extended_days": self.extended_days,
            "explanation": [s.to_json() for s in self.explanation],
        }

    def explanation_text(self) -> str:
        return "\n".join(f"{i}. {s.text}" for i, s in enumerate(self.explanation, 1))


def compute(timeline: Timeline, calendar: WorkingCalendar | None = None) -> Deadline:
    """The deadlines of a timeline, or a ``TimelineError`` naming the first illegal event."""
    cal = calendar or default_calendar()
    try:
        return _compute(timeline, cal)
    except CalendarError as exc:
        raise TimelineError(str(exc)) from None


def _resume(cal: WorkingCalendar, end: dt.date, left: int) -> dt.date:
    """The reply deadline when a pause ends on ``end`` with ``left`` working days of the period left.

    With none left (the pause started on the deadline day, which counts as used), the reply is due
    on ``end`` itself if it is a working day, else on the first working day after it.
    """
    if left > 0:
        return cal.add_working_days(end, left)
    return end if cal.is_working_day(end) else cal.add_working_days(end, 1)


def _compute(timeline: Timeline, cal: WorkingCalendar) -> Deadline:
    received = timeline.received
    try:
        rules = law.rules_for(received, timeline.rules)
    except law.RuleChoiceError as exc:
        raise TimelineError(str(exc)) from None
    steps: list[Step] = []
    add = steps.append

    notice_days = rules.supplement_notice_days
    supplement_notice_due = cal.add_working_days(received, notice_days) if notice_days else None
    base = received
    excluded = 0
    extended = 0
    extension_used = False
    art35_due: dt.date | None = None
    first_due = cal.add_working_days(received, rules.reply_days)
    due: dt.date | None = first_due
    add(explain.received(received, rules, first_due))
    add(explain.supplement_notice_due(rules, supplement_notice_due, due))
    supplement_requested = False
    waiting_supplement = False
    pause_start: dt.date | None = None
    ignored_pause: dt.date | None = None  # a pause that started when it could no longer stop the clock
    ignored_why = ""  # why the open ignored pause does not count
    pause_reason: law.PauseReason | None = None
    last_date = received
    span_end = max(first_due, supplement_notice_due or first_due)

    for n, ev in enumerate(timeline.events, 1):
        where = _Where(n, ev)
        if ev.date < last_date:
            raise TimelineError(
                f"{where}: events must be in date order; it is before "
                f"{'the receipt date' if n == 1 else 'the event before it'} ({last_date.isoformat()})",
                "date_order",
                before=last_date,
            )
        last_date = ev.date
        kind = ev.type
        if kind is EventType.SUPPLEMENT_REQUESTED:
            if supplement_requested:
                raise TimelineError(
                    f"{where}: a supplement may be requested only once (Art. 30)", "supplement_once"
                )
            if pause_start is not None:
                raise TimelineError(
                    f"{where}: the clock is paused since {pause_start.isoformat()}",
                    "clock_paused",
                    since=pause_start,
                )
            if supplement_notice_due is not None and ev.date > supplement_notice_due:
                raise TimelineError(
                    f"{where}: the supplement notice was due by {supplement_notice_due.isoformat()} "
                    f"({notice_days} working days after receipt, Art. 30)",
                    "supplement_late",
                    due=supplement_notice_due,
                )
            supplement_requested = waiting_supplement = True
            due = None
            add(explain.supplement_requested(ev.date, rules))
        elif kind is EventType.SUPPLEMENT_RECEIVED:
            if not waiting_supplement:
                raise TimelineError(f"{where}: no supplement was requested", "no_supplement")
            waiting_supplement = False
            base = ev.date
            excluded = extended = 0
            extension_used = False
            art35_due = None
            due = cal.add_working_days(base, rules.reply_days)
            # The restart voids what came before: only the new period's days matter from here.
            span_end = max(supplement_notice_due or due, due)
            add(explain.supplement_received(ev.date, rules, due))
        elif kind is EventType.PAUSE_STARTED:
            if waiting_supplement:
                raise TimelineError(
                    f"{where}: the clock is stopped while waiting for a supplement", "waiting_supplement"
                )
            open_since = pause_start or ignored_pause
            if open_since is not None:
                raise TimelineError(
                    f"{where}: a pause is already open since {open_since.isoformat()}",
                    "pause_open",
                    since=open_since,
                )
            assert ev.reason is not None
            if art35_due is not None:
                ignored_pause, ignored_why = ev.date, explain.STARTED_TOO_LATE
                add(explain.pause_ignored_after_art35(ev.date, ev.reason, art35_due, due))
            elif due is not None and ev.date > due:
                ignored_pause, ignored_why = ev.date, explain.STARTED_TOO_LATE
                add(explain.pause_ignored_after_due(ev.date, ev.reason, due))
            elif due is not None and ev.date == due:
                # The last day runs to its end: a pause that starts on it stops the period, and
                # the day counts as used (no working day is left when the pause ends).
                pause_start, pause_reason = ev.date, ev.reason
                due = None
                add(explain.pause_started_on_last_day(ev.date, ev.reason))
            else:
                pause_start, pause_reason = ev.date, ev.reason
                due = None
                add(explain.pause_started(ev.date, ev.reason))
        elif kind is EventType.PAUSE_ENDED:
            if ignored_pause is not None:
                add(explain.pause_ignored_end(ev.date, ignored_why, due))
                ignored_pause = None
                continue
            if pause_start is None or pause_reason is None:
                raise TimelineError(f"{where}: a pause ended that never started", "no_pause")
            start = max(pause_start, base)
            left = rules.reply_days + extended + excluded - cal.working_days_between(base, start)
            target = _resume(cal, ev.date, left)
            # The working days in (start, target] that were not left at the start do not count:
            # those up to the end, and with none left the first working day after a rest-day end.
            days_out = cal.working_days_between(start, target) - left
            excluded += days_out
            due = cal.add_working_days(base, rules.reply_days + extended + excluded)
            assert due == target, (due, target)
            span_end = max(span_end, due)
            add(explain.pause_ended(ev.date, pause_reason, pause_start, start, left, days_out, due))
            pause_start = pause_reason = None
        elif kind is EventType.EXTENDED:
            if waiting_supplement:
                raise TimelineError(
                    f"{where}: no reply period runs while waiting for a supplement", "waiting_supplement"
                )
            if extension_used:
                raise TimelineError(
                    f"{where}: the reply period may be extended only once (Art. 33)", "extension_limit"
                )
            if art35_due is not None:
                raise TimelineError(
                    f"{where}: the reply date was set under Art. 35; it cannot be extended",
                    "extension_after_art35",
                )
            days = rules.extension_max_days if ev.days is None else ev.days
            if days > rules.extension_max_days:
                raise TimelineError(
                    f"{where}: an extension of {days} working days exceeds the maximum of "
                    f"{rules.extension_max_days} under the {rules.code} rules",
                    "extension_too_long",
                    days=days,
                    maximum=rules.extension_max_days,
                )
            if due is not None and ev.date > due:
                raise TimelineError(
                    f"{where}: an extension must be decided by the deadline in force ({due.isoformat()})",
                    "extension_late",
                    due=due,
                )
            extension_used = True
            extended = days
            if pause_start is None:
                due = cal.add_working_days(base, rules.reply_days + extended + excluded)
                span_end = max(span_end, due)
            add(explain.extended(ev.date, rules, days, due))
        elif kind is EventType.DEADLINE_SET:
            assert ev.due is not None
            if waiting_supplement:
                raise TimelineError(
                    f"{where}: no reply period runs while waiting for a supplement", "waiting_supplement"
                )
            if ev.due <= ev.date:
                raise TimelineError(
                    f"{where}: the Art. 35 date {ev.due.isoformat()} must be after the decision",
                    "art35_before_decision",
                    due=ev.due,
                )
            art35 = f"(Art. 35 / {law.ART35_DELAY.basis.label}：{law.ART35_DATE_RULE})"
            if pause_start is not None:
                # Paused: the period has not run out; the deadline in force is the one the pause
                # would give if it ended on the decision day.
                left = rules.reply_days + extended + excluded - cal.working_days_between(base, pause_start)
                in_force = _resume(cal, ev.date, left)
            else:
                assert due is not None
                in_force = due
                if ev.date > in_force:
                    raise TimelineError(
                        f"{where}: an Art. 35 date must be set on or before the reply deadline in force "
                        f"({in_force.isoformat()}) {art35}",
                        "art35_decided_late",
                        in_force=in_force,
                    )
            if ev.due <= in_force:
                raise TimelineError(
                    f"{where}: the Art. 35 date {ev.due.isoformat()} must be later than the reply deadline "
                    f"in force ({in_force.isoformat()}) {art35}",
                    "art35_not_later",
                    due=ev.due,
                    in_force=in_force,
                )
            if pause_start is not None:
                # The open pause no longer moves the date; its end is recorded without effect.
                ignored_pause, ignored_why = pause_start, explain.fixed_under_art35()
                pause_start = pause_reason = None
            art35_due = due = ev.due
            add(explain.deadline_set(ev.date, due))

    paused = waiting_supplement or pause_start is not None
    if waiting_supplement:
        state = "supplement"
    elif pause_reason is not None:
        state = pause_reason.value
    else:
        state = None
    end = max(span_end, last_date)
    provisional = cal.is_provisional(received, end)
    years = tuple(range(received.year, end.year + 1))
    year_labels = cal.years_label(received.year, end.year)
    add(explain.reply_due(due, paused, waiting_supplement, year_labels, provisional, base))
    return Deadline(
        received=received,
        rules=rules,
        reply_due=None if paused else due,
        supplement_notice_due=supplement_notice_due,
        paused=paused,
        pause_reason=state,
        provisional=provisional,
        extended_days=extended,
        explanation=tuple(steps),
        years=years,
    )


def compute_json(data: object, calendar: WorkingCalendar | None = None) -> dict[str, Any]:
    """INTERFACES.md's output object for one timeline object (without the id)."""
    return compute(Timeline.from_json(data), calendar).to_json()


def batch_line(line: str, lineno: int, calendar: WorkingCalendar) -> tuple[dict[str, Any], bool]:
    """One line of ``caseflow deadline --batch``: (output object, ok)."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"line {lineno}: not valid JSON: {exc.msg}"}, False
    if not isinstance(obj, dict):
        return {"id": None, "error": f"line {lineno}: expected a JSON object"}, False
    ident = obj.get("id")
    if "timeline" not in obj:
        return {"id": ident, "error": f"line {lineno}: missing 'timeline'"}, False
    try:
        result = compute(Timeline.from_json(obj["timeline"]), calendar)
    except TimelineError as exc:
        return {"id": ident, "error": f"line {lineno}: {exc}"}, False
    return {"id": ident, **result.to_json()}, True
