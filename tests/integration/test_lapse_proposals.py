"""Lapses become proposals (issue 14 item 2), through the sweep and the service on both databases.

The sweep no longer closes a request whose supplement or fee period ran out: it marks it
"补正期限已过，待确认" / "缴费期限已过，待确认", notifies the handler, and proposes once. The clerk
confirms (closing with the letter) or records why to keep waiting, until a date or until they act.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from caseflow import law
from caseflow.calendar import default_calendar
from caseflow.dates import SHANGHAI, zh
from caseflow.errors import FactsError, Forbidden, RuleViolation
from caseflow.evidence.dbcheck import check_database
from caseflow.models import Case, EvidenceEvent, FeeAssessment, Notification, User
from caseflow.scheduled.lapses import sweep_lapses
from tests.integration.conftest import World, snapshot
from tests.integration.test_pages import text_of
from tests.integration.webapp import Web

D = dt.date
DAY = dt.timedelta(days=1)
NOTICE_DAY = D(2026, 9, 29)
RECEIVED = NOTICE_DAY + 7 * DAY


def on(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 30), tzinfo=SHANGHAI)


def row(engine: Engine, case_id: int) -> Case:
    with Session(engine) as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case


def events(engine: Engine, case_id: int) -> list[dict[str, Any]]:
    with Session(engine) as s:
        payloads = s.exec(
            select(EvidenceEvent.payload)
            .where(col(EvidenceEvent.case_id) == case_id)
            .order_by(col(EvidenceEvent.seq))
        )
        return [json.loads(p) for p in payloads]


def notes(engine: Engine, case_id: int) -> list[tuple[str, str, str]]:
    with Session(engine) as s:
        rows = s.exec(
            select(User.username, Notification.reason, Notification.title)
            .join(User, col(User.id) == col(Notification.user_id))
            .where(col(Notification.case_id) == case_id)
            .order_by(col(Notification.id))
        )
        return [(u, r, t) for u, r, t in rows]


def supplement_case(world: World) -> tuple[Case, dt.date]:
    case = world.act(world.new_case(), "request_supplement", {"items": ["文件名称"]}, at=on(NOTICE_DAY))
    facts = {"document": "supplement_notice", "method": "post", "proof": "EMS 签收", "received_on": RECEIVED}
    case = world.act(case, "record_notice_delivery", facts, at=on(RECEIVED + DAY))
    assert case.supplement_due == default_calendar().add_working_days(RECEIVED, 15)
    world.session.rollback()
    return case, case.supplement_due


def fee_case(world: World) -> tuple[Case, dt.date]:
    case = world.act(world.new_case(), "assess_fee", {"method": "per_page", "pages": 150}, at=on(NOTICE_DAY))
    facts = {"document": "fee_notice", "method": "electronic", "proof": "邮件到达", "received_on": RECEIVED}
    case = world.act(case, "record_notice_delivery", facts, at=on(RECEIVED + DAY))
    pay_by = world.session.exec(
        select(FeeAssessment.pay_by).where(col(FeeAssessment.case_id) == case.id)
    ).one()
    assert pay_by == default_calendar().add_working_days(RECEIVED, 20)
    world.session.rollback()
    return case, pay_by


@pytest.mark.parametrize("kind", ["supplement", "fee"])
def test_sweep_proposes_notifies_and_does_not_propose_twice(world: World, engine: Engine, kind: str) -> None:
    case, end = supplement_case(world) if kind == "supplement" else fee_case(world)
    state = case.state
    assert sweep_lapses(engine, on(end, 23)).done == []  # the last day: nothing
    report = sweep_lapses(engine, on(end + DAY, 0))
    assert report.done == [f"{case.tracking_no} propose_lapse:{kind}"] and report.failed == []
    stored = row(engine, case.id or 0)
    assert (stored.state, stored.outcome, stored.closed_on) == (state, None, None)
    assert (stored.lapse_proposed, stored.lapse_proposed_on) == (kind, end + DAY)
    last = events(engine, case.id or 0)[-1]
    assert (last["action"], last["actor"], last["facts"]["kind"]) == ("propose_lapse", "system", kind)
    assert (
        last["facts"]["period_end"] == end.isoformat()
        and last["facts"]["received_on"] == RECEIVED.isoformat()
    )
    name = law.LAPSE_PROPOSED_NAMES[law.LapseKind(kind)]
    assert notes(engine, case.id or 0) == [("clerk", "lapse_proposed", f"{case.tracking_no} {name}")]
    # again, and days later: no second proposal, no second notification
    assert sweep_lapses(engine, on(end + DAY, 12)).done == []
    assert sweep_lapses(engine, on(end + 30 * DAY)).done == []
    assert len(notes(engine, case.id or 0)) == 1
    assert [e["action"] for e in events(engine, case.id or 0)].count("propose_lapse") == 1
    # the clerk confirms: closed with its letter
    action = "lapse_supplement" if kind == "supplement" else "lapse_fee"
    closed = world.act(row(engine, case.id or 0), action, None, at=on(end + 31 * DAY))
    outcome = "other.no_supplement" if kind == "supplement" else "other.fee_unpaid"
    assert (closed.state, closed.outcome, closed.lapse_proposed) == ("closed", outcome, None)
    report = check_database(engine)
    assert report.intact, [str(p) for p in (*report.broken, *report.findings)]


def test_confirm_before_the_end_refused_even_when_proposed(world: World, engine: Engine) -> None:
    case, end = supplement_case(world)
    before = snapshot(world.session, case.id or 0)
    with pytest.raises(RuleViolation) as info:
        world.act(case, "lapse_supplement", None, at=on(end))
    world.session.rollback()
    assert snapshot(world.session, case.id or 0) == before
    assert "第三十条" in info.value.message and zh(end) in info.value.message
    # the system may propose but not confirm
    with pytest.raises(Forbidden):
        world.act(case, "lapse_supplement", None, at=on(end + 5 * DAY), actor="system")
    world.session.rollback()
    assert snapshot(world.session, case.id or 0) == before
    # nor propose early (the sweep would not select it, the action refuses it)
    with pytest.raises(RuleViolation):
        world.act(case, "propose_lapse", {"kind": "supplement"}, at=on(end), actor="system")
    world.session.rollback()
    assert snapshot(world.session, case.id or 0) == before


def test_keep_waiting_until_a_date(world: World, engine: Engine) -> None:
    case, end = supplement_case(world)
    sweep_lapses(engine, on(end + DAY))
    until = end + 10 * DAY
    case = world.act(
        row(engine, case.id or 0),
        "keep_waiting",
        {"reason": "申请人来电称补正材料已于期限内寄出，尚在邮寄途中", "until": until},
        at=on(end + 2 * DAY),
    )
    assert (case.lapse_proposed, case.lapse_waiting, case.lapse_wait_until) == (None, "supplement", until)
    world.session.rollback()
    assert sweep_lapses(engine, on(until, 22)).done == []  # not before that date (nor on it)
    assert sweep_lapses(engine, on(until + DAY)).done == [f"{case.tracking_no} propose_lapse:supplement"]
    stored = row(engine, case.id or 0)
    assert (stored.lapse_proposed, stored.lapse_waiting) == ("supplement", None)
    assert len(notes(engine, case.id or 0)) == 2
    # the supplement arrives after all: the request goes on, the proposal is gone
    case = world.act(stored, "receive_supplement", {"received_on": until + DAY}, at=on(until + DAY))
    assert (case.state, case.lapse_proposed, case.supplement_due) == ("received", None, None)
    report = check_database(engine)
    assert report.intact, [str(p) for p in (*report.broken, *report.findings)]


def test_keep_waiting_without_a_date_waits_for_the_clerk(world: World, engine: Engine) -> None:
    case, end = fee_case(world)
    sweep_lapses(engine, on(end + DAY))
    case = world.act(
        row(engine, case.id or 0), "keep_waiting", {"reason": "缴费凭证待核实"}, at=on(end + DAY)
    )
    assert (case.lapse_proposed, case.lapse_waiting, case.lapse_wait_until) == (None, "fee", None)
    world.session.rollback()
    assert sweep_lapses(engine, on(end + 90 * DAY)).done == []
    case = world.act(row(engine, case.id or 0), "lapse_fee", None, at=on(end + 91 * DAY))
    assert (case.state, case.outcome, case.lapse_waiting) == ("closed", "other.fee_unpaid", None)


def test_keep_waiting_needs_a_proposal_and_a_date_ahead(world: World, engine: Engine) -> None:
    case, end = supplement_case(world)
    before = snapshot(world.session, case.id or 0)
    with pytest.raises(RuleViolation):
        world.act(case, "keep_waiting", {"reason": "等待"}, at=on(end + DAY))
    world.session.rollback()
    assert snapshot(world.session, case.id or 0) == before
    sweep_lapses(engine, on(end + DAY))
    world.session.rollback()
    proposed = row(engine, case.id or 0)
    before = snapshot(world.session, case.id or 0)
    with pytest.raises(FactsError) as info:
        world.act(proposed, "keep_waiting", {"reason": "等待", "until": end}, at=on(end + 2 * DAY))
    world.session.rollback()
    assert info.value.errors[0][0] == "until"
    assert snapshot(world.session, case.id or 0) == before


# --- What the pages show -------------------------------------------------------------------------


def test_pages_show_what_each_period_runs_from_and_the_proposal(
    world: World, engine: Engine, web: Web
) -> None:
    consult = world.act(
        world.new_case(),
        "start_consultation",
        {"party_kind": "third_party", "party_name": "某公司", "matters": "商业秘密"},
        at=on(NOTICE_DAY),
    )
    supplement = world.act(world.new_case(), "request_supplement", {"items": ["文件名称"]}, at=on(NOTICE_DAY))
    world.session.rollback()
    clerk = web.browser("clerk")
    clerk.headers.update({"Accept": "text/html"})
    page = text_of(clerk.get(f"/cases/{consult.id}").text)
    assert "送达与期限" in page and "征求第三方意见书" in page and law.NOT_DELIVERED in page
    assert "自第三方收到之次日起计算" in page

    # the delivery through the case page's form (the form built from the facts model)
    body = clerk.get(f"/cases/{supplement.id}").text
    form = re.search(r'action="/cases/\d+/actions/record_notice_delivery">(.*?)</form>', body, re.S)
    assert form and 'name="received_on" type="date"' in form.group(1) and "邮寄送达" in form.group(1)
    response = clerk.post(
        f"/cases/{supplement.id}/actions/record_notice_delivery",
        data={
            "csrf_token": web.csrf(clerk, f"/cases/{supplement.id}"),
            "expected_version": str(web.case(supplement.id or 0).version),
            "document": "supplement_notice",
            "method": "post",
            "proof": "EMS1234567890CN 本人签收",
            "received_on": RECEIVED.isoformat(),
        },
    )
    assert response.status_code in (200, 303), response.text[:500]
    due = web.case(supplement.id or 0).supplement_due
    assert due == default_calendar().add_working_days(RECEIVED, 15)
    page = text_of(clerk.get(f"/cases/{supplement.id}").text)
    assert f"自申请人于{zh(RECEIVED)}收到（邮寄送达）之次日起计算" in page and zh(due) in page

    sweep_lapses(engine, on(due + DAY))
    page = text_of(clerk.get(f"/cases/{supplement.id}").text)
    assert "补正期限已过，待确认" in page and "keep_waiting" in clerk.get(f"/cases/{supplement.id}").text
    listing = text_of(clerk.get("/cases").text)
    assert "补正期限已过，待确认" in listing
    supervisor = web.browser("supervisor")
    supervisor.headers.update({"Accept": "text/html"})
    assert "补正或缴费期限已过，待确认 1" in text_of(supervisor.get("/dashboard").text)
