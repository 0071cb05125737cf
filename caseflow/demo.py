"""Realistic request timelines for demonstrations and benchmarks, reproducible from a seed.

The mix follows what offices report: most requests are answered within the period; some need a
supplement, a consultation with a third party, a fee; a few are extended or get an Art. 35 date.
Every generated timeline is legal (the clock accepts it).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from stdnum.cn import ric, uscc

from caseflow import law
from caseflow.calendar import WorkingCalendar
from caseflow.clock import ClockEvent, EventType, Timeline


def random_timeline(
    rng: random.Random, cal: WorkingCalendar, first: dt.date, last: dt.date, rules: law.RuleSet | None = None
) -> Timeline:
    """One timeline received between ``first`` and ``last`` with a plausible sequence of events."""
    span = (last - first).days
    received = first + dt.timedelta(days=rng.randrange(span + 1))
    rs = rules or law.rules_for(received)
    events: list[ClockEvent] = []
    day = received
    assert law.SUPPLEMENT_NOTICE.days is not None
    if rng.random() < 0.15:  # supplement requested within the 7 working days, received later
        ask = cal.add_working_days(received, rng.randint(1, law.SUPPLEMENT_NOTICE.days))
        events.append(ClockEvent(EventType.SUPPLEMENT_REQUESTED, ask))
        if rng.random() < 0.85:
            day = cal.add_working_days(ask, rng.randint(1, 15))
            events.append(ClockEvent(EventType.SUPPLEMENT_RECEIVED, day))
        else:
            return Timeline(received, tuple(events))
    due_days = rs.reply_days
    if rng.random() < 0.2:  # a consultation or a fee notice pauses the clock
        start = cal.add_working_days(day, rng.randint(1, due_days - 2))
        # A fee notice only where the Fee Measures apply (received from 2021-01-01, not under 2007).
        fee = rng.random() >= 0.7 and rs.fees_allowed and received >= law.FEE_MEASURES_IN_FORCE
        reason = law.PauseReason.FEE if fee else law.PauseReason.CONSULTATION
        events.append(ClockEvent(EventType.PAUSE_STARTED, start, reason=reason))
        if rng.random() < 0.9:
            day = cal.add_working_days(start, rng.randint(1, 15))
            events.append(ClockEvent(EventType.PAUSE_ENDED, day))
        else:
            return Timeline(received, tuple(events))
    if rng.random() < 0.08:  # extended, decided before the deadline in force
        events.append(
            ClockEvent(
                EventType.EXTENDED,
                max(day, cal.add_working_days(day, 1)),
                days=rng.choice([None, 10, rs.extension_max_days]),
            )
        )
    elif rng.random() < 0.01:
        decided = cal.add_working_days(day, 1)
        events.append(
            ClockEvent(EventType.DEADLINE_SET, decided, due=decided + dt.timedelta(days=rng.randint(40, 90)))
        )
    return Timeline(received, tuple(events))


def timelines(n: int, seed: int, cal: WorkingCalendar, first: dt.date, last: dt.date) -> Iterator[Timeline]:
    rng = random.Random(seed)
    for _ in range(n):
        yield random_timeline(rng, cal, first, last)


def resident_id(draw: int) -> str:
    """A 居民身份证 number of someone born in 1990 in 北京市东城区, with its GB 11643 check digit."""
    born = dt.date(1990, 1, 1) + dt.timedelta(days=draw % 365)
    body = f"110101{born:%Y%m%d}{draw // 365 % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(draw: int) -> str:
    """A 统一社会信用代码 of an enterprise registered in 北京市, with its GB 32100 check character."""
    body = f"91110000MA{draw % 10**7:07d}"
    return body + uscc.calc_check_digit(body)
