"""Art. 35 (大量、频繁) and approval by the deciding agency (Art. 33 para. 2), issue 14 items 3 and 6.

Through the service layer on SQLite and PostgreSQL, with the moment of each action given (``now=``)
for the boundary days: the step "request the applicant's reasons" (its letter, the period counted from
the recorded delivery, the reasons received or their absence), the Art. 35 date (only after the step,
decided on or before the deadline in force, later than it), ``rejected.excessive`` (only after the
step, its letter citing the reasons or their absence), and a parent agency's supervisor refused the
approvals that belong to the request's own agency. Every refusal leaves the request and its evidence
as they were.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from caseflow import law, service
from caseflow.calendar import default_calendar
from caseflow.dates import SHANGHAI, zh
from caseflow.errors import FactsError, Forbidden, RuleViolation
from caseflow.evidence.chain import verify_all
from caseflow.evidence.dbcheck import check_database
from caseflow.models import Art35Step, Case, Letter
from caseflow.replies.issue import issued_files
from tests.integration.conftest import World, snapshot
from tests.integration.test_letters import text_of
from tests.integration.test_pages import assert_html_page, browser
from tests.integration.webapp import Web

D = dt.date
DAY = dt.timedelta(days=1)
RECEIVED = D(2026, 9, 28)
REPLY_DUE = D(2026, 10, 30)  # 20 working days after 2026-09-28 (National Day week excluded)
ASK = {"asked": "请说明您在一个月内申请公开312项政府信息的用途及理由", "period_days": 5}
REASONS = "本人从事地方财政研究，需要逐年比对各项目预算"
DELAY = {"reason": "申请数量明显超过合理范围，需要逐项检索"}
EXCESSIVE = {
    "outcome": "rejected.excessive",
    "reasons": "申请数量、频次明显超过合理范围，所说明的理由与申请内容无关",
}
ART35 = f"{law.REGULATION}第三十五条"
ASKED_ON = D(2026, 9, 29)
GIVEN_ON = D(2026, 9, 30)


def on(day: dt.date) -> dt.datetime:
    """9:30 in Shanghai on ``day``."""
    return dt.datetime.combine(day, dt.time(9, 30), tzinfo=SHANGHAI)


def refused(
    world: World, case: Case, error: type[Exception], action: str, facts: dict[str, Any], **kw: Any
) -> Any:
    """``action`` must raise ``error`` and leave the request and its evidence untouched."""
    assert case.id is not None
    before = snapshot(world.session, case.id)
    steps = steps_of(world, case)
    with pytest.raises(error) as info:
        world.act(case, action, facts, **kw)
    assert snapshot(world.session, case.id) == before, f"refused {action} changed the request"
    assert steps_of(world, case) == steps, f"refused {action} changed the Art. 35 step"
    return info.value


def steps_of(world: World, case: Case) -> list[dict[str, Any]]:
    world.session.expire_all()
    rows = world.session.exec(select(Art35Step).where(col(Art35Step.case_id) == case.id)).all()
    return [r.model_dump() for r in rows]


def ask(world: World, case: Case, *, at: dt.date = ASKED_ON, actor: str = "clerk") -> Case:
    return world.act(case, "request_art35_reasons", ASK, actor=actor, at=on(at))


def deliver(world: World, case: Case, received: dt.date, *, actor: str = "clerk") -> Case:
    facts = {
        "document": "art35_reasons_notice",
        "method": "post",
        "proof": "EMS1234567890CN 申请人签收",
        "received_on": received.isoformat(),
    }
    return world.act(case, "record_notice_delivery", facts, actor=actor, at=on(received))


def given(world: World, case: Case, *, at: dt.date = GIVEN_ON, actor: str = "clerk") -> Case:
    facts = {"answer": "given", "reasons": REASONS, "reasons_on": at.isoformat()}
    return world.act(case, "record_art35_reasons", facts, actor=actor, at=on(at))


def with_reasons(world: World, **changes: Any) -> Case:
    """A request whose applicant was asked for reasons (9-29) and gave them (9-30)."""
    case = world.new_case(**changes)
    actor = "dept_clerk" if changes.get("agency") == "dept" else "clerk"
    return given(world, ask(world, case, actor=actor), actor=actor)


def letter_text(world: World, case: Case, doc_type: str) -> tuple[Letter, str]:
    world.session.expire_all()
    letter = world.session.exec(
        select(Letter)
        .where(col(Letter.case_id) == case.id, col(Letter.doc_type) == doc_type)
        .order_by(col(Letter.id).desc())
    ).first()
    assert letter is not None, f"no {doc_type} issued"
    return letter, text_of(issued_files(letter)["html"].decode("utf-8"))


# --- the step: its letter, its period from the delivery -------------------------------------------


def test_reasons_notice_states_the_period_from_receipt(world: World) -> None:
    case = ask(world, world.new_case())
    assert case.state == "received" and case.reply_due == REPLY_DUE  # the reply period keeps running
    letter, text = letter_text(world, case, "art35_reasons_notice")
    doc = law.DOCUMENT_TYPES_BY_CODE["art35_reasons_notice"]
    assert (letter.title, letter.letter_no) == ("要求说明理由告知书", "某政办公开告〔2026〕1号")
    assert doc.basis == law.ART35_REASONS.basis and ART35 in text
    assert ASK["asked"] in text
    assert "自收到本告知书之次日起5个工作日内" in text
    assert "理由不合理的" in text and "不予处理" in text and "确定延迟答复的合理期限" in text
    assert "行政复议" not in text  # a request for reasons decides nothing: no remedies clause
    step = steps_of(world, case)[0]
    assert (step["status"], step["period_days"], step["notice_date"]) == ("pending", 5, D(2026, 9, 29))
    # a second request while the first is unanswered is refused
    err = refused(world, case, RuleViolation, "request_art35_reasons", ASK, at=on(D(2026, 9, 30)))
    assert "第三十五条" in err.message


def test_none_received_only_after_the_period_counted_from_delivery(world: World) -> None:
    case = ask(world, world.new_case())
    none = {"answer": "not_given"}
    # before any delivery is recorded the period has not started
    err = refused(world, case, RuleViolation, "record_art35_reasons", none, at=on(D(2026, 11, 30)))
    assert "第三十五条" in err.message and "尚未登记送达" in err.message
    received = D(2026, 10, 9)
    case = deliver(world, case, received)
    end = default_calendar().add_working_days(received, ASK["period_days"])
    assert end == D(2026, 10, 15)  # 10-10 (a Saturday worked for National Day) counts
    # the period's last day: refused, nothing recorded
    err = refused(world, case, RuleViolation, "record_art35_reasons", none, at=on(end))
    assert "第三十五条" in err.message and zh(end) in err.message and zh(received) in err.message
    # the day after: allowed
    case = world.act(case, "record_art35_reasons", none, at=on(end + DAY))
    step = steps_of(world, case)[0]
    assert (step["status"], step["recorded_on"], step["reasons"], step["reasons_on"]) == (
        "not_given",
        end + DAY,
        "",
        None,
    )
    # nothing is pending any more
    refused(world, case, RuleViolation, "record_art35_reasons", none, at=on(end + 2 * DAY))


def test_reasons_received_any_time_but_not_before_the_notice_nor_in_the_future(world: World) -> None:
    case = ask(world, world.new_case(), at=D(2026, 9, 30))
    early = {"answer": "given", "reasons": REASONS, "reasons_on": "2026-09-29"}
    err = refused(world, case, FactsError, "record_art35_reasons", early, at=on(D(2026, 10, 8)))
    assert err.errors[0][0] == "reasons_on"
    future = {"answer": "given", "reasons": REASONS, "reasons_on": "2026-10-09"}
    err = refused(world, case, FactsError, "record_art35_reasons", future, at=on(D(2026, 10, 8)))
    assert err.errors[0][0] == "reasons_on" and "晚于今天" in err.errors[0][1]
    # the facts must agree with the answer
    for bad in ({"answer": "given"}, {"answer": "not_given", "reasons": REASONS}):
        refused(world, case, FactsError, "record_art35_reasons", bad, at=on(D(2026, 10, 8)))
    case = given(world, case, at=D(2026, 10, 8))  # no delivery needed: the reasons arrived
    assert steps_of(world, case)[0]["status"] == "given"


# --- the Art. 35 date -------------------------------------------------------------------------------


def test_delayed_date_needs_the_reasons_step(world: World) -> None:
    case = world.new_case()
    facts = {**DELAY, "due": "2026-12-31"}
    err = refused(
        world, case, RuleViolation, "set_delayed_date", facts, actor="supervisor", at=on(D(2026, 10, 9))
    )
    assert "第三十五条" in err.message and "说明理由" in err.message
    case = ask(world, case)
    err = refused(
        world, case, RuleViolation, "set_delayed_date", facts, actor="supervisor", at=on(D(2026, 10, 9))
    )
    assert "第三十五条" in err.message and "尚未登记" in err.message
    case = given(world, case)
    case = world.act(case, "set_delayed_date", facts, actor="supervisor", at=on(D(2026, 10, 9)))
    assert case.reply_due == D(2026, 12, 31)


def test_delayed_date_decided_on_the_deadline_day_not_the_day_after(world: World) -> None:
    on_time = with_reasons(world)
    late = with_reasons(world)
    assert on_time.reply_due == late.reply_due == REPLY_DUE
    facts = {**DELAY, "due": "2026-12-31"}
    err = refused(
        world, late, RuleViolation, "set_delayed_date", facts, actor="supervisor", at=on(REPLY_DUE + DAY)
    )
    assert "第三十五条" in err.message and zh(REPLY_DUE) in err.message and "届满前" in err.message
    case = world.act(on_time, "set_delayed_date", facts, actor="supervisor", at=on(REPLY_DUE))
    assert case.reply_due == D(2026, 12, 31) and case.ledger[-1] == {
        "type": "deadline_set",
        "date": REPLY_DUE.isoformat(),
        "due": "2026-12-31",
    }


def test_delayed_date_must_be_later_than_the_deadline(world: World) -> None:
    case = with_reasons(world)
    same = {**DELAY, "due": REPLY_DUE.isoformat()}
    err = refused(
        world, case, RuleViolation, "set_delayed_date", same, actor="supervisor", at=on(D(2026, 10, 15))
    )
    assert "第三十五条" in err.message and "晚于" in err.message and zh(REPLY_DUE) in err.message
    later = {**DELAY, "due": (REPLY_DUE + DAY).isoformat()}
    case = world.act(case, "set_delayed_date", later, actor="supervisor", at=on(D(2026, 10, 15)))
    assert case.reply_due == REPLY_DUE + DAY


def test_delay_notice_cites_the_reasons_step(world: World) -> None:
    case = with_reasons(world)
    case = world.act(
        case, "set_delayed_date", {**DELAY, "due": "2026-12-31"}, actor="supervisor", at=on(D(2026, 10, 9))
    )
    notice_no = letter_text(world, case, "art35_reasons_notice")[0].letter_no
    _letter, text = letter_text(world, case, "art35_notice")
    assert REASONS in text and zh(D(2026, 9, 30)) in text and notice_no in text
    assert "该理由合理" in text and zh(D(2026, 12, 31)) in text and ART35 in text

    silent = ask(world, world.new_case())
    silent = deliver(world, silent, D(2026, 9, 30))
    end = default_calendar().add_working_days(D(2026, 9, 30), ASK["period_days"])
    silent = world.act(silent, "record_art35_reasons", {"answer": "not_given"}, at=on(end + DAY))
    silent = world.act(
        silent, "set_delayed_date", {**DELAY, "due": "2026-12-31"}, actor="supervisor", at=on(end + DAY)
    )
    _letter, text = letter_text(world, silent, "art35_notice")
    assert "在该期限内未说明理由" in text and "5个工作日" in text and REASONS not in text


# --- rejected.excessive ----------------------------------------------------------------------------


def _issue(world: World, case: Case, at: dt.date) -> Case:
    case = world.act(case, "draft_reply", EXCESSIVE, at=on(at))
    case = world.act(case, "approve_reply", {"comments": "同意"}, actor="reviewer", at=on(at))
    return world.act(case, "issue_reply", {}, at=on(at))


def test_rejected_excessive_needs_the_step(world: World) -> None:
    case = world.new_case()
    err = refused(world, case, RuleViolation, "draft_reply", EXCESSIVE, at=on(D(2026, 10, 9)))
    assert "第三十五条" in err.message and "不予处理" in err.message
    case = ask(world, case)
    err = refused(world, case, RuleViolation, "draft_reply", EXCESSIVE, at=on(D(2026, 10, 9)))
    assert "尚未登记" in err.message
    # other outcomes do not need it
    other = world.act(
        world.new_case(), "draft_reply", {"outcome": "rejected.petition", "reasons": "信访事项"}
    )
    assert other.state == "legal-review"


def test_rejected_excessive_letter_cites_the_reasons_given(world: World) -> None:
    case = _issue(world, with_reasons(world), D(2026, 10, 9))
    assert (case.state, case.outcome) == ("answered", "rejected.excessive")
    notice_no = letter_text(world, case, "art35_reasons_notice")[0].letter_no
    _letter, text = letter_text(world, case, "reply")
    assert f"您于{zh(D(2026, 9, 30))}说明的理由为：{REASONS}" in text
    assert "该理由不合理" in text and notice_no in text and zh(D(2026, 9, 29)) in text
    assert ART35 in text and EXCESSIVE["reasons"] in text
    assert "逾期未说明理由" not in text


def test_rejected_excessive_letter_cites_the_absence_of_reasons(world: World) -> None:
    case = ask(world, world.new_case())
    case = deliver(world, case, D(2026, 9, 30))
    end = default_calendar().add_working_days(D(2026, 9, 30), ASK["period_days"])
    case = world.act(case, "record_art35_reasons", {"answer": "not_given"}, at=on(end + DAY))
    case = _issue(world, case, end + DAY)
    _letter, text = letter_text(world, case, "reply")
    assert "自收到告知书之次日起5个工作日内说明理由，您逾期未说明理由" in text
    assert REASONS not in text and "该理由不合理" not in text and ART35 in text


# --- approval by the deciding agency (Art. 33 para. 2) ---------------------------------------------


def test_parent_supervisor_may_not_approve_extension_nor_art35_date(world: World) -> None:
    case = world.new_case(agency="dept", actor="dept_clerk")
    parent, own = world["supervisor"], world["dept_supervisor"]
    # the parent's supervisor sees the request (oversight) but is not offered the approvals
    assert service.load_visible(world.session, parent, case.id or 0, lock=False).id == case.id
    assert "extend" not in service.actions_for(world.session, parent, case)
    assert "extend" in service.actions_for(world.session, own, case)
    assert "reassign" in service.actions_for(world.session, parent, case)  # other supervision stays
    err = refused(world, case, Forbidden, "extend", {"reason": "档案检索量大"}, actor="supervisor")
    assert "第三十三条第二款" in err.message and "某市自然资源和规划局" in err.message

    case = with_reasons_on(world, case)
    facts = {**DELAY, "due": "2026-12-31"}
    assert "set_delayed_date" not in service.actions_for(world.session, parent, case)
    assert "set_delayed_date" in service.actions_for(world.session, own, case)
    err = refused(
        world, case, Forbidden, "set_delayed_date", facts, actor="supervisor", at=on(D(2026, 10, 9))
    )
    assert "第三十三条第二款" in err.message
    case = world.act(case, "set_delayed_date", facts, actor="dept_supervisor", at=on(D(2026, 10, 9)))
    assert case.reply_due == D(2026, 12, 31)

    other = world.new_case(agency="dept", actor="dept_clerk")
    other = world.act(other, "extend", {"reason": "档案检索量大"}, actor="dept_supervisor")
    assert other.extended and other.state == "extended"
    # the city's own supervisor approves the city's requests
    city = world.act(world.new_case(), "extend", {"reason": "档案检索量大"}, actor="supervisor")
    assert city.extended
    assert verify_all(world.session)[1] is None


def with_reasons_on(world: World, case: Case) -> Case:
    return given(world, ask(world, case, actor="dept_clerk"), actor="dept_clerk")


# --- evidence ---------------------------------------------------------------------------------------


def test_requests_through_the_step_verify_clean(world: World, engine: Engine) -> None:
    delayed = with_reasons(world)
    world.act(
        delayed, "set_delayed_date", {**DELAY, "due": "2026-12-31"}, actor="supervisor", at=on(D(2026, 10, 9))
    )
    silent = ask(world, world.new_case())
    silent = deliver(world, silent, D(2026, 9, 30))
    end = default_calendar().add_working_days(D(2026, 9, 30), ASK["period_days"])
    silent = world.act(silent, "record_art35_reasons", {"answer": "not_given"}, at=on(end + DAY))
    _issue(world, silent, end + DAY)
    report = check_database(engine)  # the chains, the rows they describe and the letters agree
    assert [str(p) for p in report.broken] + [str(f) for f in report.findings] == []
    assert report.intact and report.requests == 2


# --- the API and the case page ----------------------------------------------------------------------


def test_api_parent_supervisor_refused_and_not_offered(web: Web) -> None:
    case = web.world.new_case(agency="dept", actor="dept_clerk")
    assert case.id is not None
    parent, own = web.api("supervisor"), web.api("dept_supervisor")
    offered = [a["action"] for a in parent.get(f"/api/v1/requests/{case.id}/actions").json()]
    assert "reassign" in offered and "extend" not in offered and "set_delayed_date" not in offered
    offered = [a["action"] for a in own.get(f"/api/v1/requests/{case.id}/actions").json()]
    assert "extend" in offered and "set_delayed_date" in offered
    refused = parent.post(
        f"/api/v1/requests/{case.id}/actions/extend", json={"facts": {"reason": "档案检索量大"}}
    )
    assert refused.status_code == 403 and "第三十三条第二款" in refused.text
    assert (web.case(case.id).version, web.events(case.id)) == (1, 1)


def test_case_page_offers_the_step_and_keeps_what_was_typed(web: Web) -> None:
    case = web.world.new_case()
    assert case.id is not None
    client = browser(web, "clerk")
    page = assert_html_page(client.get(f"/cases/{case.id}"), 200, case.tracking_no)
    assert "要求申请人说明理由（第三十五条）" in page and "登记申请人说明理由情况（第三十五条）" in page
    assert "说明理由期限（工作日，自申请人收到告知书之次日起计算）" in page
    assert "要求申请人说明的事项" in page and "申请人逾期未说明理由" in page
    csrf = web.csrf(client, f"/cases/{case.id}")
    # bad facts: 422, the form re-rendered with what was typed
    typed = {"asked": "请说明申请用途（保留）", "period_days": "五", "csrf_token": csrf}
    response = client.post(f"/cases/{case.id}/actions/request_art35_reasons", data=typed)
    page = assert_html_page(response, 422, case.tracking_no)
    form = page[page.index('id="action-request_art35_reasons"') :]
    form = form[: form.index("</details>")]
    assert "请说明申请用途（保留）" in form and 'value="五"' in form and 'class="error"' in form
    # a valid request for reasons, then "none received" before any delivery: 409 naming the rule
    done = client.post(
        f"/cases/{case.id}/actions/request_art35_reasons",
        data={"asked": "请说明申请用途", "period_days": "5", "csrf_token": csrf},
    )
    assert done.status_code == 303
    assert web.letters(case.id)[-1].doc_type == "art35_reasons_notice"
    before = (web.case(case.id).version, web.events(case.id))
    response = client.post(
        f"/cases/{case.id}/actions/record_art35_reasons", data={"answer": "not_given", "csrf_token": csrf}
    )
    page = assert_html_page(response, 409, case.tracking_no)
    assert "第三十五条" in page and "尚未登记送达" in page
    form = page[page.index('id="action-record_art35_reasons"') :]
    form = form[: form.index("</details>")]
    assert '<option value="not_given" selected>' in form
    assert (web.case(case.id).version, web.events(case.id)) == before
