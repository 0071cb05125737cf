"""The preconditions of a fee and of a pause, through the service on both databases (issue 14 items 8
and 10): the fee notice only within the reply period (Fee Measures Art. 7), not for requests received
before the Measures came into force (Art. 10), per page only for a form that supplies copies and an
outcome that supplies the information (Art. 5), a request split into several applications counts as
that many in the monthly bands (Art. 4), every fee letter cites Regulation Art. 42 and the Measures'
articles; under the 2007 text only a third party's consultation pauses (2007 Art. 24 para. 3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import col, select

from caseflow import law
from caseflow.dates import SHANGHAI, zh
from caseflow.errors import FactsError, RuleViolation
from caseflow.evidence.chain import verify_all
from caseflow.models import Case, Consultation, EvidenceEvent, FeeAssessment, Letter
from caseflow.replies.issue import issued_files, issued_letters
from tests.integration.conftest import World, snapshot
from tests.integration.test_letters import text_of

D = dt.date
PER_PAGE = {"method": "per_page", "pages": 150}
PER_APPLICATION = {"method": "per_application"}
MEASURES = law.FEE_MEASURES
NOT_HELD = {
    "outcome": "unable.not_held",
    "reasons": "经检索，本机关未制作、获取该信息",
    "search_description": "检索了本机关档案室和业务系统",
}
PROVIDED = {"outcome": "disclosed.provided", "provided": "以电子邮件方式提供"}


def on(day: dt.date, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 30 + minute), tzinfo=SHANGHAI)


def fee_rows(world: World, case: Case) -> list[FeeAssessment]:
    world.session.expire_all()
    return list(world.session.exec(select(FeeAssessment).where(col(FeeAssessment.case_id) == case.id)))


def refused(
    world: World,
    case: Case,
    error: type[Exception],
    action: str,
    facts: dict[str, Any] | None,
    at: dt.datetime,
) -> Any:
    """The action is refused and leaves the request, its evidence and its fee rows as they were."""
    assert case.id is not None
    before = snapshot(world.session, case.id), len(fee_rows(world, case))
    with pytest.raises(error) as info:
        world.act(case, action, facts, at=at)
    assert (snapshot(world.session, case.id), len(fee_rows(world, case))) == before
    return info.value


def letter_text(world: World, case: Case, doc_type: str) -> str:
    assert case.id is not None
    world.session.expire_all()
    found: list[Letter] = [x for x in issued_letters(world.session, case.id) if x.doc_type == doc_type]
    assert len(found) == 1
    return text_of(issued_files(found[0])["html"].decode("utf-8"))


def last_basis(world: World, case: Case) -> list[str]:
    import json

    event = world.session.exec(
        select(EvidenceEvent)
        .where(col(EvidenceEvent.case_id) == case.id)
        .order_by(col(EvidenceEvent.seq).desc())
    ).first()
    assert event is not None
    return list(json.loads(event.payload)["basis"])


# --- Art. 7: within the reply period ---------------------------------------------------------------


def test_fee_notice_on_the_reply_deadline_day_and_the_day_after(world: World) -> None:
    on_time, late = world.new_case(), world.new_case()  # received Monday 2026-09-28
    assert on_time.reply_due == late.reply_due == D(2026, 10, 30)
    case = world.act(on_time, "assess_fee", PER_PAGE, at=on(D(2026, 10, 30)))
    assert (case.state, case.pause_reason) == ("fee-pending", "fee")
    assert fee_rows(world, case)[0].notice_date == D(2026, 10, 30)

    err = refused(world, late, RuleViolation, "assess_fee", PER_PAGE, on(D(2026, 11, 2)))
    assert law.FEE_NOTICE_BASIS.label in err.message and "第七条" in err.message
    assert zh(D(2026, 10, 30)) in err.message and zh(D(2026, 11, 2)) in err.message
    # Dated back into the period is judged by its date; a date after the deadline is refused.
    err = refused(
        world,
        late,
        RuleViolation,
        "assess_fee",
        {**PER_PAGE, "notice_date": "2026-10-31"},
        on(D(2026, 11, 2)),
    )
    assert zh(D(2026, 10, 31)) in err.message
    case = world.act(late, "assess_fee", {**PER_PAGE, "notice_date": "2026-10-30"}, at=on(D(2026, 11, 2)))
    assert case.state == "fee-pending"
    assert verify_all(world.session) == (2, None)


# --- Art. 10: requests received before 2021-01-01 -------------------------------------------------


def test_no_fee_for_a_request_received_before_the_measures_came_into_force(world: World) -> None:
    assert law.FEE_MEASURES_IN_FORCE == D(2021, 1, 1)
    before = world.new_case(at=on(D(2020, 12, 31)))
    first_day = world.new_case(
        at=on(D(2021, 1, 1)), channel="internet", confirmed_on="2021-01-01", receipt_proof="网上确认记录"
    )
    assert (before.receipt_date, first_day.receipt_date) == (D(2020, 12, 31), D(2021, 1, 1))
    assert before.rules == first_day.rules == "2019"
    err = refused(world, before, RuleViolation, "assess_fee", PER_PAGE, on(D(2021, 1, 4)))
    assert law.FEE_IN_FORCE_BASIS.label in err.message and "第十条" in err.message
    assert zh(D(2021, 1, 1)) in err.message and zh(D(2020, 12, 31)) in err.message
    err = refused(world, before, RuleViolation, "assess_fee", PER_APPLICATION, on(D(2021, 1, 4)))
    assert "第十条" in err.message

    case = world.act(first_day, "assess_fee", PER_PAGE, at=on(D(2021, 1, 4)))
    assert case.state == "fee-pending" and fee_rows(world, case)[0].gross_yuan == 1700


# --- Art. 5: per page only for copies, and only for an outcome that supplies them -----------------


def test_per_page_fee_for_an_inspection_only_request_is_refused(world: World) -> None:
    inspection = world.new_case(provision_form="inspection")
    err = refused(world, inspection, RuleViolation, "assess_fee", PER_PAGE, on(D(2026, 9, 29)))
    assert law.FEE_PER_PAGE_BASIS.label in err.message and "第五条" in err.message
    assert "当场查阅" in err.message
    # Art. 4: per application applies to every kind of request and decision.
    applicant = {"applicant_name": "王小明", "id_number": "110101199001061234"}
    for n in range(10):
        world.new_case(at=on(D(2026, 9, 28), n), **applicant)
    eleventh = world.new_case(at=on(D(2026, 9, 28), 20), provision_form="inspection", **applicant)
    case = world.act(eleventh, "assess_fee", PER_APPLICATION, at=on(D(2026, 9, 29)))
    assert (fee_rows(world, case)[0].units, fee_rows(world, case)[0].gross_yuan) == (11, 100)

    for form in ("paper", "email", "electronic", "post", "pick_up"):
        case = world.act(world.new_case(provision_form=form), "assess_fee", PER_PAGE, at=on(D(2026, 9, 29)))
        assert fee_rows(world, case)[0].method == "per_page", form


def test_after_a_per_page_fee_only_an_outcome_that_supplies_the_information(world: World) -> None:
    case = world.act(world.new_case(), "assess_fee", PER_PAGE, at=on(D(2026, 9, 29)))
    case = world.act(case, "record_payment", {"payment_ref": "POS-1"}, at=on(D(2026, 10, 9)))
    assert fee_rows(world, case)[0].status == "paid" and case.state == "received"
    for facts in (
        NOT_HELD,
        {"outcome": "disclosed.public", "where_to_obtain": "某市人民政府门户网站"},
        {"outcome": "withheld.process_info", "reasons": "属于过程性信息"},
    ):
        err = refused(world, case, RuleViolation, "draft_reply", facts, on(D(2026, 10, 12)))
        assert law.FEE_PER_PAGE_BASIS.label in err.message and "第五条" in err.message
        assert law.outcome(facts["outcome"]).name in err.message
    case = world.act(case, "draft_reply", PROVIDED, at=on(D(2026, 10, 12)))
    assert case.state == "ready-to-issue" and case.draft is not None

    partial = world.act(world.new_case(), "assess_fee", PER_PAGE, at=on(D(2026, 9, 29)))
    partial = world.act(partial, "record_payment", {}, at=on(D(2026, 10, 9)))
    partial = world.act(
        partial,
        "draft_reply",
        {
            "outcome": "partial",
            "reasons": "部分属于内部事务信息",
            "withheld_grounds": ["withheld.internal_affairs"],
        },
        at=on(D(2026, 10, 12)),
    )
    assert partial.draft is not None and partial.draft["outcome"] == "partial"

    # A per-application fee (Art. 4: every kind of decision) leaves the outcome open.
    applicant = {"applicant_name": "王小明", "id_number": "110101199001061234"}
    for n in range(10):
        world.new_case(at=on(D(2026, 9, 28), n), **applicant)
    eleventh = world.new_case(at=on(D(2026, 9, 28), 20), **applicant)
    eleventh = world.act(eleventh, "assess_fee", PER_APPLICATION, at=on(D(2026, 9, 29)))
    eleventh = world.act(eleventh, "record_payment", {}, at=on(D(2026, 10, 9)))
    eleventh = world.act(eleventh, "draft_reply", NOT_HELD, at=on(D(2026, 10, 12)))
    assert eleventh.draft is not None and eleventh.draft["outcome"] == "unable.not_held"


# --- Art. 4: one request split into several applications (一事一申请) --------------------------------


def test_a_split_request_counts_as_that_many_applications_in_the_monthly_bands(world: World) -> None:
    applicant = {"applicant_name": "王小明", "id_number": "110101199001061234"}
    split = world.new_case(at=on(D(2026, 9, 28)), **applicant)
    nxt = world.new_case(at=on(D(2026, 9, 28), 1), **applicant)
    third = world.new_case(at=on(D(2026, 9, 28), 2), **applicant)

    # The applicant's first request of the month, split into 11 applications: the 11th costs 100 yuan.
    case = world.act(split, "assess_fee", {**PER_APPLICATION, "items_split": 11}, at=on(D(2026, 9, 29)))
    row = fee_rows(world, case)[0]
    assert (row.units, row.items_split, row.gross_yuan, row.amount_yuan) == (1, 11, 100, 100)

    # The next request counts after those 11: it is the 12th application (100 yuan), not the 2nd (free).
    case = world.act(nxt, "assess_fee", PER_APPLICATION, at=on(D(2026, 9, 29)))
    row = fee_rows(world, case)[0]
    assert (row.units, row.items_split, row.gross_yuan) == (12, 1, 100)

    # Split into 19: the 13th to the 31st, 18 at 100 yuan and the 31st at 200.
    case = world.act(third, "assess_fee", {**PER_APPLICATION, "items_split": 19}, at=on(D(2026, 9, 29)))
    row = fee_rows(world, case)[0]
    assert (row.units, row.items_split, row.gross_yuan) == (13, 19, 18 * 100 + 200)
    text = letter_text(world, case, "fee_notice")
    assert "拆分为19件" in text and "第13至31件" in text and "合计2000元" in text

    # Split only when charging per application (one method per request, Art. 3 and 4).
    err = refused(
        world,
        world.new_case(**applicant),
        FactsError,
        "assess_fee",
        {**PER_PAGE, "items_split": 2},
        on(D(2026, 9, 29)),
    )
    assert [f for f, _ in err.errors] == ["items_split"]
    err = refused(
        world,
        world.new_case(**applicant),
        FactsError,
        "assess_fee",
        {**PER_APPLICATION, "items_split": 0},
        on(D(2026, 9, 29)),
    )
    assert [f for f, _ in err.errors] == ["items_split"]


# --- The letters cite Regulation Art. 42 and the Measures' articles -------------------------------


def test_fee_letters_cite_article_42_and_the_measures(world: World) -> None:
    case = world.act(world.new_case(), "assess_fee", PER_PAGE, at=on(D(2026, 9, 29)))
    text = letter_text(world, case, "fee_notice")
    assert law.FEE_BASIS_REGULATION.label in text and "第四十二条" in text
    # Art. 3 the method, Art. 4 and 5 the scales, Art. 7 the notice and the payment period.
    assert f"{MEASURES}第三条、第四条、第五条、第七条" in text
    assert law.FEE_NOTICE_BASIS.label in text  # the deemed abandonment
    assert law.FEE_LETTER_BASIS_LABEL in text
    assert "按量计收" in text and "合计1700元" in text

    unpaid = law.outcome("other.fee_unpaid")
    assert law.FEE_BASIS_REGULATION in unpaid.basis and law.FEE_NOTICE_BASIS in unpaid.basis
    assert all(b.article for b in unpaid.basis), "no article-less basis"
    assert law.PAUSE_REASON_BASIS[law.PauseReason.FEE] == law.FEE_NOTICE_BASIS
    assert law.FEE_PAYMENT.basis == law.FEE_NOTICE_BASIS
    assert law.DOCUMENT_TYPES_BY_CODE["fee_notice"].basis == law.FEE_NOTICE_BASIS


# --- The 2007 text: only a third party's consultation pauses ---------------------------------------


def test_a_2007_request_pauses_only_for_a_third_party(world: World) -> None:
    old = world.new_case(at=on(D(2019, 5, 14)))
    new = world.new_case(at=on(D(2019, 5, 15)))
    assert (old.rules, new.rules) == ("2007", "2019")
    agency = {"party_kind": "co_producer", "party_name": "某市财政局", "matters": "预算由财政局共同制作"}
    third = {"party_kind": "third_party", "party_name": "某建设公司", "matters": "合同报价涉及商业秘密"}

    err = refused(world, old, RuleViolation, "start_consultation", agency, on(D(2019, 5, 16)))
    assert "（2007年）第二十四条第三款" in err.message and "征求共同制作机关意见不中止" in err.message
    # Another agency that did not co-produce the information: refused alike (issue 15).
    other = {**agency, "party_kind": "agency", "matters": "统计口径"}
    err = refused(world, old, RuleViolation, "start_consultation", other, on(D(2019, 5, 16)))
    assert "（2007年）第二十四条第三款" in err.message and "征求其他机关意见不中止" in err.message
    for facts in (PER_PAGE, PER_APPLICATION):
        err = refused(world, old, RuleViolation, "assess_fee", facts, on(D(2019, 5, 16)))
        assert "（2007年）第二十四条第三款" in err.message and law.FEE_IN_FORCE_BASIS.label in err.message
    assert not world.session.exec(select(Consultation).where(col(Consultation.case_id) == old.id)).all()

    case = world.act(old, "start_consultation", third, at=on(D(2019, 5, 16)))
    assert (case.state, case.pause_reason) == ("consultation", "consultation")
    assert last_basis(world, case) == [
        law.RULES_2007.third_party_basis.label,
        law.RULES_2007.pause_basis.label,
    ]
    text = letter_text(world, case, "consultation_third_party")
    assert f"{law.REGULATION}（2007年）第二十三条" in text and "第三十二条" not in text
    assert "第三方不同意公开的，本机关不予公开" in text and "有合理理由" not in text

    # The revised Regulation, from 2019-05-15: another agency's consultation pauses too (Art. 33(3)).
    case = world.act(new, "start_consultation", agency, at=on(D(2019, 5, 16)))
    assert (case.state, case.pause_reason) == ("consultation", "consultation")
    assert last_basis(world, case) == [
        law.CO_PRODUCER_OPINION.basis.label,
        law.PAUSE_REASON_BASIS[law.PauseReason.CONSULTATION].label,
    ]


def test_receipt_of_a_2007_request_names_only_the_third_party_pause(world: World) -> None:
    old = world.new_case(at=on(D(2019, 5, 14)))
    new = world.new_case(at=on(D(2019, 5, 15)))
    assert "征求第三方意见所需时间不计算在答复期限内" in letter_text(world, old, "receipt")
    assert "征求第三方和其他机关意见所需时间不计算在答复期限内" in letter_text(world, new, "receipt")


def test_supplement_notice_of_a_2007_request_cites_the_2007_article(world: World) -> None:
    old = world.act(
        world.new_case(at=on(D(2019, 5, 14))),
        "request_supplement",
        {"items": ["请明确信息名称"]},
        at=on(D(2019, 5, 15)),
    )
    new = world.act(
        world.new_case(at=on(D(2019, 5, 15))),
        "request_supplement",
        {"items": ["请明确信息名称"]},
        at=on(D(2019, 5, 16)),
    )
    old_text = letter_text(world, old, "supplement_notice")
    assert law.RULES_2007.supplement_notice_basis.label in old_text and "第三十条" not in old_text
    assert law.RULES_2019.supplement_notice_basis.label in letter_text(world, new, "supplement_notice")
