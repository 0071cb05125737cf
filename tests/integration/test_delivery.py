"""Delivery (送达) of the notices that start a period for their recipient, and the periods counted
from it (issue 14 item 1), through the service on SQLite and PostgreSQL.

Each period runs from the day after the recipient received the letter: a letter delivered a week
after its date ends its period a week of working days later than a count from its own date would;
the last day and the day after are checked, and nothing lapses before a delivery is recorded.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from caseflow import law
from caseflow.calendar import default_calendar
from caseflow.cases import delivery
from caseflow.dates import SHANGHAI, zh
from caseflow.errors import FactsError, Forbidden, RuleViolation
from caseflow.evidence.store import DocumentStore
from caseflow.models import Case, Consultation, EvidenceEvent, FeeAssessment, Letter, NoticeDelivery
from caseflow.scheduled.lapses import sweep_lapses
from tests.integration.conftest import World
from tests.integration.conftest import refused_unchanged as refused

D = dt.date
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)
SUPPLEMENT = {"items": ["所需信息的具体名称或文号"]}
CONSULT = {"party_kind": "third_party", "party_name": "某建设工程有限公司", "matters": "预算表中的商业信息"}
CONSULT_AGENCY = {"party_kind": "co_producer", "party_name": "某市财政局", "matters": "共同制作的预算文件"}
FEE = {"method": "per_page", "pages": 150}
NOTICE_DAY = D(2026, 9, 29)  # a Tuesday: the letters' date
RECEIVED = NOTICE_DAY + WEEK  # a week after the letter's date (in the National Day holiday)


def on(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 30), tzinfo=SHANGHAI)


def deliver(world: World, case: Case, document: str, received: dt.date, *, at: dt.date | None = None) -> Case:
    facts = {
        "document": document,
        "method": "post",
        "proof": "EMS1234567890CN 本人签收",
        "received_on": received,
    }
    return world.act(case, "record_notice_delivery", facts, at=on(at or received + DAY))


def letter_html(world: World, case: Case, doc_type: str) -> str:
    letter = delivery.latest_letter(world.session, case.id or 0, doc_type)
    assert letter is not None
    return DocumentStore().read(letter.html_sha256, world.session).decode()


def last_event(world: World, case: Case) -> dict[str, Any]:
    payload = world.session.exec(
        select(EvidenceEvent.payload)
        .where(col(EvidenceEvent.case_id) == case.id)
        .order_by(col(EvidenceEvent.seq).desc())
    ).first()
    assert payload is not None
    return dict(json.loads(payload))


# --- The supplement period (Art. 30) ---------------------------------------------------------------


def test_supplement_period_runs_from_the_delivery(world: World) -> None:
    cal = default_calendar()
    case = world.act(world.new_case(), "request_supplement", SUPPLEMENT, at=on(NOTICE_DAY))
    assert case.supplement_due is None and case.supplement_days == law.APPLICANT_SUPPLEMENT.days
    html = letter_html(world, case, "supplement_notice")
    assert f"自收到本告知书之次日起{law.APPLICANT_SUPPLEMENT.days}个工作日内" in html
    from_letter = cal.add_working_days(NOTICE_DAY, 15)
    assert zh(from_letter) not in html  # the notice states the period, not a date from its own date

    case = deliver(world, case, "supplement_notice", RECEIVED)
    due = cal.add_working_days(RECEIVED, 15)
    assert case.supplement_due == due and due > from_letter
    event = last_event(world, case)
    assert event["action"] == "record_notice_delivery"
    assert event["facts"]["received_on"] == RECEIVED.isoformat()
    assert event["facts"]["supplement_due"] == due.isoformat()
    letter = delivery.latest_letter(world.session, case.id or 0, "supplement_notice")
    assert letter is not None
    assert (event["facts"]["letter_no"], event["facts"]["html_sha256"]) == (
        letter.letter_no,
        letter.html_sha256,
    )
    assert delivery.received_on(world.session, case.id or 0, "supplement_notice") == RECEIVED

    # The clerk confirms the lapse only after the period counted from delivery: the last day no.
    err = refused(world, case, RuleViolation, "lapse_supplement", None, at=on(due, 20))
    assert "第三十条" in err.message and zh(due) in err.message and zh(RECEIVED) in err.message
    case = world.act(case, "lapse_supplement", None, at=on(due + DAY))
    assert (case.state, case.outcome, case.closed_on) == ("closed", "other.no_supplement", due + DAY)
    reply = letter_html(world, case, "reply")
    assert zh(NOTICE_DAY) in reply and zh(RECEIVED) in reply and zh(due) in reply


def test_no_lapse_before_the_supplement_notice_is_delivered(world: World, engine: Engine) -> None:
    case = world.act(world.new_case(), "request_supplement", SUPPLEMENT, at=on(NOTICE_DAY))
    world.session.rollback()
    report = sweep_lapses(engine, on(NOTICE_DAY + 200 * DAY))
    assert report.done == [] and report.failed == []
    err = refused(world, case, RuleViolation, "lapse_supplement", None, at=on(NOTICE_DAY + 200 * DAY))
    assert law.NOT_DELIVERED in err.message and "第三十条" in err.message


def test_system_no_longer_closes_a_request(world: World) -> None:
    case = world.act(world.new_case(), "request_supplement", SUPPLEMENT, at=on(NOTICE_DAY))
    case = deliver(world, case, "supplement_notice", RECEIVED)
    assert case.supplement_due is not None
    refused(
        world,
        case,
        Forbidden,
        "lapse_supplement",
        None,
        at=on(case.supplement_due + 30 * DAY),
        actor="system",
    )


# --- Bad deliveries --------------------------------------------------------------------------------


def test_delivery_before_the_letter_date_refused(world: World) -> None:
    case = world.act(world.new_case(), "request_supplement", SUPPLEMENT, at=on(NOTICE_DAY))
    facts = {
        "document": "supplement_notice",
        "method": "electronic",
        "proof": "申请平台送达记录",
        "received_on": NOTICE_DAY - DAY,
    }
    err = refused(world, case, FactsError, "record_notice_delivery", facts, at=on(RECEIVED))
    assert err.errors[0][0] == "received_on" and zh(NOTICE_DAY) in err.errors[0][1]
    # the same day as the letter is fine (delivered in person)
    case = world.act(
        case,
        "record_notice_delivery",
        {**facts, "method": "in_person", "received_on": NOTICE_DAY},
        at=on(RECEIVED),
    )
    assert case.supplement_due == default_calendar().add_working_days(NOTICE_DAY, 15)


def test_double_delivery_refused(world: World) -> None:
    case = world.act(world.new_case(), "request_supplement", SUPPLEMENT, at=on(NOTICE_DAY))
    case = deliver(world, case, "supplement_notice", RECEIVED)
    facts = {"document": "supplement_notice", "method": "post", "proof": "EMS", "received_on": RECEIVED + DAY}
    err = refused(world, case, RuleViolation, "record_notice_delivery", facts, at=on(RECEIVED + 3 * DAY))
    assert "已" in err.message and "登记送达" in err.message
    rows = world.session.exec(select(NoticeDelivery).where(col(NoticeDelivery.case_id) == case.id)).all()
    assert [r.received_on for r in rows] == [RECEIVED]


def test_delivery_facts_checked(world: World) -> None:
    case = world.new_case()
    base = {"document": "supplement_notice", "method": "post", "proof": "EMS", "received_on": NOTICE_DAY}
    # no such letter on the request
    err = refused(world, case, FactsError, "record_notice_delivery", base, at=on(RECEIVED))
    assert err.errors[0][0] == "document"
    # a document that starts no period, an unknown method, a future date
    for bad, field in (
        ({**base, "document": "reply"}, "document"),
        ({**base, "method": "pigeon"}, "method"),
        ({**base, "received_on": RECEIVED + DAY}, "received_on"),
    ):
        err = refused(world, case, FactsError, "record_notice_delivery", bad, at=on(RECEIVED))
        assert err.errors[0][0] == field


# --- The consultation window (Art. 32, 34) -------------------------------------------------------


@pytest.mark.parametrize("facts", [CONSULT, CONSULT_AGENCY], ids=["third_party", "co_producer"])
def test_consultation_window_runs_from_the_delivery(
    world: World, engine: Engine, facts: dict[str, str]
) -> None:
    cal = default_calendar()
    doc = f"consultation_{facts['party_kind']}"
    case = world.act(world.new_case(), "start_consultation", facts, at=on(NOTICE_DAY))
    row = world.session.exec(select(Consultation).where(col(Consultation.case_id) == case.id)).one()
    assert row.window_end is None and case.paused
    html = letter_html(world, case, doc)
    wording = "收到本征求意见书之日起15个工作日内" if facts is CONSULT else "收到本函之日起15个工作日内"
    assert wording in html and zh(cal.add_working_days(NOTICE_DAY, 15)) not in html
    world.session.rollback()
    assert sweep_lapses(engine, on(NOTICE_DAY + 120 * DAY)).done == []  # waits for the delivery

    case = deliver(world, case, doc, RECEIVED)
    world.session.refresh(row)
    end = cal.add_working_days(RECEIVED, 15)
    assert row.window_end == end
    world.session.rollback()
    assert sweep_lapses(engine, on(end, 23)).done == []  # the last day: the party may still answer
    err = refused(world, case, RuleViolation, "lapse_consultation", None, at=on(end))
    assert zh(end) in err.message
    report = sweep_lapses(engine, on(end + DAY, 0))
    assert report.done == [f"{case.tracking_no} lapse_consultation"]
    with Session(engine) as s:
        resumed = s.get(Case, case.id)
        assert resumed is not None and resumed.state == "received" and not resumed.paused
        # the pause still runs from the letter's date, to the window's end
        assert resumed.ledger[-2:] == [
            {"type": "pause_started", "date": NOTICE_DAY.isoformat(), "reason": "consultation"},
            {"type": "pause_ended", "date": end.isoformat()},
        ]


def test_lapse_consultation_refused_before_delivery(world: World) -> None:
    case = world.act(world.new_case(), "start_consultation", CONSULT, at=on(NOTICE_DAY))
    err = refused(world, case, RuleViolation, "lapse_consultation", None, at=on(NOTICE_DAY + 90 * DAY))
    assert law.NOT_DELIVERED in err.message and "第三十二条" in err.message


# --- The fee period (Fee Measures) -------------------------------------------------------------


def _fee(world: World, case: Case) -> FeeAssessment:
    row = world.session.exec(select(FeeAssessment).where(col(FeeAssessment.case_id) == case.id)).one()
    world.session.refresh(row)
    return row


def test_fee_period_runs_from_the_delivery(world: World) -> None:
    cal = default_calendar()
    case = world.act(world.new_case(), "assess_fee", FEE, at=on(NOTICE_DAY))
    assert _fee(world, case).pay_by is None
    html = letter_html(world, case, "fee_notice")
    assert f"请自收到本通知书之次日起{law.FEE_PAYMENT.days}个工作日内缴纳" in html
    assert zh(cal.add_working_days(NOTICE_DAY, 20)) not in html
    case = deliver(world, case, "fee_notice", RECEIVED)
    pay_by = cal.add_working_days(RECEIVED, 20)
    assert (
        _fee(world, case).pay_by == pay_by
        and last_event(world, case)["facts"]["pay_by"] == pay_by.isoformat()
    )

    err = refused(world, case, RuleViolation, "lapse_fee", None, at=on(pay_by, 22))
    assert law.FEE_PAYMENT.basis.label in err.message and zh(pay_by) in err.message
    refused(world, case, RuleViolation, "record_payment", {"paid_on": pay_by + DAY}, at=on(pay_by + DAY))
    case = world.act(case, "lapse_fee", None, at=on(pay_by + DAY))
    assert (case.state, case.outcome) == ("closed", "other.fee_unpaid")
    reply = letter_html(world, case, "reply")
    assert zh(NOTICE_DAY) in reply and zh(RECEIVED) in reply and zh(pay_by) in reply


def test_fee_paid_on_the_last_day_counted_from_delivery(world: World) -> None:
    case = world.act(world.new_case(), "assess_fee", FEE, at=on(NOTICE_DAY))
    case = deliver(world, case, "fee_notice", RECEIVED)
    pay_by = default_calendar().add_working_days(RECEIVED, 20)
    assert pay_by > default_calendar().add_working_days(NOTICE_DAY, 20)
    case = world.act(case, "record_payment", {"paid_on": pay_by}, at=on(pay_by))
    assert case.state == "received" and _fee(world, case).status == "paid"


def test_payment_before_delivery_is_recorded_is_fine(world: World) -> None:
    case = world.act(world.new_case(), "assess_fee", FEE, at=on(NOTICE_DAY))
    later = NOTICE_DAY + 40 * DAY  # long after, but the period has not started on record
    case = world.act(case, "record_payment", {"paid_on": later}, at=on(later))
    assert case.state == "received" and _fee(world, case).paid_on == later


def test_received_on_reads_the_latest_letter(world: World) -> None:
    case = world.act(world.new_case(), "start_consultation", CONSULT, at=on(NOTICE_DAY))
    assert delivery.received_on(world.session, case.id or 0, "consultation_third_party") is None
    case = deliver(world, case, "consultation_third_party", NOTICE_DAY + 2 * DAY)
    case = world.act(case, "receive_opinion", {"opinion": "consent"}, at=on(NOTICE_DAY + 5 * DAY))
    assert (
        delivery.received_on(world.session, case.id or 0, "consultation_third_party") == NOTICE_DAY + 2 * DAY
    )
    case = world.act(case, "start_consultation", CONSULT, at=on(NOTICE_DAY + 6 * DAY))
    # a second letter of the type: its delivery is not recorded yet
    assert delivery.received_on(world.session, case.id or 0, "consultation_third_party") is None
    letters = world.session.exec(select(Letter).where(col(Letter.case_id) == case.id)).all()
    assert [letter.doc_type for letter in letters].count("consultation_third_party") == 2
    assert delivery.received_on(world.session, case.id or 0, "fee_notice") is None
