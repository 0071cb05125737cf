"""The engine's refusals speak Chinese, name the article and carry a stable code; an action the
state does not allow is refused as illegal (409) before its facts are looked at (issue 16, items 1
and 10). Service level on SQLite and PostgreSQL, then through the JSON API and the pages.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import col, select

from caseflow.accounts import hash_password
from caseflow.errors import CaseflowError, FactsError, IllegalTransition, RuleViolation, StaleVersion
from caseflow.evidence.chain import verify_events
from caseflow.models import Agency, EvidenceEvent
from tests.integration.conftest import World
from tests.integration.test_transitions import (
    AN,
    DAY,
    EX,
    EXTEND,
    SUPPLEMENT,
    Flow,
    R,
    _deliver,
    reach,
)
from tests.integration.webapp import Web

CJK = re.compile(r"[\u4e00-\u9fff]")
#: An English sentence: three Latin words in a row (a field name or code alone is not one).
ENGLISH = re.compile(r"[A-Za-z]+[ ,;:]+[A-Za-z]+[ ,;:]+[A-Za-z]+")
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def assert_chinese(message: str) -> None:
    assert CJK.search(message), message
    assert not ENGLISH.search(message), f"English in: {message}"


def refused(kind: type[CaseflowError], fl: Flow, action: str, facts: Any, **kw: Any) -> Any:
    """The refusal of ``action``: of ``kind``, in Chinese, and nothing changed."""
    before = (fl.case.version, fl.case.state)
    with pytest.raises(kind) as info:
        fl.world.act(fl.case, action, facts, at=fl.at + DAY, **kw)
    fl.world.session.expire_all()
    fl.world.session.refresh(fl.case)
    assert (fl.case.version, fl.case.state) == before
    assert_chinese(info.value.message)
    return info.value


# --- the refusals, at the service ---------------------------------------------------------------


def test_second_extension_names_article_33(world: World) -> None:
    fl = reach(world, EX)
    err = refused(IllegalTransition, fl, "extend", EXTEND, actor="supervisor")
    assert err.code == "extension_limit" and (err.action, err.state) == ("extend", EX)
    assert "「已延期」" in err.message and "「批准延期答复」" in err.message
    assert "答复期限只能延长一次（《中华人民共和国政府信息公开条例》第三十三条第二款）" in err.message
    assert "draft_reply" not in err.message and "extended" not in err.message  # labels, not machine names


def test_art35_date_without_the_reasons_step(world: World) -> None:
    fl = Flow(world)
    err = refused(
        RuleViolation,
        fl,
        "set_delayed_date",
        {"due": "2026-12-31", "reason": "申请数量明显超过合理范围"},
        actor="supervisor",
    )
    assert err.code == "art35_reasons_missing" and "第三十五条" in err.message


def test_stale_version(world: World) -> None:
    fl = Flow(world)
    err = refused(StaleVersion, fl, "add_note", {"text": "核对"}, expected_version=0)
    assert err.code == "stale_version" and (err.expected, err.actual) == (0, 1)
    assert err.message == "该申请在您打开后已被修改（您看到的是第0版，现为第1版），请刷新后重试"


def test_second_supplement_notice_names_article_30(world: World) -> None:
    fl = Flow(world)
    fl.act("request_supplement", SUPPLEMENT)
    _deliver("supplement_notice")(fl)
    fl.act("receive_supplement", {"summary": "补齐了身份证明"})
    err = refused(IllegalTransition, fl, "request_supplement", SUPPLEMENT)
    assert err.code == "supplement_once" and err.state == R
    assert "补正告知只能发出一次（《中华人民共和国政府信息公开条例》第三十条）" in err.message


def test_missing_letter_settings_refuse_registration_in_chinese(world: World) -> None:
    session = world.session
    city = session.exec(select(Agency).where(col(Agency.code) == "city")).one()
    city.letter_prefix = ""
    session.add(city)
    session.commit()
    before = len(session.exec(select(EvidenceEvent)).all())
    with pytest.raises(RuleViolation) as info:
        world.new_case()
    assert info.value.code == "letter_settings_missing"
    assert_chinese(info.value.message)
    assert len(session.exec(select(EvidenceEvent)).all()) == before


def test_password_too_short() -> None:
    with pytest.raises(FactsError) as info:
        hash_password("short")
    assert info.value.errors[0][0] == "password"
    assert_chinese(info.value.errors[0][1])
    assert "密码至少" in info.value.errors[0][1]


def test_tampered_chain_is_reported_in_chinese(world: World) -> None:
    fl = Flow(world)
    fl.act("add_note", {"text": "核对"})
    rows = world.session.exec(
        select(EvidenceEvent).where(col(EvidenceEvent.case_id) == fl.id).order_by(col(EvidenceEvent.seq))
    ).all()
    events = [r.model_dump() for r in rows]
    assert verify_events(fl.case.tracking_no, events)[0] is None
    events[1]["actor"] = "someone_else"  # a column edited behind the hash
    problem = verify_events(fl.case.tracking_no, events)[0]
    assert problem is not None and problem.seq == 2
    assert str(problem).startswith(f"{fl.case.tracking_no} 第2条事件：")
    assert_chinese(problem.message)
    events[1]["payload"] = events[1]["payload"].replace("核对", "改过")
    problem = verify_events(fl.case.tracking_no, events)[0]
    assert problem is not None and "内容与其哈希值不符" in problem.message


def test_future_date_and_date_before_receipt(world: World) -> None:
    fl = Flow(world)
    err = refused(FactsError, fl, "withdraw", {"reason": "撤回", "withdrawn_on": "2099-01-01"})
    assert [f for f, _ in err.errors] == ["withdrawn_on"]
    assert_chinese(err.errors[0][1])
    err = refused(FactsError, fl, "withdraw", {"reason": "撤回", "withdrawn_on": "2020-01-01"})
    assert "早于收到申请之日" in err.errors[0][1]


# --- item 10: illegal before invalid ------------------------------------------------------------


@pytest.mark.parametrize("facts", [None, {}, {"outcome": "no.such.outcome"}, {"bogus": 1}])
def test_illegal_action_is_409_whatever_its_facts(world: World, facts: Any) -> None:
    fl = reach(world, AN)
    err = refused(IllegalTransition, fl, "draft_reply", facts)
    assert err.code == "illegal_transition" and (err.action, err.state) == ("draft_reply", AN)
    assert "「已答复」" in err.message and "「拟定答复」" in err.message
    assert "archive" in err.allowed and "draft_reply" not in err.allowed
    assert "「归档」" in err.message  # the allowed actions by their Chinese labels


def test_allowed_action_with_bad_facts_is_invalid(world: World) -> None:
    fl = Flow(world)
    err = refused(FactsError, fl, "draft_reply", {"outcome": "withheld.process_info"})
    assert err.code == "invalid_facts" and [f for f, _ in err.errors] == ["reasons"]
    assert "须写明理由" in err.errors[0][1] and "第十六条第二款" in err.errors[0][1]


# --- through the API and the pages --------------------------------------------------------------


def test_api_answers_409_before_422_with_chinese_detail(web: Web) -> None:
    case = web.world.new_case()
    api = web.api("clerk")
    illegal = api.post(f"/api/v1/requests/{case.id}/actions/issue_reply", json={"facts": {"bogus": 1}})
    assert illegal.status_code == 409, illegal.text
    body = illegal.json()
    assert (body["action"], body["state"]) == ("issue_reply", "received")
    assert "draft_reply" in body["allowed"]
    assert_chinese(body["detail"])
    assert "「签发答复」" in body["detail"] and "「拟定答复」" in body["detail"]
    invalid = api.post(f"/api/v1/requests/{case.id}/actions/draft_reply", json={"facts": {}})
    assert invalid.status_code == 422, invalid.text
    assert [e["field"] for e in invalid.json()["errors"]] == ["outcome"]
    assert web.events(case.id) == 1


def test_page_answers_409_before_422(web: Web) -> None:
    case = web.world.new_case()
    client = web.browser("clerk")
    client.headers.update(HTML)
    csrf = web.csrf(client, "/cases")
    illegal = client.post(f"/cases/{case.id}/actions/issue_reply", data={"csrf_token": csrf, "bogus": "x"})
    assert illegal.status_code == 409
    assert "「已受理」" in illegal.text and "「签发答复」" in illegal.text
    invalid = client.post(
        f"/cases/{case.id}/actions/draft_reply",
        data={"outcome": "withheld.process_info", "reasons": "", "csrf_token": csrf},
    )
    assert invalid.status_code == 422
    assert "须写明理由" in invalid.text
    assert web.events(case.id) == 1
