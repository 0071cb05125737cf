"""Preconditions of outcomes and the full legal basis of every reply (issue 15, items 1 and 2).

Through the service layer on SQLite and PostgreSQL: each precondition refused (409, in Chinese, naming
the missing step and its article, the request and its evidence unchanged), then accepted once met;
what the letters say of it (the third party's objection with its reasons, or its silence; the earlier
request's tracking number, 文号 and date; a partial reply's grounds and their articles); and every
outcome's letter rendered: the Regulation's title once per citation, every refusal citing Art. 36(3).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from sqlmodel import col, select

from caseflow import law
from caseflow.errors import FactsError, IllegalTransition, RuleViolation
from caseflow.models import Case, Consultation, EvidenceEvent
from caseflow.replies.issue import compose, preview
from tests.integration.conftest import World, snapshot
from tests.integration.test_letters import CONSULT, CONSULT_AGENCY, SUPPLEMENT, answered_earlier, on, text_of

D = dt.date
DAY = dt.timedelta(days=1)
ACTED_ON = D(2026, 9, 29)

UNCLEAR = {
    "outcome": "unable.still_unclear",
    "reasons": "补正后仍未能指明所需信息的名称、文号或者便于查询的特征",
}
THIRD = {"outcome": "withheld.third_party", "reasons": "报价明细属于商业秘密，公开会损害该公司的合法权益"}
DUPLICATE = {"outcome": "rejected.duplicate", "reasons": "本次申请与此前申请的内容相同"}
PARTIAL = {
    "outcome": "partial",
    "reasons": "第三页属于内部讨论记录",
    "provided": "预算表第一、二页",
}
OBJECTION_TEXT = "报价明细属于本公司商业秘密，公开将损害本公司的竞争地位"
REGULATION_ARTICLE = re.compile(
    r"《中华人民共和国政府信息公开条例》第[^《》。；：]*?、《中华人民共和国政府信息公开条例》"
)


def refused(world: World, case: Case, error: type[Exception], facts: dict[str, Any], **kw: Any) -> Exception:
    """draft_reply must raise ``error`` and leave the request and its evidence untouched."""
    assert case.id is not None
    before = snapshot(world.session, case.id)
    with pytest.raises(error) as info:
        world.act(case, "draft_reply", facts, **kw)
    world.session.rollback()
    assert snapshot(world.session, case.id) == before, "a refused draft changed the request"
    return info.value


def letter_text(world: World, case: Case) -> str:
    world.session.expire_all()
    fresh = world.session.get(Case, case.id)
    assert fresh is not None
    return text_of(preview(world.session, fresh, "reply", today=ACTED_ON + 2 * DAY))


# --- Art. 30: unable.still_unclear only after a supplement notice and the supplement -----------


def test_still_unclear_needs_the_supplement(world: World) -> None:
    case = world.new_case()
    err = refused(world, case, RuleViolation, UNCLEAR)
    assert "补正" in str(err) and "第三十条" in str(err) and "尚未发出补正告知书" in str(err)
    case = world.act(case, "request_supplement", SUPPLEMENT)
    case = world.act(case, "receive_supplement", {})
    case = world.act(case, "draft_reply", UNCLEAR)
    assert case.draft is not None and case.draft["outcome"] == "unable.still_unclear"


# --- Art. 32: withheld.third_party only after a written consultation, its outcome recorded -------


def test_third_party_needs_a_consultation(world: World) -> None:
    case = world.new_case()
    err = refused(world, case, RuleViolation, THIRD)
    assert (
        "书面征求第三方的意见" in str(err) and "第三十二条" in str(err) and "尚未征求第三方意见" in str(err)
    )
    # Another agency's opinion is not a third party's.
    case = world.act(case, "start_consultation", CONSULT_AGENCY)
    case = world.act(case, "receive_opinion", {"opinion": "object", "opinion_text": "不同意"})
    assert "尚未征求第三方意见" in str(refused(world, case, RuleViolation, THIRD))
    # A third party that consented: the information is disclosed (Art. 15).
    case = world.act(case, "start_consultation", CONSULT)
    case = world.act(case, "receive_opinion", {"opinion": "consent"})
    err = refused(world, case, RuleViolation, THIRD)
    assert "第三方已同意公开" in str(err) and "第十五条" in str(err)


def test_third_party_objection_needs_its_reasons_and_the_letter_states_them(world: World) -> None:
    case = world.new_case()
    case = world.act(case, "start_consultation", CONSULT)
    case = world.act(case, "receive_opinion", {"opinion": "object"})
    err = refused(world, case, RuleViolation, THIRD)
    assert "理由" in str(err) and CONSULT["party_name"] in str(err) and "第三十二条" in str(err)
    case = world.act(case, "start_consultation", CONSULT)
    case = world.act(case, "receive_opinion", {"opinion": "object", "opinion_text": OBJECTION_TEXT})
    case = world.act(case, "draft_reply", THIRD)
    text = letter_text(world, case)
    assert f"{zh_date(ACTED_ON)}书面征求第三方{CONSULT['party_name']}的意见" in text
    assert f"不同意公开，理由为：{OBJECTION_TEXT}。" in text and "该理由合理" in text
    assert "未提出意见" not in text
    assert f"{law.REGULATION}第十五条、第三十二条、第三十六条第三项" in text


def test_third_party_that_did_not_answer(world: World) -> None:
    case = world.new_case()
    case = world.act(case, "start_consultation", CONSULT)
    case = world.act(
        case,
        "record_notice_delivery",
        {
            "document": "consultation_third_party",
            "method": "in_person",
            "proof": "送达回证",
            "received_on": ACTED_ON.isoformat(),
        },
    )
    row = world.session.exec(select(Consultation).where(col(Consultation.case_id) == case.id)).one()
    assert row.window_end is not None
    # Still open: the request is in consultation, no reply can be drafted yet.
    refused(world, case, IllegalTransition, THIRD, at=on(row.window_end))
    case = world.act(case, "lapse_consultation", {}, at=on(row.window_end + DAY))
    case = world.act(case, "draft_reply", THIRD, at=on(row.window_end + DAY))
    text = letter_text(world, case)
    assert f"在征求意见期限（{zh_date(row.window_end)}届满）内未提出意见" in text
    assert "不同意公开" not in text, "the third party never said it objected"
    assert "认为公开会对第三方合法权益造成损害" in text


# --- Art. 36(6): rejected.duplicate names the earlier request, answered ------------------------


def test_duplicate_names_an_answered_earlier_request_of_the_same_applicant(world: World) -> None:
    earlier, earlier_letter = answered_earlier(world)
    unanswered = world.new_case(at=on(D(2026, 9, 1)))
    other_applicant = world.new_case(at=on(D(2026, 9, 2)), id_number="110101199001061234")
    other_agency = world.new_case(at=on(D(2026, 9, 3)), agency="dept", actor="dept_clerk")
    case = world.new_case()

    err = refused(world, case, FactsError, DUPLICATE)
    assert "earlier_tracking_no" in str(err)
    for tracking_no, why in (
        ("CITY-2026-99999", "没有受理编号为CITY-2026-99999的申请"),
        (case.tracking_no, "的其他申请"),
        (unanswered.tracking_no, "尚未作出答复"),
        (other_applicant.tracking_no, "不是同一申请人的申请"),
        (other_agency.tracking_no, "不是本机关受理的申请"),
    ):
        err = refused(world, case, RuleViolation, {**DUPLICATE, "earlier_tracking_no": tracking_no})
        assert why in str(err) and "第三十六条第六项" in str(err), (tracking_no, str(err))

    case = world.act(case, "draft_reply", {**DUPLICATE, "earlier_tracking_no": earlier.tracking_no})
    text = letter_text(world, case)
    assert f"已于2025年11月10日以{earlier_letter.letter_no}" in text
    assert f"（受理编号：{earlier.tracking_no}）" in text and f"{law.REGULATION}第三十六条第六项" in text
    recorded = draft_facts(world, case)
    assert recorded["earlier_request"] == {
        "tracking_no": earlier.tracking_no,
        "letter_no": earlier_letter.letter_no,
        "issued_on": "2025-11-10",
    }


# --- Art. 37: a partial reply names the grounds of its withheld part ---------------------------


def test_partial_names_its_grounds_and_cites_their_articles(world: World) -> None:
    case = world.new_case()
    err = refused(world, case, FactsError, PARTIAL)
    assert "withheld_grounds" in str(err)
    err = refused(world, case, FactsError, {**PARTIAL, "withheld_grounds": ["withheld.query_matter"]})
    assert "withheld_grounds" in str(err) and "withheld.query_matter" in str(err)
    err = refused(world, case, FactsError, {**THIRD, "withheld_grounds": ["withheld.process_info"]})
    assert "withheld_grounds" in str(err)
    # Withholding part on the third party's ground needs the consultation too (Art. 32).
    err = refused(world, case, RuleViolation, {**PARTIAL, "withheld_grounds": ["withheld.third_party"]})
    assert "尚未征求第三方意见" in str(err)

    grounds = ["withheld.process_info", "withheld.state_secret"]
    case = world.act(case, "draft_reply", {**PARTIAL, "withheld_grounds": grounds})
    text = letter_text(world, case)
    assert f"{law.REGULATION}第十四条、第十六条第二款、第三十六条第三项、第三十七条" in text
    assert "（属于四类过程性信息、属于国家秘密）" in text
    assert not REGULATION_ARTICLE.search(text)
    recorded = draft_facts(world, case)
    assert recorded["withheld_grounds"] == grounds
    assert recorded["basis"] == [b.label for b in law.partial_basis(grounds)]


# --- Every outcome's letter: one title per instrument, Art. 36(3) for every refusal ---------------


@pytest.mark.parametrize("code", [o.code for o in law.OUTCOMES if o.group != "correction"])
def test_every_letter_cites_one_title_per_instrument(world: World, code: str) -> None:
    outcome = law.outcome(code)
    case = world.new_case()
    reply = {
        "reasons": "经审查",
        "where_to_obtain": "门户网站",
        "responsible_agency": "某市交通运输局",
        "provided": "预算表",
        "notice_date": "2026年9月29日",
        "received_on": "2026年9月30日",
        "period_end": "2026年10月20日",
    }
    html = compose(
        world.session, case, "reply", issue_date=ACTED_ON, number=None, outcome_code=code, reply=reply
    )[1]
    text = text_of(html)
    assert not REGULATION_ARTICLE.search(text), f"{code}: the Regulation's title repeated in one citation"
    if outcome.basis and law.REGULATION in outcome.basis_label:
        assert outcome.basis_label.count(law.REGULATION) == 1
    if code in law.WITHHOLDING_GROUNDS:
        assert law.WITHHOLDING_BASIS in outcome.basis
        assert outcome.basis_label in text and "第三十六条第三项" in text, f"{code} must cite Art. 36(3)"
    if code == "disclosed.public":
        assert f"{law.REGULATION}第三十六条第一项" in text
    if code == "disclosed.provided":
        assert f"{law.REGULATION}第三十六条第二项" in text


def test_cite_groups_by_instrument() -> None:
    r = law.REGULATION
    bases = (law.Basis(r, "第十五条"), law.Basis(r, "第三十二条"), law.WITHHOLDING_BASIS)
    assert law.cite(bases) == f"{r}第十五条、第三十二条、第三十六条第三项"
    assert law.cite(law.FEE_LETTER_BASES) == (
        f"{r}第四十二条和{law.FEE_MEASURES}第三条、第四条、第五条、第七条"
    )
    three = (law.Basis(r, "第二条"), law.REVIEW_BASIS, law.Basis(r, "第三条"), law.LITIGATION_BASIS)
    assert law.cite(three) == (
        f"{r}第二条、第三条、{law.REVIEW_LAW}{law.REVIEW_BASIS.article}和"
        f"{law.LITIGATION_LAW}{law.LITIGATION_BASIS.article}"
    )
    assert law.cite(()) == "" and law.cite((r_basis := law.Basis(r, "第二条"), r_basis)) == f"{r}第二条"
    civil = law.Basis(law.CIVIL_CODE, "第二百零一条", prefix="参照")
    assert law.cite((law.Basis(r, "第二条"), civil)) == f"{r}第二条和参照{law.CIVIL_CODE}第二百零一条"


def zh_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def draft_facts(world: World, case: Case) -> dict[str, Any]:
    """The draft_reply event's facts and basis, as the evidence records them."""
    world.session.expire_all()
    event = world.session.exec(
        select(EvidenceEvent)
        .where(col(EvidenceEvent.case_id) == case.id, col(EvidenceEvent.action) == "draft_reply")
        .order_by(col(EvidenceEvent.id).desc())
    ).first()
    assert event is not None
    payload = json.loads(event.payload)
    return {**payload["facts"], "basis": payload["basis"]}
