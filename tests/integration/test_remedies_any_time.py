"""Review and litigation records at any time after registration (issue 14, item 11), both databases.

A failure to reply in time (逾期不答复) is challenged while the request is still open: the record is
taken in any state but ``withdrawn``, dated no earlier than the receipt date (a decision: no earlier
than the decision), says what it challenges, counts in table 四 of its filing year, and is concluded
in any state. ``caseflow verify`` accepts it.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlmodel import col, select

from caseflow import law
from caseflow.dates import SHANGHAI, zh
from caseflow.errors import FactsError, IllegalTransition, RuleViolation
from caseflow.evidence.dbcheck import check_database
from caseflow.models import Agency
from caseflow.reports.annual import annual_report
from caseflow.reports.annual_tables import empty_table4
from caseflow.states.machine import State
from tests.integration.conftest import World
from tests.integration.test_pages import assert_html_page, browser, text_of
from tests.integration.test_transitions import PROVIDED, WITHDRAW, Flow, last_event
from tests.integration.webapp import Web

D = dt.date
DAY = dt.timedelta(days=1)
RECEIVED = dt.datetime(2025, 12, 1, 9, 30, tzinfo=SHANGHAI)  # a Monday
REVIEW = {"body": "某市人民政府", "reference_no": "某政复〔2026〕3号"}


def on(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=SHANGHAI)


def table4(world: World, year: int) -> dict[str, dict[str, int]]:
    world.session.expire_all()
    city = world.session.exec(select(Agency).where(col(Agency.code) == "city")).one()
    return annual_report(world.session, city, year).table4


def verify_clean(world: World) -> None:
    report = check_database(world.session.get_bind())  # type: ignore[arg-type]
    assert report.intact, [str(p) for p in [*report.broken, *report.findings]]


def test_review_of_a_missed_deadline_on_an_open_request(world: World) -> None:
    fl = Flow(world, at=RECEIVED)
    assert fl.case.state == State.RECEIVED and fl.case.reply_due is not None
    filed = D(2026, 1, 6)
    assert fl.case.reply_due < filed  # the deadline has passed without a reply
    facts = {**REVIEW, "filed_on": filed.isoformat()}

    # Nothing decided yet: a record that says it challenges a decision is refused, naming Art. 51.
    err = fl.refused(FactsError, "record_review", {**facts, "subject": "decision"}, at=on(filed))
    assert [f for f, _ in err.errors] == ["subject"]
    assert "逾期不答复" in err.errors[0][1] and law.REMEDY_ANY_TIME_BASIS.label in err.errors[0][1]

    case = fl.act("record_review", facts, at=on(filed))
    assert case.state == State.RECEIVED  # the request stays where it was
    (record,) = fl.remedies()
    assert (record.kind, record.subject, record.filed_on, record.result) == (
        "review",
        "no_reply",
        filed,
        None,
    )
    body = json.loads(last_event(world, fl.id).payload)
    assert body["facts"]["subject"] == "no_reply" and body["facts"]["record_id"] == record.id
    assert law.REMEDY_ANY_TIME_BASIS.label in body["basis"] and law.REVIEW_BASIS.label in body["basis"]

    # Table 四 counts it by its filing date: pending in 2026, nothing in 2025.
    assert table4(world, 2025) == empty_table4()
    expected = empty_table4()
    expected["review"].update(pending=1, total=1)
    assert table4(world, 2026) == expected

    # Concluded while the request is still open.
    concluded = D(2026, 3, 2)
    conclusion = {"record_id": record.id, "result": "corrected", "concluded_on": concluded.isoformat()}
    case = fl.act("conclude_remedy", conclusion, actor="reviewer", at=on(concluded))
    assert case.state == State.RECEIVED
    assert fl.remedies()[0].result == "corrected"
    expected["review"].update(corrected=1, pending=0, total=1)
    assert table4(world, 2026) == expected
    verify_clean(world)


@pytest.mark.parametrize("action", ["record_review", "record_litigation"])
def test_filed_on_boundary_is_the_receipt_date(world: World, action: str) -> None:
    fl = Flow(world, at=RECEIVED)
    base = REVIEW if action == "record_review" else {"court": "某市中级人民法院", "path": "direct"}
    day_before = RECEIVED.date() - DAY
    err = fl.refused(FactsError, action, {**base, "filed_on": day_before.isoformat()}, at=RECEIVED + DAY)
    assert [f for f, _ in err.errors] == ["filed_on"] and zh(RECEIVED.date()) in err.errors[0][1]
    fl.act(action, {**base, "filed_on": RECEIVED.date().isoformat()}, at=RECEIVED + DAY)
    assert fl.remedies()[0].subject == "no_reply"
    verify_clean(world)


def test_a_review_filed_before_the_reply_and_entered_after_it(world: World) -> None:
    """The applicant filed against the delay; the clerk learns of it after the reply was issued."""
    fl = Flow(world, at=RECEIVED)
    fl.act("draft_reply", PROVIDED, at=on(D(2026, 1, 7)))
    fl.act("confidentiality_review", {"conclusion": "agree"}, actor="reviewer", at=on(D(2026, 1, 7)))
    case = fl.act("issue_reply", {}, at=on(D(2026, 1, 8)))
    assert case.state == State.ANSWERED and case.answered_on == D(2026, 1, 8)
    filed = {**REVIEW, "filed_on": "2026-01-06"}
    # By default a record on an answered request challenges the reply: not before its date.
    err = fl.refused(FactsError, "record_review", filed, at=on(D(2026, 1, 12)))
    assert [f for f, _ in err.errors] == ["filed_on"]
    fl.act("record_review", {**filed, "subject": "no_reply"}, at=on(D(2026, 1, 12)))
    fl.act("record_review", {**REVIEW, "filed_on": "2026-01-08"}, at=on(D(2026, 1, 13)))
    assert [(r.subject, r.filed_on) for r in fl.remedies()] == [
        ("no_reply", D(2026, 1, 6)),
        ("decision", D(2026, 1, 8)),
    ]
    verify_clean(world)


def test_withdrawn_request_refuses_new_records_but_concludes_an_earlier_one(world: World) -> None:
    fl = Flow(world, at=RECEIVED)
    fl.act(
        "record_litigation",
        {"court": "某市中级人民法院", "path": "direct", "filed_on": "2026-01-06"},
        at=on(D(2026, 1, 6)),
    )
    fl.act("withdraw", {**WITHDRAW, "withdrawn_on": "2026-01-07"}, at=on(D(2026, 1, 7)))
    assert fl.case.state == State.WITHDRAWN
    err = fl.refused(
        IllegalTransition, "record_review", {**REVIEW, "filed_on": "2026-01-08"}, at=on(D(2026, 1, 8))
    )
    assert err.state == State.WITHDRAWN
    (record,) = fl.remedies()
    conclusion = {"record_id": record.id, "result": "other", "concluded_on": "2026-02-02"}
    fl.act("conclude_remedy", conclusion, at=on(D(2026, 2, 2)))
    fl.act("archive", at=on(D(2026, 2, 3)))
    fl.refused(RuleViolation, "record_review", {**REVIEW, "filed_on": "2026-02-04"}, at=on(D(2026, 2, 4)))
    expected = empty_table4()
    expected["litigation_direct"].update(other=1, total=1)
    assert table4(world, 2026) == expected
    verify_clean(world)


# --- The case workspace offers it on an open request ------------------------------------------------


def test_workspace_records_a_review_of_no_reply_on_an_open_request(web: Web) -> None:
    case = web.world.new_case(at=RECEIVED)
    client = browser(web, "clerk")
    page = assert_html_page(client.get(f"/cases/{case.id}"), 200, case.tracking_no)
    forms = dict(
        re.findall(r'<form method="post" action="/cases/\d+/actions/([a-z_]+)">(.*?)</form>', page, re.S)
    )
    assert {"record_review", "record_litigation", "conclude_remedy"} <= set(forms)
    assert 'name="subject"' in forms["record_review"] and "逾期不答复" in forms["record_review"]
    csrf = web.csrf(client, f"/cases/{case.id}")
    form = {"body": "某市人民政府", "filed_on": "2026-01-06", "csrf_token": csrf}
    refused = client.post(f"/cases/{case.id}/actions/record_review", data={**form, "subject": "decision"})
    assert refused.status_code == 422 and "逾期不答复" in text_of(refused.text)
    assert web.events(case.id or 0) == 1
    done = client.post(f"/cases/{case.id}/actions/record_review", data=form)
    assert done.status_code == 303, done.text[:300]
    assert web.events(case.id or 0) == 2 and web.case(case.id or 0).state == State.RECEIVED
