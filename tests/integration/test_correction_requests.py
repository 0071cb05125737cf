"""Correction requests (Regulation Art. 41, issue 15 item 9) on SQLite and PostgreSQL.

A request kind of its own on the same engine: registered with ``kind="correction"`` (service and
intake page), decided only by the correction outcomes (each with its letter citing 第四十一条; a
referral names the competent agency), refused a disclosure outcome and a disclosure request refused
a correction outcome, left out of table 三 unless the installation counts corrections (then in
三(六)3), and its evidence chain verifies.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from caseflow import law, service
from caseflow.cases.upload import Upload
from caseflow.errors import FactsError, RuleViolation
from caseflow.evidence.dbcheck import check_database
from caseflow.models import Agency, Case, CaseDocument, EvidenceEvent, Letter
from caseflow.replies.issue import issued_files, issued_letters
from caseflow.reports.annual import annual_report
from caseflow.settings import get_settings
from tests.integration.conftest import T0, World, snapshot
from tests.integration.test_letters import check_remedies, text_of
from tests.integration.test_pages import browser, intake_form
from tests.integration.test_pages import text_of as page_text
from tests.integration.webapp import Web, application

D = dt.date
CORRECTION = law.RequestKind.CORRECTION.value
WRONG = "本机关2025年发放的《不动产权证书》将申请人姓名误载为“王小名”，应为“王小明”"
COMPETENT = "某市不动产登记中心"
BASIS = law.CORRECTION_BASIS.label  # 《中华人民共和国政府信息公开条例》第四十一条


def on(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 30), tzinfo=T0.tzinfo)


def correction_case(world: World, **changes: Any) -> Case:
    return world.new_case(kind=CORRECTION, description=WRONG, **changes)


def letters(world: World, case: Case, doc_type: str) -> list[Letter]:
    assert case.id is not None
    world.session.expire_all()
    return [x for x in issued_letters(world.session, case.id) if x.doc_type == doc_type]


def html_of(letter: Letter) -> str:
    return issued_files(letter)["html"].decode("utf-8")


def facts_for(code: str) -> dict[str, Any]:
    facts: dict[str, Any] = {"outcome": code, "reasons": f"经核对登记档案（{code}）"}
    if code in ("correction.referred", "correction.elsewhere"):
        facts["responsible_agency"] = COMPETENT
    return facts


def decide(world: World, case: Case, code: str) -> Case:
    case = world.act(case, "draft_reply", facts_for(code))
    if law.outcome(code).needs_review:
        case = world.act(case, "approve_reply", {"comments": "同意"}, actor="reviewer")
    return world.act(case, "issue_reply", {})


def assert_verifies(engine: Engine, requests: int) -> None:
    report = check_database(engine)  # chains, the rows they describe (kind included) and the letters
    assert [str(p) for p in report.broken] + [str(f) for f in report.findings] == []
    assert report.intact and report.requests == requests


# --- Registration ----------------------------------------------------------------------------------


def test_register_a_correction_request(world: World, engine: Engine) -> None:
    proof = Upload("proof", b"%PDF-1.4 proof of the name", "application/pdf", "身份证复印件.pdf")
    case = service.register(
        session=world.session,
        actor=world["clerk"],
        agency_code="city",
        application=world.application(kind=CORRECTION, description=WRONG),
        uploads=(proof,),
        now=T0,
    )
    assert (case.kind, case.description, case.outcome) == (CORRECTION, WRONG, None)
    # The office-practice period: the clock's 20 working days (not a statutory rule).
    assert case.reply_due == D(2026, 10, 30)
    docs = world.session.exec(select(CaseDocument).where(col(CaseDocument.case_id) == case.id)).all()
    assert "proof" in {d.kind for d in docs}, "the applicant's proof is kept with the registration"
    event = world.session.exec(select(EvidenceEvent).where(col(EvidenceEvent.case_id) == case.id)).one()
    payload = json.loads(event.payload)
    assert event.action == "register" and payload["facts"]["kind"] == CORRECTION
    assert BASIS in payload["basis"]

    (receipt,) = letters(world, case, "receipt")
    text = text_of(html_of(receipt))
    assert receipt.title == law.CORRECTION_RECEIPT_TITLE and receipt.template == "correction_receipt"
    assert f"依据{BASIS}提出的政府信息更正申请" in text and WRONG in text
    assert "工作惯例" in text and "非法定期限" in text and "未规定更正申请的办理期限" in text
    assert "第三十三条" not in text, "the office's practice is not cited as Art. 33"
    assert "2026年10月30日" in text

    # A disclosure request is registered as before (its event does not carry the kind).
    other = world.new_case()
    assert other.kind == law.RequestKind.DISCLOSURE.value
    (plain,) = letters(world, other, "receipt")
    assert plain.title == "政府信息公开申请登记回执"
    assert_verifies(engine, 2)


def test_a_correction_request_before_article_41_is_refused(world: World) -> None:
    with pytest.raises(FactsError) as refused:
        correction_case(world, at=on(D(2019, 5, 14)))
    (field, message), *_ = refused.value.errors
    assert field == "kind" and "第四十一条" in message and "2019年5月15日" in message
    assert world.session.exec(select(Case)).first() is None
    case = correction_case(world, at=on(D(2019, 5, 15)))  # the day it came into force
    assert case.kind == CORRECTION


# --- Decisions and their letters -------------------------------------------------------------------


@pytest.mark.parametrize("code", [o.code for o in law.outcomes_for(CORRECTION)])
def test_each_decision_has_its_letter(world: World, engine: Engine, code: str) -> None:
    outcome = law.outcome(code)
    case = decide(world, correction_case(world), code)
    assert (case.outcome, case.state) == (code, "answered")
    (letter,) = letters(world, case, "reply")
    html = html_of(letter)
    text = text_of(html)
    assert letter.title == law.CORRECTION_REPLY_TITLE and f"<h1>{law.CORRECTION_REPLY_TITLE}</h1>" in html
    assert letter.template == f"reply_{code.replace('.', '_')}"
    assert BASIS in text, f"{code} cites Art. 41"
    assert "政府信息更正申请" in text and WRONG in text
    assert facts_for(code)["reasons"] in text
    assert "政府信息公开申请答复书" not in text and "第三十六条" not in text
    for bad in ("。。", "。，", "。”。"):
        assert bad not in text
    if code in ("correction.referred", "correction.elsewhere"):
        assert COMPETENT in text, "the competent agency is named"
    if code == "correction.referred":
        assert f"转送有权更正的行政机关{COMPETENT}处理" in text
    if code == "correction.elsewhere":
        assert f"向有权更正的行政机关{COMPETENT}提出" in text
    if code == "correction.corrected":
        assert "已予以更正" in text
    if code.startswith("correction.refused"):
        assert "不予更正" in text
    # Remedies where the decision goes against the applicant (with litigation: not a refusal to disclose).
    check_remedies(text, "litigation" if outcome.remedies else "none")
    assert outcome.remedies is (code not in ("correction.corrected", "correction.referred"))
    assert_verifies(engine, 1)


def test_referral_needs_the_competent_agency(world: World) -> None:
    case = correction_case(world)
    assert case.id is not None
    before = snapshot(world.session, case.id)
    with pytest.raises(FactsError) as refused:
        world.act(case, "draft_reply", {"outcome": "correction.referred", "reasons": "不属于本机关职能"})
    assert [f for f, _ in refused.value.errors] == ["responsible_agency"]
    assert BASIS in refused.value.errors[0][1]
    assert snapshot(world.session, case.id) == before


# --- Outcomes and actions of the other kind ----------------------------------------------------------


def test_a_disclosure_outcome_on_a_correction_is_refused(world: World) -> None:
    case = correction_case(world)
    assert case.id is not None
    before = snapshot(world.session, case.id)
    with pytest.raises(RuleViolation) as refused:
        world.act(case, "draft_reply", {"outcome": "withheld.process_info", "reasons": "过程性信息"})
    assert "更正申请" in refused.value.message and BASIS in refused.value.message
    assert snapshot(world.session, case.id) == before
    for action, facts in (
        ("assess_fee", {"method": "per_page", "pages": 50}),
        ("request_art35_reasons", {"asked": "请说明理由", "period_days": 5}),
    ):
        with pytest.raises(RuleViolation) as refused:
            world.act(case, action, facts)
        assert BASIS in refused.value.message
    assert snapshot(world.session, case.id) == before
    decided = decide(world, case, "correction.corrected")  # then accepted with its own outcome
    assert decided.outcome == "correction.corrected"


def test_a_correction_outcome_on_a_disclosure_is_refused(world: World) -> None:
    case = world.new_case()
    assert case.id is not None
    before = snapshot(world.session, case.id)
    with pytest.raises(RuleViolation) as refused:
        world.act(case, "draft_reply", facts_for("correction.corrected"))
    assert "更正申请的处理决定" in refused.value.message and BASIS in refused.value.message
    assert snapshot(world.session, case.id) == before


# --- Table 三 ----------------------------------------------------------------------------------------


@pytest.fixture
def counting_corrections(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CASEFLOW_COUNT_CORRECTIONS_IN_REPORT", "true")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("CASEFLOW_COUNT_CORRECTIONS_IN_REPORT")
    get_settings.cache_clear()


def _table3(world: World) -> dict[str, dict[str, int]]:
    world.session.rollback()
    city = world.session.exec(select(Agency).where(col(Agency.code) == "city")).one()
    return annual_report(world.session, city, 2026, subtree=False).table3


def _three_requests(world: World) -> None:
    """A disclosure request answered, a correction request decided, a correction request open."""
    decide(world, world.new_case(), "withheld.process_info")
    decide(world, correction_case(world), "correction.corrected")
    correction_case(world)


def test_table3_leaves_corrections_out_by_default(world: World) -> None:
    _three_requests(world)
    t3 = _table3(world)
    assert t3["received"]["total"] == 1 and t3["received"]["natural_person"] == 1
    assert t3["total"]["total"] == 1 and t3["withheld.process_info"]["total"] == 1
    assert t3["other.other"]["total"] == 0
    assert t3["carried_forward"]["total"] == 0, "the open correction request is not carried forward"


def test_table3_counts_corrections_as_other_when_the_office_does(
    world: World, counting_corrections: None
) -> None:
    assert get_settings().count_corrections_in_report
    _three_requests(world)
    t3 = _table3(world)
    assert t3["received"]["total"] == 3
    assert t3["other.other"]["total"] == 1 and t3["other"]["total"] == 1, "三(六)3 其他"
    assert t3["total"]["total"] == 2 and t3["carried_forward"]["total"] == 1
    assert t3["received"]["total"] == t3["total"]["total"] + t3["carried_forward"]["total"]


# --- Pages -----------------------------------------------------------------------------------------


def test_intake_page_registers_a_correction_request(web: Web) -> None:
    client = browser(web, "clerk")
    page = client.get("/intake").text
    assert 'name="kind"' in page and "政府信息公开申请" in page and "更正申请（第四十一条）" in page
    csrf = web.csrf(client, "/intake")
    arrived = (dt.datetime.now(T0.tzinfo) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    form = {**intake_form(arrived_at=arrived, description=WRONG), "kind": CORRECTION}
    response = client.post(
        "/intake",
        data={**form, "intent": "save", "csrf_token": csrf},
        files={"proof": ("证据.pdf", b"%PDF-1.4 proof", "application/pdf")},
    )
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    case = web.case(int(location.rsplit("/", 1)[1]))
    assert (case.kind, case.description) == (CORRECTION, WRONG)
    shown = client.get(location).text
    assert 'id="request-kind"' in shown and "更正申请（第四十一条）" in page_text(shown)
    # The draft form offers the correction decisions only.
    assert 'value="correction.corrected"' in shown and 'value="withheld.process_info"' not in shown
    # A disclosure request's form offers no correction decision.
    other = web.world.new_case()
    plain = client.get(f"/cases/{other.id}").text
    assert 'value="withheld.process_info"' in plain and 'value="correction.corrected"' not in plain


def test_api_registers_a_correction_request(web: Web) -> None:
    clerk = web.api("clerk")
    created = clerk.post("/api/v1/requests", json=application(kind=CORRECTION, description=WRONG))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == CORRECTION and body["kind_name"] == "更正申请（第四十一条）"
    assert web.case(body["id"]).kind == CORRECTION
    shown = clerk.get(f"/api/v1/requests/{body['id']}").json()
    assert shown["kind"] == CORRECTION
    refused = clerk.post("/api/v1/requests", json=application(kind="complaint"))
    assert refused.status_code == 422 and "kind" in refused.text
    clerk.post("/api/v1/requests", json=application())  # a disclosure request
    listed = clerk.get("/api/v1/requests", params={"kind": CORRECTION}).json()
    assert [i["id"] for i in listed["items"]] == [body["id"]] and listed["total"] == 1
    assert clerk.get("/api/v1/requests", params={"kind": "disclosure"}).json()["total"] == 1
