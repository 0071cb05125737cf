"""A consultation started on the reply-deadline day pauses the request (the last day runs to its end,
Civil Code Art. 203); the reply is then due on the day the opinion arrives (the first working day on
or after it). One started the day after the deadline does not revive the period. SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest

from caseflow import clock
from caseflow.dates import SHANGHAI
from caseflow.evidence.chain import verify_all
from caseflow.models import Case
from tests.integration.conftest import T0, World

D = dt.date
CONSULT = {"party_kind": "third_party", "party_name": "某建设工程有限公司", "matters": "预算表中的商业信息"}
#: Received Monday 2026-09-28 (T0): 20 working days (国庆 2026-10-01..07, 10-10 a working Saturday)
#: end on Friday 2026-10-30.
DUE = D(2026, 10, 30)


def on(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 30), tzinfo=SHANGHAI)


def explained(case: Case) -> clock.Deadline:
    return clock.compute(
        clock.Timeline.from_json({"received": case.receipt_date.isoformat(), "events": case.ledger})
    )


def test_the_deadline_of_the_request_is_the_friday(world: World) -> None:
    case = world.new_case()
    assert case.receipt_date == T0.date() and case.reply_due == DUE


@pytest.mark.parametrize(
    ("opinion_on", "reply_due"),
    [
        pytest.param(D(2026, 11, 10), D(2026, 11, 10), id="opinion-on-a-working-day"),
        pytest.param(D(2026, 11, 7), D(2026, 11, 9), id="opinion-on-a-saturday"),
        pytest.param(DUE, DUE, id="opinion-the-same-day"),
    ],
)
def test_a_consultation_started_on_the_deadline_day_pauses_until_the_opinion(
    world: World, opinion_on: dt.date, reply_due: dt.date
) -> None:
    case = world.new_case()
    # late on the last day: the day runs to its end
    case = world.act(case, "start_consultation", CONSULT, at=on(DUE, 17))
    assert case.state == "consultation"
    assert (case.paused, case.pause_reason, case.reply_due) == (True, "consultation", None)
    last = case.ledger[-1]
    assert (last["type"], last["date"], last["reason"]) == ("pause_started", DUE.isoformat(), "consultation")
    started = [s for s in explained(case).explanation if s.kind == "pause_started"][0]
    assert "于期限届满之日开始" in started.text and "该日计入已用期限" in started.text
    assert "第二百零三条" in started.text

    case = world.act(case, "receive_opinion", {"opinion": "consent"}, at=on(opinion_on, 16))
    assert case.state == "received"
    assert (case.paused, case.pause_reason, case.reply_due) == (False, None, reply_due)
    deadline = explained(case)
    assert deadline.reply_due == reply_due
    assert not deadline.is_overdue(reply_due)
    assert deadline.is_overdue(reply_due + dt.timedelta(days=1))
    stored = world.session.get(Case, case.id)
    assert stored is not None and stored.reply_due == reply_due
    assert verify_all(world.session) == (1, None)


def test_a_consultation_started_the_day_after_the_deadline_does_not_revive_it(world: World) -> None:
    case = world.new_case()
    case = world.act(case, "start_consultation", CONSULT, at=on(DUE + dt.timedelta(days=1)))
    assert case.state == "consultation"
    assert (case.paused, case.reply_due) == (False, DUE)
    assert explained(case).is_overdue(DUE + dt.timedelta(days=1))
    case = world.act(case, "receive_opinion", {"opinion": "consent"}, at=on(D(2026, 11, 10)))
    assert (case.paused, case.reply_due) == (False, DUE)
    assert verify_all(world.session) == (1, None)
