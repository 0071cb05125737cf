"""Properties of the statutory clock (DOMAIN.md section 3), checked with hypothesis."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from caseflow import law
from caseflow.calendar import WorkingCalendar
from caseflow.clock import ClockEvent, Deadline, EventType, Timeline, compute

D = dt.date
FIRST = D(2008, 5, 1)
LAST = D(2026, 6, 30)
PROPS = settings(max_examples=200, deadline=None)

receipts = st.dates(min_value=FIRST, max_value=LAST)
reasons = st.sampled_from(list(law.PauseReason))


def ev(
    kind: EventType, date: dt.date, reason: law.PauseReason | None = None, days: int | None = None
) -> ClockEvent:
    return ClockEvent(kind, date, reason=reason, days=days)


def run(
    received: dt.date, events: list[ClockEvent] | tuple[ClockEvent, ...] = (), rules: str = "auto"
) -> Deadline:
    return compute(Timeline(received, tuple(events), rules))


def plus(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@dataclass
class Legal:
    """A legal timeline built by the strategy below, with what the builder knew."""

    received: dt.date
    events: list[ClockEvent]
    extension_used: bool

    @property
    def last_date(self) -> dt.date:
        return self.events[-1].date if self.events else self.received


@st.composite
def legal_timelines(
    draw: st.DrawFn, allow_extension: bool = True, received_on: st.SearchStrategy[dt.date] = receipts
) -> Legal:
    """A receipt and up to four legal steps: a closed pause, an extension, a supplement round trip.

    Every step is placed where the law allows it, using the deadline in force so far; the timeline
    never ends paused.
    """
    received = draw(received_on)
    events: list[ClockEvent] = []
    extension_used = supplement_used = False
    for _ in range(draw(st.integers(0, 4))):
        current = run(received, events)
        assert current.reply_due is not None
        last = events[-1].date if events else received
        due = current.reply_due
        options = ["pause"]
        if allow_extension and not extension_used:
            options.append("extension")
        # the 2007 Regulation set no limit for the notice: any day up to the reply deadline
        notice_limit = current.supplement_notice_due or due
        if not supplement_used and last <= notice_limit:
            options.append("supplement")
        choice = draw(st.sampled_from(options))
        if choice == "pause":
            if last > due:
                continue  # a pause cannot stop a period that has run out
            # up to the deadline day itself: the last day runs to its end (Civil Code Art. 203)
            start = last + plus(draw(st.integers(0, (due - last).days)))
            end = start + plus(draw(st.integers(0, 40)))
            events += [
                ev(EventType.PAUSE_STARTED, start, reason=draw(reasons)),
                ev(EventType.PAUSE_ENDED, end),
            ]
        elif choice == "extension":
            if last > due:
                continue
            when = last + plus(draw(st.integers(0, (due - last).days)))
            k = draw(st.integers(1, current.rules.extension_max_days))
            events.append(ev(EventType.EXTENDED, when, days=k))
            extension_used = True
        else:
            asked = last + plus(draw(st.integers(0, (notice_limit - last).days)))
            got = asked + plus(draw(st.integers(0, 60)))
            events += [ev(EventType.SUPPLEMENT_REQUESTED, asked), ev(EventType.SUPPLEMENT_RECEIVED, got)]
            supplement_used = True
            extension_used = False  # a supplement voids an earlier extension
    return Legal(received, events, extension_used)


@PROPS
@given(t=legal_timelines())
def test_a_reply_deadline_is_always_a_working_day(cal: WorkingCalendar, t: Legal) -> None:
    result = run(t.received, t.events)
    assert not result.paused
    assert result.reply_due is not None
    assert cal.is_working_day(result.reply_due)
    assert result.reply_due > t.received
    notice = result.supplement_notice_due
    assert (notice is None) == (result.rules.code == "2007")  # no limit under the 2007 Regulation
    assert notice is None or cal.is_working_day(notice)


@PROPS
@given(received=receipts)
def test_a_deadline_without_events_is_the_nth_working_day_after_receipt(
    cal: WorkingCalendar, received: dt.date
) -> None:
    result = run(received)
    n = result.rules.reply_days
    assert result.reply_due == cal.add_working_days(received, n)
    assert cal.working_days_between(received, result.reply_due) == n
    assert not result.paused and not result.provisional


saturdays = st.dates(min_value=D(2008, 5, 3), max_value=LAST).map(lambda d: d + plus((5 - d.weekday()) % 7))


@PROPS
@given(saturday=saturdays)
def test_a_saturday_receipt_falls_due_with_the_friday_before(cal: WorkingCalendar, saturday: dt.date) -> None:
    assert saturday.weekday() == 5
    assume(not cal.is_working_day(saturday))  # a 调休 Saturday is a working day and counts
    friday = saturday - plus(1)
    assert run(saturday).reply_due == run(friday).reply_due
    assert run(saturday).supplement_notice_due == run(friday).supplement_notice_due


@PROPS
@given(saturday=saturdays)
def test_a_sunday_receipt_falls_due_with_the_friday_before(cal: WorkingCalendar, saturday: dt.date) -> None:
    sunday = saturday + plus(1)
    assume(not cal.is_working_day(saturday) and not cal.is_working_day(sunday))
    friday = saturday - plus(1)
    assert run(sunday).reply_due == run(friday).reply_due
    assert run(sunday).supplement_notice_due == run(friday).supplement_notice_due


def test_a_working_saturday_counts_as_a_day() -> None:
    # 2026-02-14 is a 调休 Saturday: the Friday before falls due one working day earlier
    assert run(D(2026, 2, 13)).reply_due == D(2026, 3, 19)
    assert run(D(2026, 2, 14)).reply_due == D(2026, 3, 20)


@PROPS
@given(t=legal_timelines(), data=st.data())
def test_adding_a_pause_never_makes_a_deadline_earlier(
    cal: WorkingCalendar, t: Legal, data: st.DataObject
) -> None:
    before = run(t.received, t.events)
    assert before.reply_due is not None
    last = t.last_date
    assume(last < before.reply_due)
    start = last + plus(data.draw(st.integers(0, (before.reply_due - last).days - 1)))
    end = start + plus(data.draw(st.integers(0, 60)))
    pause = [ev(EventType.PAUSE_STARTED, start, reason=data.draw(reasons)), ev(EventType.PAUSE_ENDED, end)]
    after = run(t.received, [*t.events, *pause])
    assert after.reply_due is not None
    assert after.reply_due >= before.reply_due
    # exactly the working days in (start, end] are added
    assert cal.working_days_between(before.reply_due, after.reply_due) == cal.working_days_between(start, end)


def first_working_day_from(cal: WorkingCalendar, day: dt.date) -> dt.date:
    return day if cal.is_working_day(day) else cal.add_working_days(day, 1)


@PROPS
@given(t=legal_timelines(), data=st.data())
def test_a_pause_starting_on_the_deadline_day_ends_with_the_first_working_day_from_its_end(
    cal: WorkingCalendar, t: Legal, data: st.DataObject
) -> None:
    """The deadline day counts as used: no working day is left when the pause ends."""
    before = run(t.received, t.events)
    due = before.reply_due
    assert due is not None
    assume(t.last_date <= due)
    end = due + plus(data.draw(st.integers(0, 60)))
    paused = [*t.events, ev(EventType.PAUSE_STARTED, due, reason=data.draw(reasons))]
    assert run(t.received, paused).paused
    after = run(t.received, [*paused, ev(EventType.PAUSE_ENDED, end)])
    assert after.reply_due == first_working_day_from(cal, end)
    assert after.reply_due >= end and after.reply_due >= due
    # the new deadline is a deadline like any other: an extension decided on it adds exactly its days
    k = data.draw(st.integers(1, before.rules.extension_max_days))
    if not t.extension_used:
        extended = run(
            t.received,
            [*paused, ev(EventType.PAUSE_ENDED, end), ev(EventType.EXTENDED, after.reply_due, days=k)],
        )
        assert extended.reply_due is not None
        assert cal.working_days_between(after.reply_due, extended.reply_due) == k
        # decided during the pause instead, the days are counted from its end
        during = run(
            t.received, [*paused, ev(EventType.EXTENDED, due, days=k), ev(EventType.PAUSE_ENDED, end)]
        )
        assert during.reply_due == cal.add_working_days(end, k)


@PROPS
@given(t=legal_timelines(), data=st.data())
def test_a_pause_starting_after_the_deadline_changes_nothing(t: Legal, data: st.DataObject) -> None:
    before = run(t.received, t.events)
    due = before.reply_due
    assert due is not None
    start = max(due, t.last_date) + plus(data.draw(st.integers(1, 10)))
    end = start + plus(data.draw(st.integers(0, 30)))
    pause = [ev(EventType.PAUSE_STARTED, start, reason=data.draw(reasons)), ev(EventType.PAUSE_ENDED, end)]
    assert run(t.received, [*t.events, pause[0]]).reply_due == due
    assert run(t.received, [*t.events, *pause]).reply_due == due


@PROPS
@given(received=receipts, data=st.data())
def test_a_pause_before_an_extension_never_makes_the_deadline_earlier(
    received: dt.date, data: st.DataObject
) -> None:
    due = run(received).reply_due
    assert due is not None
    start = received + plus(data.draw(st.integers(0, (due - received).days - 1)))
    end = start + plus(data.draw(st.integers(0, 30)))
    when = max(end, received) + plus(data.draw(st.integers(0, max(0, (due - end).days))))
    assume(when <= due)
    extension = ev(EventType.EXTENDED, when, days=data.draw(st.integers(1, 15)))
    without = run(received, [extension]).reply_due
    with_pause = run(
        received,
        [
            ev(EventType.PAUSE_STARTED, start, reason=law.PauseReason.FEE),
            ev(EventType.PAUSE_ENDED, end),
            extension,
        ],
    ).reply_due
    assert without is not None and with_pause is not None
    assert with_pause >= without


@PROPS
@given(t=legal_timelines(allow_extension=False), data=st.data())
def test_an_extension_moves_the_deadline_by_exactly_its_working_days(
    cal: WorkingCalendar, t: Legal, data: st.DataObject
) -> None:
    before = run(t.received, t.events)
    assert before.reply_due is not None
    last = t.last_date
    assume(last <= before.reply_due)
    when = last + plus(data.draw(st.integers(0, (before.reply_due - last).days)))
    k = data.draw(st.integers(1, before.rules.extension_max_days))
    after = run(t.received, [*t.events, ev(EventType.EXTENDED, when, days=k)])
    assert after.reply_due is not None
    assert cal.working_days_between(before.reply_due, after.reply_due) == k
    assert after.extended_days == k
    # without "days" the extension is the rule set's maximum
    full = run(t.received, [*t.events, ev(EventType.EXTENDED, when)])
    assert full.reply_due is not None
    assert cal.working_days_between(before.reply_due, full.reply_due) == before.rules.extension_max_days


def test_the_2007_and_2019_rules_meet_on_2019_05_15(cal: WorkingCalendar) -> None:
    last_2007 = run(D(2019, 5, 14))
    first_2019 = run(D(2019, 5, 15))
    assert (last_2007.rules.code, last_2007.rules.reply_days) == ("2007", 15)
    assert (first_2019.rules.code, first_2019.rules.reply_days) == ("2019", 20)
    assert last_2007.reply_due == D(2019, 6, 4)
    assert first_2019.reply_due == D(2019, 6, 13)
    assert cal.working_days_between(D(2019, 5, 14), D(2019, 6, 4)) == 15
    assert cal.working_days_between(D(2019, 5, 15), D(2019, 6, 13)) == 20


@PROPS
@given(received=receipts)
def test_auto_rules_follow_the_receipt_date(received: dt.date) -> None:
    auto = run(received, rules="auto")
    expected = "2019" if received >= D(2019, 5, 15) else "2007"
    explicit = run(received, rules=expected)
    assert auto.rules.code == expected
    assert auto.reply_due == explicit.reply_due
    assert auto.to_json() == explicit.to_json()
    other = run(received, rules="2007" if expected == "2019" else "2019")
    assert other.reply_due != auto.reply_due


@PROPS
@given(t=legal_timelines())
def test_the_supplement_notice_is_due_7_working_days_after_receipt_whatever_follows(
    cal: WorkingCalendar, t: Legal
) -> None:
    result = run(t.received, t.events)
    if result.rules.code == "2007":  # Art. 21(4) of 2007 set no period for the notice
        assert result.supplement_notice_due is None
        return
    assert result.supplement_notice_due == cal.add_working_days(t.received, 7)
    assert result.supplement_notice_due == run(t.received).supplement_notice_due
    assert cal.working_days_between(t.received, result.supplement_notice_due) == 7


@PROPS
@given(received=receipts, data=st.data())
def test_a_supplement_restarts_the_period_and_voids_the_extension(
    cal: WorkingCalendar, received: dt.date, data: st.DataObject
) -> None:
    plain = run(received)
    assert plain.reply_due is not None
    notice_due = plain.supplement_notice_due or plain.reply_due  # 2007: no limit of its own
    events: list[ClockEvent] = []
    extended_on = received + plus(data.draw(st.integers(0, (notice_due - received).days)))
    events.append(ev(EventType.EXTENDED, extended_on, days=data.draw(st.integers(1, 15))))
    if data.draw(st.booleans()):
        start = extended_on
        end = start + plus(data.draw(st.integers(0, (notice_due - start).days)))
        events += [
            ev(EventType.PAUSE_STARTED, start, reason=data.draw(reasons)),
            ev(EventType.PAUSE_ENDED, end),
        ]
    asked = events[-1].date + plus(data.draw(st.integers(0, (notice_due - events[-1].date).days)))
    events.append(ev(EventType.SUPPLEMENT_REQUESTED, asked))
    waiting = run(received, events)
    assert waiting.paused and waiting.reply_due is None and waiting.pause_reason == "supplement"
    got = asked + plus(data.draw(st.integers(0, 90)))
    events.append(ev(EventType.SUPPLEMENT_RECEIVED, got))
    result = run(received, events)
    assert not result.paused
    assert result.reply_due == cal.add_working_days(got, result.rules.reply_days)
    assert result.extended_days == 0
    assert result.supplement_notice_due == plain.supplement_notice_due
    # after the restart, a new extension is allowed again
    again = run(received, [*events, ev(EventType.EXTENDED, got, days=3)])
    assert again.reply_due == cal.add_working_days(got, result.rules.reply_days + 3)


@PROPS
@given(t=legal_timelines(received_on=st.dates(min_value=D(2026, 7, 1), max_value=D(2026, 12, 31))))
def test_a_deadline_is_provisional_exactly_when_it_reaches_an_unofficial_year(t: Legal) -> None:
    """2027 has no official schedule (only the library's estimate) until its notice is loaded."""
    result = run(t.received, t.events)
    assert result.reply_due is not None
    if result.reply_due.year >= 2027:
        assert result.provisional, f"reply due {result.reply_due} but not provisional: {t.events}"
        assert "暂定" in result.explanation[-1].text
    elif all(e.date.year <= 2026 for e in t.events):
        assert not result.provisional
