"""Issue 15, items 3, 7 and 11 (SQLite and PostgreSQL):

- Art. 36(4) and 36(5) are two decisions: ``unable.not_held`` describes the search and says the
  information does not exist; ``unable.not_ours`` gives reasons and, where it can be determined, the
  responsible agency's name and contact details (else says it cannot be determined);
- Art. 36(7): a query-matter letter names the law that governs the query and where to apply, and
  never says 不予公开;
- the annual report counts the agency's own requests; the aggregate (汇总) counts the subtree and
  shows each agency's share; both 36 items count in row 三(四)1 and apart in the published figures,
  with the supplement notices sent and the fees collected and reduced.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from sqlmodel import col, select

from caseflow import law
from caseflow.errors import FactsError
from caseflow.models import Agency, Case
from caseflow.reports import render, xlsx
from caseflow.reports.annual import annual_report
from caseflow.reports.figures import office_figures
from tests.idnumbers import valid_uscc
from tests.integration.conftest import T0, World, snapshot
from tests.integration.test_letters import html_of, text_of, the_letter
from tests.integration.webapp import Web

D = dt.date
SEARCHED = "在本机关公文系统、档案室和政府信息公开目录中按申请所述名称和文号检索"
RESPONSIBLE = "某市交通运输局"
CONTACT = "某市人民路1号，电话0000-12345678"
QUERY_LAW = "《不动产登记暂行条例》"
QUERY_WHERE = "持身份证明向某市不动产登记中心申请查询"


def on(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=T0.tzinfo)


def reply(
    world: World, case: Case, facts: dict[str, Any], *, clerk: str = "clerk", reviewer: str = "reviewer"
) -> Case:
    case = world.act(case, "draft_reply", facts, actor=clerk)
    case = world.act(case, "approve_reply", {"comments": "同意"}, actor=reviewer)
    case = world.act(case, "issue_reply", {}, actor=clerk)
    assert case.state == "answered" and case.outcome == facts["outcome"]
    return case


def refused_draft(world: World, case: Case, facts: dict[str, Any]) -> FactsError:
    assert case.id is not None
    before = snapshot(world.session, case.id)
    with pytest.raises(FactsError) as info:
        world.act(case, "draft_reply", facts)
    assert snapshot(world.session, case.id) == before
    return info.value


# --- Art. 36(4) and 36(5) ------------------------------------------------------------------------


def test_not_ours_names_the_responsible_agency_and_its_contact(world: World) -> None:
    case = reply(
        world,
        world.new_case(),
        {
            "outcome": "unable.not_ours",
            "reasons": "所申请的信息由市交通运输局制作并保存",
            "responsible_agency": RESPONSIBLE,
            "responsible_contact": CONTACT,
        },
    )
    text = text_of(html_of(the_letter(world, case, "reply")))
    assert "不属于本机关负责公开" in text and "所申请的信息由市交通运输局制作并保存" in text
    assert f"负责公开该政府信息的行政机关为{RESPONSIBLE}，联系方式：{CONTACT}" in text
    assert "《中华人民共和国政府信息公开条例》第三十六条第五项" in text
    assert "第三十六条第四项" not in text and "不存在" not in text
    assert law.outcome("unable.not_ours").report_row == law.outcome("unable.not_held").report_row == "三(四)1"


def test_not_ours_without_a_determinable_agency_says_so(world: World) -> None:
    case = reply(world, world.new_case(), {"outcome": "unable.not_ours", "reasons": "不属于本机关职责范围"})
    text = text_of(html_of(the_letter(world, case, "reply")))
    assert "不能确定负责公开该政府信息的行政机关" in text and "第三十六条第五项" in text
    assert "联系方式" not in text and RESPONSIBLE not in text
    # contact details without the agency they belong to are refused, naming the rule and the field
    err = refused_draft(
        world,
        world.new_case(),
        {"outcome": "unable.not_ours", "reasons": "不属于本机关职责范围", "responsible_contact": CONTACT},
    )
    assert [f for f, _ in err.errors] == ["responsible_agency"] and "第三十六条第五项" in err.errors[0][1]


def test_not_held_describes_the_search_and_refuses_a_draft_without_it(world: World) -> None:
    case = world.new_case()
    err = refused_draft(world, case, {"outcome": "unable.not_held", "reasons": "本机关未制作该信息"})
    assert [f for f, _ in err.errors] == ["search_description"]
    assert "第三十六条第四项" in err.errors[0][1]
    case = reply(
        world,
        case,
        {"outcome": "unable.not_held", "reasons": "本机关未制作该信息", "search_description": SEARCHED},
    )
    text = text_of(html_of(the_letter(world, case, "reply")))
    assert f"检索情况如下：{SEARCHED}。" in text and "该政府信息不存在" in text
    assert "《中华人民共和国政府信息公开条例》第三十六条第四项" in text and "第三十六条第五项" not in text
    assert "不属于" not in text


def test_not_held_draft_without_the_search_is_refused_422_by_the_api(web: Web) -> None:
    case = web.world.new_case()
    api = web.api("clerk")
    sent = {"outcome": "unable.not_held", "reasons": "本机关未制作该信息"}
    got = api.post(f"/api/v1/requests/{case.id}/actions/draft_reply", json={"facts": sent})
    assert got.status_code == 422, got.text
    assert "search_description" in got.text


# --- Art. 36(7) ----------------------------------------------------------------------------------


def test_query_matter_names_the_law_and_where_to_apply_and_never_says_withheld(world: World) -> None:
    case = world.new_case()
    facts = {"outcome": "withheld.query_matter", "reasons": "所申请的是不动产登记资料"}
    err = refused_draft(world, case, facts)
    assert [f for f, _ in err.errors] == ["query_law"] and "第三十六条第七项" in err.errors[0][1]
    err = refused_draft(world, case, {**facts, "query_law": QUERY_LAW})
    assert [f for f, _ in err.errors] == ["query_where"]
    case = reply(world, case, {**facts, "query_law": QUERY_LAW, "query_where": QUERY_WHERE})
    text = text_of(html_of(the_letter(world, case, "reply")))
    assert f"请您依照{QUERY_LAW}的规定办理：{QUERY_WHERE}。" in text
    assert "行政查询事项" in text and "第三十六条第七项" in text
    assert "不予公开" not in text
    assert law.outcome("withheld.query_matter").report_row == "三(三)8"


# --- The annual report: own vs 汇总, and the published figures ----------------------------------


def _year_of_work(world: World) -> None:
    """City: a 36(4) reply, a 36(5) reply, a supplement notice, a fee reduced and paid.
    Its department: a 36(5) reply."""
    reply(
        world,
        world.new_case(applicant_type="natural_person"),
        {"outcome": "unable.not_held", "reasons": "未制作", "search_description": SEARCHED},
    )
    reply(
        world,
        world.new_case(
            applicant_type="commercial",
            applicant_name="某商业公司",
            id_type="统一社会信用代码",
            id_number=valid_uscc(),
        ),
        {"outcome": "unable.not_ours", "reasons": "不属于本机关", "responsible_agency": RESPONSIBLE},
    )
    asked = world.new_case()
    world.act(asked, "request_supplement", {"items": ["所需信息的具体名称"]})
    fee = world.new_case()
    fee = world.act(
        fee,
        "assess_fee",
        {"method": "per_page", "pages": 150, "reduction_yuan": 200, "reduction_reason": "困难"},
    )
    fee = world.act(
        fee,
        "record_notice_delivery",
        {"document": "fee_notice", "method": "in_person", "proof": "送达回证", "received_on": "2026-09-29"},
    )
    world.act(fee, "record_payment", {"payment_ref": "POS-1"}, at=on(D(2026, 10, 9)))
    dept = world.new_case(agency="dept", actor="dept_clerk")
    reply(
        world,
        dept,
        {"outcome": "unable.not_ours", "reasons": "不属于本机关"},
        clerk="dept_clerk",
        reviewer="dept_reviewer",
    )


def _agency(world: World, code: str) -> Agency:
    return world.session.exec(select(Agency).where(col(Agency.code) == code)).one()


def test_own_report_and_the_aggregate_with_each_agency_share(world: World) -> None:
    _year_of_work(world)
    city = _agency(world, "city")

    own = annual_report(world.session, city, 2026)  # the default: the city office's own requests
    assert not own.subtree and own.shares == []
    assert own.title == "某市人民政府办公室2026年政府信息公开工作年度报告"
    assert own.table3["received"]["total"] == 4
    assert own.table3["unable.not_held"]["total"] == 2  # 36(4) and 36(5) in one row, 三(四)1
    assert own.table3["unable.not_held"]["natural_person"] == own.table3["unable.not_held"]["commercial"] == 1
    assert own.table3["unable"]["total"] == 2 and "unable.not_ours" not in own.table3
    assert own.published == {
        "supplement_notices": 1,
        "unable_not_held": 1,
        "unable_not_ours": 1,
        "fees_charged": {"count": 1, "yuan": 1500},
        "fees_reduced": {"count": 1, "yuan": 200},
        "pages_released": 0,  # no reply here released records (issue 19)
        "pages_redacted": dict.fromkeys(law.REDACTION_LABELS, 0),
    }

    total = annual_report(world.session, city, 2026, subtree=True)
    assert total.title == "某市人民政府办公室2026年政府信息公开工作年度报告（汇总）"
    assert total.to_json()["scope"] == "aggregate" and own.to_json()["scope"] == "own"
    assert total.table3["received"]["total"] == 5  # the department's request too
    assert total.table3["unable.not_held"]["total"] == 3
    assert total.published["unable_not_held"] == 1 and total.published["unable_not_ours"] == 2
    shares = {
        s["agency"]: (s["own"], s["received"], s["concluded"], s["carried_forward"]) for s in total.shares
    }
    assert shares == {"city": (True, 4, 2, 2), "dept": (False, 1, 1, 0), "district": (False, 0, 0, 0)}
    assert total.shares[0]["agency"] == "city"
    assert sum(s["received"] for s in total.shares) == total.table3["received"]["total"]

    # the printable report and the workbook say the same
    page = text_of(render.document(total))
    assert "某市人民政府办公室2026年政府信息公开工作年度报告（汇总）" in page
    assert "某市自然资源和规划局" in page and "本机关及下级机关（汇总）" in page
    assert "收取信息处理费1件，1500元" in page and "减免信息处理费1件，200元" in page
    own_page = text_of(render.document(own))
    assert "（汇总）" not in own_page and "某市自然资源和规划局" not in own_page
    about = openpyxl.load_workbook(io.BytesIO(xlsx.workbook(total)))["说明"]
    lines = {row[0].value: row[1].value for row in about.iter_rows()}
    assert lines["报告"].endswith("（汇总）")
    assert lines["其中：某市自然资源和规划局"] == "本年新收1件，本年度办结1件，结转下年度0件"
    assert lines["不属于本机关负责公开（第三十六条第五项，件）"] == "2"


def test_office_figures_show_36_4_and_36_5_apart(world: World) -> None:
    _year_of_work(world)
    city = _agency(world, "city")
    own = office_figures(
        world.session, city, start=D(2026, 1, 1), end=D(2026, 12, 31), today=D(2026, 12, 31), subtree=False
    )
    assert own["published"]["unable_not_held"] == 1 and own["published"]["unable_not_ours"] == 1
    assert own["published"]["supplement_notices"] == 1
    assert own["published"]["fees_charged"] == {"count": 1, "yuan": 1500}
    assert own["published"]["fees_reduced"] == {"count": 1, "yuan": 200}
    tree = office_figures(
        world.session, city, start=D(2026, 1, 1), end=D(2026, 12, 31), today=D(2026, 12, 31)
    )
    assert tree["published"]["unable_not_ours"] == 2
    # a period that ends before the payment: the fee is not counted as collected yet, its reduction is
    early = office_figures(
        world.session, city, start=D(2026, 9, 1), end=D(2026, 10, 8), today=D(2026, 12, 31)
    )
    assert early["published"]["fees_charged"] == {"count": 0, "yuan": 0}
    assert early["published"]["fees_reduced"] == {"count": 1, "yuan": 200}


def test_report_pages_default_to_own_and_offer_the_aggregate(web: Web) -> None:
    from tests.integration.test_pages import browser
    from tests.integration.test_pages import text_of as page_text

    _year_of_work(web.world)
    client = browser(web, "supervisor")
    own = client.get("/reports/annual", params={"year": "2026", "agency": "city"})
    assert own.status_code == 200, own.text
    words = page_text(own.text)
    assert "某市人民政府办公室2026年政府信息公开工作年度报告" in words and "年度报告（汇总）" not in words
    assert "统计范围：本机关；" in words.replace(" ", "")
    assert 'id="report-shares"' not in own.text and 'id="published-figures"' in own.text
    assert '<option value="0" selected>本机关</option>' in own.text
    total = client.get("/reports/annual", params={"year": "2026", "agency": "city", "subtree": "1"})
    words = page_text(total.text)
    assert "某市人民政府办公室2026年政府信息公开工作年度报告（汇总）" in words
    assert 'id="report-shares"' in total.text and "某市自然资源和规划局 1 1 0" in words
    figures = client.get(
        "/reports/figures", params={"agency": "city", "date_from": "2026-01-01", "date_to": "2026-11-30"}
    )
    assert figures.status_code == 200, figures.text
    words = page_text(figures.text)
    assert "不属于本机关负责公开（第三十六条第五项，件） 2" in words
    assert "经检索政府信息不存在（第三十六条第四项，件） 1" in words
    assert "收取信息处理费 1件，1500元" in words and "发出补正申请告知书（份） 1" in words
