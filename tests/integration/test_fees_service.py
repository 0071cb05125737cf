"""Fees through the service, on both databases (DOMAIN.md section 7, Fee Measures): the assessment row,
the pause of the reply period, payment, lapse, the per-application monthly ordinal, reductions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlmodel import col, select

from caseflow import service
from caseflow.calendar import default_calendar
from caseflow.dates import SHANGHAI
from caseflow.errors import FactsError, IllegalTransition, RuleViolation
from caseflow.evidence.chain import verify_all
from caseflow.models import Case, EvidenceEvent, FeeAssessment
from tests.integration.conftest import T0, World, snapshot

D = dt.date
PER_PAGE_150 = {"method": "per_page", "pages": 150}
PER_APPLICATION = {"method": "per_application"}


def on(day: dt.date, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 30 + minute), tzinfo=SHANGHAI)


def fee_row(world: World, case: Case) -> FeeAssessment:
    world.session.expire_all()
    return world.session.exec(select(FeeAssessment).where(col(FeeAssessment.case_id) == case.id)).one()


def last_facts(world: World, case: Case) -> dict[str, Any]:
    event = world.session.exec(
        select(EvidenceEvent)
        .where(col(EvidenceEvent.case_id) == case.id)
        .order_by(col(EvidenceEvent.seq).desc())
    ).first()
    return json.loads(event.payload)["facts"]


def refused(
    world: World,
    case: Case,
    error: type[Exception],
    action: str,
    facts: dict[str, Any] | None,
    at: dt.datetime,
) -> Any:
    assert case.id is not None
    before = snapshot(world.session, case.id)
    with pytest.raises(error) as info:
        world.act(case, action, facts, at=at)
    assert snapshot(world.session, case.id) == before
    return info.value


def deliver(world: World, case: Case, received: dt.date) -> Case:
    """The fee notice handed to the applicant on ``received`` (the period runs from the next day)."""
    facts = {"document": "fee_notice", "method": "in_person", "proof": "送达回证", "received_on": received}
    return world.act(case, "record_notice_delivery", facts, at=on(received, 5))


# --- Per page --------------------------------------------------------------------------------------


def test_per_page_assessment_pauses_and_payment_resumes(world: World) -> None:
    case = world.new_case()  # received Monday 2026-09-28, due 2026-10-30
    assert case.reply_due == D(2026, 10, 30)
    case = world.act(case, "assess_fee", PER_PAGE_150, at=on(D(2026, 9, 29)))
    assert case.state == "fee-pending"
    row = fee_row(world, case)
    # 1-30 free; 31-100: 70 pages at 10 yuan; 101-150: 50 pages at 20 yuan.
    assert 70 * 10 + 50 * 20 == 1700
    assert (row.method, row.units, row.gross_yuan, row.reduction_yuan, row.amount_yuan) == (
        "per_page",
        150,
        1700,
        0,
        1700,
    )
    assert row.notice_date == D(2026, 9, 29) and row.status == "pending" and row.paid_on is None
    assert row.pay_by is None  # from the applicant's receipt of the notice: known at its delivery
    assert (case.paused, case.pause_reason, case.reply_due) == (True, "fee", None)
    assert case.ledger[-1] == {"type": "pause_started", "date": "2026-09-29", "reason": "fee"}
    facts = last_facts(world, case)
    assert (facts["units"], facts["gross_yuan"], facts["amount_yuan"], facts["pay_by"]) == (
        150,
        1700,
        1700,
        None,
    )
    assert "共150页" in facts["standard"] and "合计1700元" in facts["standard"]
    case = deliver(world, case, D(2026, 9, 29))  # handed over the day of the notice
    # 20 working days after the receipt: 09-30, 10-08..10-10 (a working Saturday), ..., 11-02.
    assert (
        fee_row(world, case).pay_by
        == D(2026, 11, 2)
        == default_calendar().add_working_days(D(2026, 9, 29), 20)
    )
    assert last_facts(world, case)["pay_by"] == "2026-11-02"
    assert case.ledger[-1] == {"type": "pause_started", "date": "2026-09-29", "reason": "fee"}

    case = world.act(case, "record_payment", {"payment_ref": "POS-20261009-01"}, at=on(D(2026, 10, 9)))
    assert case.state == "received"
    row = fee_row(world, case)
    assert (row.status, row.paid_on) == ("paid", D(2026, 10, 9))
    # 09-30, 10-08 and 10-09 did not count: the deadline moves by those 3 working days.
    assert (case.paused, case.pause_reason, case.reply_due) == (False, None, D(2026, 11, 4))
    assert default_calendar().add_working_days(D(2026, 10, 30), 3) == D(2026, 11, 4)
    assert last_facts(world, case)["amount_yuan"] == 1700
    assert verify_all(world.session) == (1, None)


def test_payment_on_the_last_day_and_after_it(world: World) -> None:
    on_time = world.act(world.new_case(), "assess_fee", PER_PAGE_150, at=on(D(2026, 9, 29)))
    late = world.act(world.new_case(), "assess_fee", PER_PAGE_150, at=on(D(2026, 9, 29)))
    on_time = deliver(world, on_time, D(2026, 9, 29))
    late = deliver(world, late, D(2026, 9, 29))
    err = refused(world, late, RuleViolation, "record_payment", {}, on(D(2026, 11, 3)))
    assert "2026年11月2日" in err.message and err.code == "fee_overdue"
    err = refused(world, late, RuleViolation, "record_payment", {"paid_on": "2026-11-03"}, on(D(2026, 11, 4)))
    assert "2026年11月2日" in err.message
    err = refused(world, late, FactsError, "record_payment", {"paid_on": "2026-09-28"}, on(D(2026, 10, 9)))
    assert [f for f, _ in err.errors] == ["paid_on"]
    assert fee_row(world, late).status == "pending"
    case = world.act(late, "lapse_fee", None, at=on(D(2026, 11, 3)))  # the clerk confirms the lapse
    assert (case.state, case.outcome) == ("closed", "other.fee_unpaid")

    case = world.act(on_time, "record_payment", {}, at=on(D(2026, 11, 2)))
    cal = default_calendar()
    excluded = cal.working_days_between(D(2026, 9, 29), D(2026, 11, 2))
    assert excluded == 20
    assert case.reply_due == cal.add_working_days(D(2026, 9, 28), 20 + excluded)


def test_fee_on_an_extended_request(world: World) -> None:
    case = world.act(
        world.new_case(), "extend", {"reason": "需要检索档案"}, actor="supervisor", at=on(D(2026, 9, 29))
    )
    assert case.reply_due == D(2026, 11, 27)
    case = world.act(case, "assess_fee", {"method": "per_page", "pages": 31}, at=on(D(2026, 9, 30)))
    assert fee_row(world, case).gross_yuan == 10
    case = world.act(case, "record_payment", {}, at=on(D(2026, 10, 9)))
    assert case.state == "extended"
    assert case.reply_due == default_calendar().add_working_days(D(2026, 11, 27), 2)  # 10-08, 10-09


# --- Per application: the monthly ordinal ----------------------------------------------------------


def test_per_application_counts_the_applicants_requests_this_month_at_this_agency(world: World) -> None:
    applicant = {"applicant_name": "王小明", "id_number": "110101199001061234"}
    # Earlier requests that must not count: the month before, another person, the same number as an
    # organisation, and the same person at another agency (registered by that agency's clerk).
    world.new_case(at=on(D(2026, 8, 31)), **applicant)
    cases: list[Case] = []
    for n in range(31):
        moment = T0 + dt.timedelta(minutes=n)
        if n == 3:
            world.new_case(at=moment, applicant_name="李四", id_number="110101199201042345")
        if n == 5:
            world.new_case(
                at=moment,
                applicant_type="commercial",
                applicant_name="某公司",
                id_type="其他",  # an organisation proves itself by a code, not a 居民身份证 (Art. 29)
                id_number=applicant["id_number"],
            )
        if n == 7:
            world.new_case(agency="dept", actor="dept_clerk", at=moment, **applicant)
        cases.append(world.new_case(at=moment, **applicant))
    # The same person's full-width number: stored exactly as given (encrypted), but the applicants
    # are matched by the keyed commitment over the normalised number (issue 13 item 6): counted together.
    full_width = world.new_case(
        at=T0 + dt.timedelta(hours=2),
        applicant_name="王小明",
        id_number="１１０１０１１９９００１０６１２３４",
    )

    notice = on(D(2026, 9, 30))
    for ordinal in (1, 10):
        err = refused(world, cases[ordinal - 1], RuleViolation, "assess_fee", PER_APPLICATION, notice)
        assert "无须收费" in err.message and f"第{ordinal}件" in err.message
    for ordinal, gross in ((11, 100), (30, 100), (31, 200)):
        case = world.act(cases[ordinal - 1], "assess_fee", PER_APPLICATION, at=notice)
        row = fee_row(world, case)
        assert (row.method, row.units, row.gross_yuan, row.amount_yuan) == (
            "per_application",
            ordinal,
            gross,
            gross,
        ), ordinal
        assert f"本月第{ordinal}件申请" in last_facts(world, case)["standard"]
        assert (case.state, case.pause_reason) == ("fee-pending", "fee")

    case = world.act(full_width, "assess_fee", PER_APPLICATION, at=notice)
    assert fee_row(world, case).units == 32

    # A new month starts counting again: the first October request is free.
    october = world.new_case(at=on(D(2026, 10, 8)), **applicant)
    err = refused(world, october, RuleViolation, "assess_fee", PER_APPLICATION, on(D(2026, 10, 9)))
    assert "第1件" in err.message


def test_per_application_ordinal_follows_receipt_date_not_registration_order(world: World) -> None:
    applicant = {"applicant_name": "王小明", "id_number": "110101199001061234"}
    # Ten requests received on 09-29, then one by post received (signed for) on 09-28, registered last.
    for n in range(10):
        world.new_case(at=on(D(2026, 9, 29), n), **applicant)
    late_registered = service.register(
        session=world.session,
        actor=world["clerk"],
        agency_code="city",
        now=on(D(2026, 9, 29), 20),
        application=world.application(
            channel="post",
            arrived_at=on(D(2026, 9, 28)).isoformat(),
            confirmed_on="2026-09-28",
            receipt_proof="EMS1",
            **applicant,
        ),
    )
    assert late_registered.receipt_date == D(2026, 9, 28)
    err = refused(world, late_registered, RuleViolation, "assess_fee", PER_APPLICATION, on(D(2026, 9, 30)))
    assert "第1件" in err.message
    eleventh = world.new_case(at=on(D(2026, 9, 30)), **applicant)
    case = world.act(eleventh, "assess_fee", PER_APPLICATION, at=on(D(2026, 9, 30), 5))
    assert (fee_row(world, case).units, fee_row(world, case).gross_yuan) == (12, 100)


# --- Reductions, one assessment per request --------------------------------------------------------


def test_reduction_needs_a_reason_and_lowers_the_amount(world: World) -> None:
    case = world.new_case()
    notice = on(D(2026, 9, 29))
    err = refused(world, case, FactsError, "assess_fee", {**PER_PAGE_150, "reduction_yuan": 200}, notice)
    assert [f for f, _ in err.errors] == ["reduction_reason"]
    err = refused(
        world,
        case,
        FactsError,
        "assess_fee",
        {**PER_PAGE_150, "reduction_yuan": 200, "reduction_reason": "   "},
        notice,
    )
    assert [f for f, _ in err.errors] == ["reduction_reason"]
    err = refused(
        world,
        case,
        FactsError,
        "assess_fee",
        {**PER_PAGE_150, "reduction_yuan": 1701, "reduction_reason": "困难"},
        notice,
    )
    assert [f for f, _ in err.errors] == ["reduction_yuan"]
    err = refused(world, case, FactsError, "assess_fee", {**PER_PAGE_150, "reduction_yuan": -1}, notice)
    assert [f for f, _ in err.errors] == ["reduction_yuan"]

    case = world.act(
        case,
        "assess_fee",
        {**PER_PAGE_150, "reduction_yuan": 200, "reduction_reason": "申请人为低保对象"},
        at=notice,
    )
    row = fee_row(world, case)
    assert (row.gross_yuan, row.reduction_yuan, row.reduction_reason, row.amount_yuan) == (
        1700,
        200,
        "申请人为低保对象",
        1500,
    )
    facts = last_facts(world, case)
    assert (facts["gross_yuan"], facts["amount_yuan"]) == (1700, 1500)
    assert "减免200元" in facts["standard"] and "申请人为低保对象" in facts["standard"]


def test_a_request_is_assessed_once(world: World) -> None:
    case = world.act(world.new_case(), "assess_fee", PER_PAGE_150, at=on(D(2026, 9, 29)))
    err = refused(world, case, IllegalTransition, "assess_fee", PER_PAGE_150, on(D(2026, 9, 30)))
    assert err.state == "fee-pending"
    case = world.act(case, "record_payment", {}, at=on(D(2026, 10, 8)))
    assert case.state == "received"
    for facts in (PER_PAGE_150, {"method": "per_page", "pages": 40}, PER_APPLICATION):
        err = refused(world, case, RuleViolation, "assess_fee", facts, on(D(2026, 10, 9)))
        assert "只计收一次" in err.message and err.code == "fee_once"
    assert (
        len(world.session.exec(select(FeeAssessment).where(col(FeeAssessment.case_id) == case.id)).all()) == 1
    )
