"""Issue 15 items 6 and 8 on SQLite and PostgreSQL.

- The form of provision (Regulation Art. 40, 36(2)): a reply that provides information records the
  form actually used; a form other than the one asked for needs its reason (422 naming the field
  and 第四十条), which the letter prints; the letter states the 方式、途径和时间 for each form.
- The remedies clause: the review body derived from the agency tree (Review Law Art. 24: a
  department's own people's government, a government's next government up), overridden by the
  agency's setting (Art. 27); the court as configured, or 依法向人民法院提起行政诉讼; a refusal since
  2024-01-01 must go to review first and carries the 15 days to sue after the review decision
  (Litigation Law Art. 45); a disclosure offers both.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlmodel import Session, col, select

from caseflow import law, service
from caseflow.accounts import create_agency
from caseflow.errors import FactsError, RuleViolation
from caseflow.models import Agency, Applicant, Case, User
from caseflow.replies.issue import compose, issued_files, issued_letters
from caseflow.replies.remedy_bodies import court_problem, derived_review_body, review_body
from tests.integration.conftest import World, _password_hash, snapshot
from tests.integration.webapp import Web

D = dt.date
PROVIDED = {"outcome": "disclosed.provided", "provided": "2025年道路维修工程预算表"}
WITHHELD = {"outcome": "withheld.process_info", "reasons": "属于讨论记录"}


def text_of(html: str) -> str:
    body = html[html.index("<body") :]
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", body))


def set_agency(world: World, code: str, **values: str) -> Agency:
    agency = world.session.exec(select(Agency).where(col(Agency.code) == code)).one()
    for name, value in values.items():
        setattr(agency, name, value)
    world.session.add(agency)
    world.session.commit()
    return agency


def set_applicant(world: World, case: Case, **values: str) -> None:
    applicant = world.session.get(Applicant, case.applicant_id)
    assert applicant is not None
    for name, value in values.items():
        setattr(applicant, name, value)
    world.session.add(applicant)
    world.session.commit()


def letter(world: World, case: Case, outcome: str, reply: dict[str, Any], issue_date: dt.date) -> str:
    """The reply as it would be issued on ``issue_date`` (numbered, not stored)."""
    world.session.refresh(case)
    return text_of(
        compose(
            world.session,
            case,
            "reply",
            issue_date=issue_date,
            number="测〔2026〕1号",
            outcome_code=outcome,
            reply=reply,
        )[1]
    )


def drafted_reply(case: Case) -> dict[str, Any]:
    from caseflow.replies.issue import REPLY_FIELDS

    assert case.draft is not None
    return {key: case.draft.get(key, "") for key in REPLY_FIELDS}


# --- Item 6: the form of provision -----------------------------------------------------------


def test_a_different_form_needs_its_reason_which_the_letter_prints(world: World) -> None:
    case = world.new_case(provision_form="paper")
    assert case.id is not None
    before = snapshot(world.session, case.id)
    other_form = {**PROVIDED, "provided_form": "inspection", "provision_place": "本机关档案室"}
    other_form["provision_time"] = "2026年10月12日至16日上午9时至11时"
    with pytest.raises(FactsError) as info:
        world.act(case, "draft_reply", other_form)
    fields = [name for name, _ in info.value.errors]
    assert fields == ["provided_form_reason"], info.value.errors
    assert law.PROVISION_FORM_BASIS.label in info.value.message and "纸质文本" in info.value.message
    assert snapshot(world.session, case.id) == before, "a refused draft changes nothing"

    reason = "所申请的图纸为1950年代档案原件，复制可能损坏载体"
    case = world.act(case, "draft_reply", {**other_form, "provided_form_reason": reason})
    assert case.draft is not None and case.draft["provided_form"] == "inspection"
    assert case.draft["provided_form_reason"] == reason
    text = letter(world, case, "disclosed.provided", drafted_reply(case), D(2026, 10, 9))
    assert "要求以纸质文本形式获取信息" in text and "改以当场查阅形式提供" in text
    assert reason in text and law.PROVISION_FORM_BASIS.label in text
    assert "当场查阅" in text and "本机关档案室" in text and "2026年10月12日至16日上午9时至11时" in text


def test_the_form_asked_for_needs_no_reason_and_is_recorded(world: World) -> None:
    case = world.act(world.new_case(provision_form="electronic"), "draft_reply", PROVIDED)
    assert case.draft is not None
    assert case.draft["provided_form"] == "electronic" and case.draft["provided_form_reason"] == ""
    text = letter(world, case, "disclosed.provided", drafted_reply(case), D(2026, 10, 9))
    assert "按照您要求的电子数据形式提供" in text and "改以" not in text
    assert "获取信息的方式、途径和时间：以电子数据形式随本答复书附送：2025年道路维修工程预算表。" in text


@pytest.mark.parametrize(
    ("form", "applicant", "extra", "expected"),
    [
        (
            "inspection",
            {},
            {"provision_place": "某市人民路1号三楼查阅室", "provision_time": "2026年10月12日上午9时"},
            "请您于2026年10月12日上午9时到某市人民路1号三楼查阅室当场查阅，可以抄录",
        ),
        (
            "pick_up",
            {},
            {"provision_place": "本机关收发室", "provision_time": "收到本答复书之日起10个工作日内"},
            "请您于收到本答复书之日起10个工作日内到本机关收发室自行领取",
        ),
        (
            "post",
            {"address": "某市某区某路8号"},
            {},
            "本机关将与本答复书一并邮寄至您登记的通信地址（某市某区某路8号）",
        ),
        (
            "email",
            {"email": "wang@example.cn"},
            {},
            "本机关于本答复书出具之日发送至您登记的电子邮箱（wang@example.cn）",
        ),
        ("electronic", {}, {}, "以电子数据形式随本答复书附送：2025年道路维修工程预算表"),
        ("paper", {}, {}, "以纸质文本形式随本答复书附送：2025年道路维修工程预算表"),
    ],
)
def test_each_form_states_the_manner_route_and_time(
    world: World, form: str, applicant: dict[str, str], extra: dict[str, str], expected: str
) -> None:
    case = world.new_case(provision_form=form, **applicant)
    case = world.act(case, "draft_reply", {**PROVIDED, **extra})
    text = letter(world, case, "disclosed.provided", drafted_reply(case), D(2026, 10, 9))
    assert f"获取信息的方式、途径和时间：{expected}" in text, text
    # A partial reply states it too.
    case2 = world.new_case(provision_form=form, **applicant)
    partial = {
        "outcome": "partial",
        "provided": "2025年道路维修工程预算表",
        "reasons": "部分内容为过程性信息",
    }
    partial["withheld_grounds"] = ["withheld.process_info"]  # type: ignore[assignment]
    case2 = world.act(case2, "draft_reply", {**partial, **extra})
    text2 = letter(world, case2, "partial", drafted_reply(case2), D(2026, 10, 9))
    assert f"获取信息的方式、途径和时间：{expected}" in text2, text2


@pytest.mark.parametrize(
    ("form", "missing"), [("inspection", "provision_place"), ("pick_up", "provision_time")]
)
def test_inspection_and_pick_up_need_the_place_and_the_time(world: World, form: str, missing: str) -> None:
    case = world.new_case(provision_form=form)
    facts = {**PROVIDED, "provision_place": "本机关收发室", "provision_time": "工作日上午"}
    del facts[missing]
    with pytest.raises(FactsError) as info:
        world.act(case, "draft_reply", facts)
    assert missing in [name for name, _ in info.value.errors]
    assert law.PROVISION_NOTICE_BASIS.label in info.value.message


def test_post_or_email_needs_the_applicants_contact(world: World) -> None:
    case = world.new_case(provision_form="email")  # the fixture's applicant has no e-mail address
    with pytest.raises(FactsError) as info:
        world.act(case, "draft_reply", PROVIDED)
    assert [name for name, _ in info.value.errors] == ["provided_form"] and "电子邮箱" in info.value.message
    set_applicant(world, case, address="某市某区某路8号")
    moved = {**PROVIDED, "provided_form": "post", "provided_form_reason": "申请人未登记电子邮箱"}
    case = world.act(case, "draft_reply", moved)
    assert case.draft is not None and case.draft["provided_form"] == "post"


def test_only_replies_that_provide_state_a_form(world: World) -> None:
    with pytest.raises(FactsError) as info:
        world.act(world.new_case(), "draft_reply", {**WITHHELD, "provided_form": "paper"})
    assert "provided_form" in info.value.message


# --- Item 8: the remedies clause -------------------------------------------------------------


@pytest.fixture
def tree(world: World) -> World:
    """某省人民政府 > 某市人民政府 > 某县人民政府 > (某县教育局, 某县税务局), with a clerk and a
    reviewer at the province (whose scope is the subtree)."""
    s = world.session
    create_agency(s, code="prov", name="某省人民政府", letter_prefix="省政公开", kind="government")
    create_agency(
        s, code="muni", name="某市人民政府", parent_code="prov", letter_prefix="市政公开", kind="government"
    )
    create_agency(
        s, code="county", name="某县人民政府", parent_code="muni", letter_prefix="县政公开", kind="government"
    )
    create_agency(s, code="edu", name="某县教育局", parent_code="county", letter_prefix="县教公开")
    create_agency(
        s,
        code="tax",
        name="国家税务总局某县税务局",
        parent_code="county",
        letter_prefix="县税公开",
        review_body="国家税务总局某市税务局",  # Review Law Art. 27: the higher-level competent department
    )
    s.commit()
    users = [("p_clerk", "clerk", "prov"), ("p_reviewer", "reviewer", "prov")]
    users += [(f"{code}_clerk", "clerk", code) for code in ("muni", "county", "edu", "tax")]
    for username, roles, code in users:
        s.add(
            User(
                username=username,
                display_name=username,
                password_hash=_password_hash(),
                roles=roles,
                agency_id=agency(world, code).id or 0,
            )
        )
    s.commit()
    for user in s.exec(select(User).where(col(User.username).in_([u[0] for u in users]))):
        world.actors[user.username] = service.Actor.of(s, user)
    return world


def agency(world: World, code: str) -> Agency:
    return world.session.exec(select(Agency).where(col(Agency.code) == code)).one()


def test_the_review_body_is_derived_from_the_tree_and_overridden_by_the_setting(tree: World) -> None:
    s = tree.session
    # A department: its own people's government (本级人民政府, Art. 24).
    assert review_body(s, agency(tree, "edu")).name == "某县人民政府"
    assert review_body(s, agency(tree, "edu")).source == "derived"
    # A government: the government at the next level up.
    assert review_body(s, agency(tree, "county")).name == "某市人民政府"
    assert review_body(s, agency(tree, "muni")).name == "某省人民政府"
    # Art. 27: the setting overrides the derivation.
    assert derived_review_body(s, agency(tree, "tax")) == "某县人民政府"
    assert review_body(s, agency(tree, "tax")).name == "国家税务总局某市税务局"
    assert review_body(s, agency(tree, "tax")).source == "setting"
    # The top of the tree has no government above it: nothing to derive.
    assert review_body(s, agency(tree, "prov")).name == ""


@pytest.mark.parametrize(
    ("code", "body"),
    [("edu", "某县人民政府"), ("county", "某市人民政府"), ("tax", "国家税务总局某市税务局")],
)
def test_the_letter_names_the_review_body(tree: World, code: str, body: str) -> None:
    case = tree.new_case(agency=code, actor=f"{code}_clerk")
    text = letter(tree, case, "withheld.process_info", {"reasons": "属于讨论记录"}, D(2026, 10, 9))
    assert f"日内向{body}申请行政复议" in text, text


def test_no_review_body_set_or_derivable_refuses_the_issue(tree: World) -> None:
    case = tree.new_case(agency="prov", actor="p_clerk")
    assert case.id is not None
    case = tree.act(case, "draft_reply", WITHHELD, actor="p_clerk")
    case = tree.act(case, "approve_reply", {}, actor="p_reviewer")
    before = snapshot(tree.session, case.id)
    with pytest.raises(RuleViolation) as info:
        tree.act(case, "issue_reply", {}, actor="p_clerk")
    assert (
        "尚未设置：行政复议机关" in info.value.message and law.REVIEW_BODY_BASIS.label in info.value.message
    )
    assert snapshot(tree.session, case.id) == before
    set_agency(tree, "prov", review_body="某省人民政府")  # Review Law Art. 25: the government itself
    case = tree.act(case, "issue_reply", {}, actor="p_clerk")
    assert case.outcome == "withheld.process_info"


def test_the_court_as_configured_or_by_the_general_wording(world: World) -> None:
    case = world.new_case()
    configured = letter(world, case, "disclosed.provided", {"provided": "预算表"}, D(2026, 10, 9))
    assert "6个月内向某市中级人民法院提起行政诉讼" in configured
    set_agency(world, "city", court="")
    unnamed = letter(world, case, "disclosed.provided", {"provided": "预算表"}, D(2026, 10, 9))
    assert "6个月内依法向人民法院提起行政诉讼" in unnamed and "中级人民法院" not in unnamed
    assert law.LITIGATION_BASIS.label in unnamed


def test_a_refusal_since_2024_goes_to_review_first_with_15_days_to_sue(world: World) -> None:
    case = world.new_case()
    case = world.act(case, "draft_reply", WITHHELD)
    case = world.act(case, "approve_reply", {}, actor="reviewer")
    case = world.act(case, "issue_reply", {})
    assert case.id is not None
    (reply,) = [x for x in issued_letters(world.session, case.id) if x.doc_type == "reply"]
    assert reply.issued_on >= law.REVIEW_FIRST_IN_FORCE
    text = text_of(issued_files(reply)["html"].decode("utf-8"))
    assert "应当先申请行政复议" in text and law.REVIEW_FIRST_BASIS.label in text
    assert "自收到行政复议决定书之日起15日内依法向人民法院提起行政诉讼" in text
    assert law.LITIGATION_AFTER_REVIEW_BASIS.label in text
    assert "6个月" not in text and law.LITIGATION_BASIS.label not in text, "no direct litigation"
    assert "某市中级人民法院" not in text


def test_a_disclosure_offers_review_and_litigation(world: World) -> None:
    case = world.new_case()
    text = letter(world, case, "disclosed.provided", {"provided": "预算表"}, D(2026, 10, 9))
    assert "60日内向某市人民政府申请行政复议" in text and law.REVIEW_BASIS.label in text
    assert "也可以自知道该行政行为之日起6个月内向某市中级人民法院提起行政诉讼" in text
    assert law.REVIEW_FIRST_BASIS.label not in text and "15日内" not in text


def test_a_governments_court_is_an_intermediate_court() -> None:
    problem = court_problem(law.AgencyKind.GOVERNMENT, "某县人民法院")
    assert problem is not None and "中级人民法院" in problem and "第十五条第一项" in problem
    assert court_problem(law.AgencyKind.GOVERNMENT, "某市中级人民法院") is None
    assert court_problem(law.AgencyKind.DEPARTMENT, "某县人民法院") is None
    assert court_problem(law.AgencyKind.GOVERNMENT, "") is None


def test_the_kind_is_checked(world: World) -> None:
    with pytest.raises(FactsError) as info:
        create_agency(world.session, code="x", name="某机关", kind="ministry")
    assert info.value.errors[0][0] == "kind"


# --- The admin page edits the kind, pre-filled -------------------------------------------------


def test_the_admin_page_edits_the_kind_pre_filled(web: Web) -> None:
    client = web.browser("admin")
    client.headers.update({"Accept": "text/html"})
    csrf = web.csrf(client, "/admin")
    page = client.get("/admin", params={"agency": "city"}).text
    # The chosen agency's form is pre-filled with its settings; the district's kind is selected.
    assert 'name="review_body" value="某市人民政府"' in page
    page = client.get("/admin", params={"agency": "district"}).text
    assert re.search(r'id="s-kind" name="kind"><option value="department" selected>', page)
    form = {
        "code": "district",
        "name": "某市东区人民政府",
        "kind": "government",
        "letter_prefix": "东政公开",
        "review_body": "",
        "court": "某市东区人民法院",  # a basic court: not for a county-level government (Art. 15(1))
        "address": "",
        "csrf_token": csrf,
    }
    refused = client.post("/admin/agencies", data=form)
    assert refused.status_code == 422 and "中级人民法院" in refused.text
    with Session(web.engine) as s:
        assert s.exec(select(Agency).where(col(Agency.code) == "district")).one().kind == "department"
    # The review body cannot be blanked while the tree gives none (the city is a department).
    blanked = client.post("/admin/agencies", data={**form, "court": "某市中级人民法院"})
    assert blanked.status_code == 422 and "行政复议机关为必填项" in blanked.text
    form["review_body"] = "某市人民政府"
    assert client.post("/admin/agencies", data={**form, "court": "某市中级人民法院"}).status_code == 303
    with Session(web.engine) as s:
        district = s.exec(select(Agency).where(col(Agency.code) == "district")).one()
        assert (district.kind, district.review_body, district.court) == (
            "government",
            "某市人民政府",
            "某市中级人民法院",
        )
    page = client.get("/admin", params={"agency": "district"}).text
    assert re.search(r'id="s-kind" name="kind">.*?<option value="government" selected>', page)
    # A department created under the district: its review body follows from the tree.
    new = {"code": "east-edu", "name": "某市东区教育局", "parent": "district", "letter_prefix": "东教公开"}
    assert client.post("/admin/agencies", data={**new, "kind": "", "csrf_token": csrf}).status_code == 303
    assert "某市东区人民政府（按机关树确定" in client.get("/admin").text  # east-edu's review body
    # Updating without a kind keeps it.
    keep = {**form, "kind": "", "court": "某市中级人民法院"}
    assert client.post("/admin/agencies", data=keep).status_code == 303
    with Session(web.engine) as s:
        assert s.exec(select(Agency).where(col(Agency.code) == "district")).one().kind == "government"
    bad = client.post("/admin/agencies", data={**form, "kind": "ministry", "court": ""})
    assert bad.status_code == 422


def test_the_draft_form_keeps_the_provision_fields_on_refusal(web: Web) -> None:
    case = web.world.new_case(provision_form="paper")
    assert case.id is not None
    client = web.browser("clerk")
    client.headers.update({"Accept": "text/html"})
    csrf = web.csrf(client, "/cases")
    typed = {
        "outcome": "disclosed.provided",
        "provided": "道路维修预算表",
        "provided_form": "inspection",
        "provision_place": "本机关档案室",
        "provision_time": "10月12日上午",
        "csrf_token": csrf,
    }
    response = client.post(f"/cases/{case.id}/actions/draft_reply", data=typed)
    assert response.status_code == 422
    page = response.text
    form = page[page.index('id="action-draft_reply"') :]
    form = form[: form.index("</details>")]
    assert "第四十条" in form, "the error beside provided_form_reason names Art. 40"
    assert '<option value="inspection" selected>' in form
    assert "本机关档案室" in form and "10月12日上午" in form and "道路维修预算表" in form
    assert web.case(case.id).draft is None
    reason = "档案原件复制可能损坏载体"
    assert (
        client.post(
            f"/cases/{case.id}/actions/draft_reply", data={**typed, "provided_form_reason": reason}
        ).status_code
        == 303
    )
    draft = web.case(case.id).draft
    assert draft is not None and draft["provided_form_reason"] == reason
