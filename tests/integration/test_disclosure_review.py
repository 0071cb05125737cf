"""Review before disclosure (保密审查, Regulation Art. 17; issue 15, item 4) on SQLite and PostgreSQL.

A disclosed.* or partial reply is issued only after a recorded review of the draft as it stands
(who, when, conclusion): the reviewer role reviews, never their own draft; where the office so sets,
the handler's confirmation suffices for disclosed.public. 不同意公开 sends the draft back to work;
a new draft needs a new review. Every refusal names 第十七条 (or the four-eyes rule) and leaves the
request and its evidence unchanged; ``caseflow verify`` stays clean.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from caseflow import service
from caseflow.errors import FactsError, Forbidden, IllegalTransition, RuleViolation
from caseflow.models import Agency, Case, EvidenceEvent
from tests.integration.conftest import T0, World, snapshot
from tests.integration.test_four_eyes import add_solo
from tests.integration.test_tamper import run_cli
from tests.integration.webapp import Web

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}

DAY = dt.timedelta(days=1)
PROVIDED = {"outcome": "disclosed.provided", "provided": "2025年道路维修工程预算表（电子版）"}
PUBLIC = {"outcome": "disclosed.public", "where_to_obtain": "本机关门户网站“财政预决算”栏目"}
PARTIAL = {
    "outcome": "partial",
    "reasons": "第三页属于讨论记录，依第十六条第二款不予公开",
    "provided": "其余部分",
    "withheld_grounds": ["withheld.process_info"],
}
WITHHELD = {"outcome": "withheld.process_info", "reasons": "属于讨论记录，依第十六条第二款不予公开"}
AGREE = {"conclusion": "agree", "comments": "经审查，不涉及国家秘密、商业秘密和个人隐私"}
DISAGREE = {"conclusion": "disagree", "comments": "附件二含有涉密文件的文号和密级，不宜公开"}


class Steps:
    """One request acted on at moments one day apart."""

    def __init__(self, world: World, **changes: Any) -> None:
        self.world = world
        self.at = T0
        self.case = world.new_case(**changes)

    @property
    def id(self) -> int:
        assert self.case.id is not None
        return self.case.id

    def act(self, action: str, facts: dict[str, Any] | None = None, actor: str = "clerk") -> Case:
        self.at += DAY
        self.case = self.world.act(self.case, action, facts, actor=actor, at=self.at)
        return self.case

    def refused(
        self, error: type[Exception], action: str, facts: dict[str, Any] | None = None, actor: str = "clerk"
    ) -> Any:
        before = snapshot(self.world.session, self.id)
        with pytest.raises(error) as info:
            self.world.act(self.case, action, facts, actor=actor, at=self.at + DAY)
        assert snapshot(self.world.session, self.id) == before, f"refused {action} changed the request"
        return info.value

    def offered(self, actor: str) -> list[str]:
        self.world.session.expire_all()
        case = self.world.session.get(Case, self.id)
        assert case is not None
        return service.actions_for(self.world.session, self.world[actor], case)

    def last_event(self) -> dict[str, Any]:
        payload = self.world.session.exec(
            select(EvidenceEvent.payload)
            .where(col(EvidenceEvent.case_id) == self.id)
            .order_by(col(EvidenceEvent.seq).desc())
        ).first()
        assert payload is not None
        body: dict[str, Any] = json.loads(payload)
        return body


def _handler_confirms(world: World, code: str = "city", on: bool = True) -> None:
    agency = world.session.exec(select(Agency).where(col(Agency.code) == code)).one()
    agency.handler_confirms_published = on
    world.session.add(agency)
    world.session.commit()


def test_a_provided_reply_is_issued_only_after_the_review(world: World, db_url: str) -> None:
    s = Steps(world)
    case = s.act("draft_reply", PROVIDED)
    assert case.state == "ready-to-issue"
    assert "issue_reply" not in s.offered("clerk") and "confidentiality_review" not in s.offered("clerk")
    assert "confidentiality_review" in s.offered("reviewer")
    err = s.refused(RuleViolation, "issue_reply", {})
    assert "第十七条" in err.message and "保密" in err.message and "尚未经审查" in err.message
    err = s.refused(Forbidden, "confidentiality_review", AGREE)  # the clerk: no office setting
    assert "第十七条" in err.message

    case = s.act("confidentiality_review", AGREE, actor="reviewer")
    assert case.state == "ready-to-issue" and case.draft is not None
    review = case.draft["disclosure_review"]
    assert (review["by"], review["kind"], review["conclusion"], review["conclusion_name"]) == (
        "reviewer",
        "reviewer",
        "agree",
        "同意公开",
    )
    assert dt.datetime.fromisoformat(review["at"]) == s.at
    event = s.last_event()
    assert (event["action"], event["actor"], event["role"], event["from"], event["to"]) == (
        "confidentiality_review",
        "reviewer",
        "reviewer",
        "ready-to-issue",
        "ready-to-issue",
    )
    assert event["facts"]["conclusion"] == "agree" and event["facts"]["conclusion_name"] == "同意公开"
    assert event["facts"]["comments"] == AGREE["comments"]
    assert event["basis"] == ["《中华人民共和国政府信息公开条例》第十七条"]
    assert "confidentiality_review" not in s.offered("reviewer")  # reviewed: not offered again
    err = s.refused(RuleViolation, "confidentiality_review", AGREE, actor="reviewer")
    assert "已经保密审查" in err.message
    assert "issue_reply" in s.offered("clerk")

    case = s.act("issue_reply", {})
    assert (case.state, case.outcome) == ("answered", "disclosed.provided")
    result = run_cli(world.session, db_url, "verify")
    assert result.exit_code == 0, result.output


def test_a_partial_reply_needs_legal_review_and_the_confidentiality_review(world: World) -> None:
    s = Steps(world)
    case = s.act("draft_reply", PARTIAL)
    assert case.state == "legal-review"
    assert "confidentiality_review" not in s.offered("reviewer")
    err = s.refused(IllegalTransition, "confidentiality_review", AGREE, actor="reviewer")
    assert err.state == "legal-review"
    s.act("approve_reply", {"comments": "同意"}, actor="reviewer")
    err = s.refused(RuleViolation, "issue_reply", {})  # legal review alone is not enough
    assert "第十七条" in err.message and "部分公开" in err.message
    s.act("confidentiality_review", AGREE, actor="reviewer")
    case = s.act("issue_reply", {})
    assert (case.state, case.outcome) == ("answered", "partial")


def test_a_withholding_reply_needs_no_confidentiality_review(world: World) -> None:
    s = Steps(world)
    s.act("draft_reply", WITHHELD)
    s.act("approve_reply", {"comments": "同意"}, actor="reviewer")
    assert "confidentiality_review" not in s.offered("reviewer")
    err = s.refused(RuleViolation, "confidentiality_review", AGREE, actor="reviewer")
    assert "第十七条" in err.message and "无需保密审查" in err.message
    assert s.act("issue_reply", {}).state == "answered"


def test_the_drafter_does_not_review_their_own_draft(world: World) -> None:
    add_solo(world)  # clerk and reviewer under a recorded exception
    s = Steps(world, actor="solo")
    s.act("draft_reply", PROVIDED, actor="solo")
    assert "confidentiality_review" not in s.offered("solo")
    assert "confidentiality_review" in s.offered("reviewer")
    err = s.refused(Forbidden, "confidentiality_review", AGREE, actor="solo")
    assert "四眼原则" in err.message and "solo" in err.message and "第十七条" in err.message
    s.act("confidentiality_review", AGREE, actor="reviewer")
    assert s.act("issue_reply", {}, actor="solo").state == "answered"


def test_the_office_setting_lets_the_clerk_confirm_published_information_only(world: World) -> None:
    public = Steps(world)
    public.act("draft_reply", PUBLIC)
    assert "confidentiality_review" not in public.offered("clerk")
    public.refused(Forbidden, "confidentiality_review", AGREE)  # not without the setting

    _handler_confirms(world)
    assert "confidentiality_review" in public.offered("clerk")
    case = public.act("confidentiality_review", AGREE)
    assert case.draft is not None and case.draft["disclosure_review"]["kind"] == "handler"
    event = public.last_event()
    assert (event["role"], event["facts"]["kind"]) == ("clerk", "handler")
    assert public.act("issue_reply", {}).outcome == "disclosed.public"

    provided = Steps(world)
    provided.act("draft_reply", PROVIDED)
    assert "confidentiality_review" not in provided.offered("clerk")
    err = provided.refused(Forbidden, "confidentiality_review", AGREE)
    assert "第十七条" in err.message and "须由审核人员审查" in err.message
    provided.refused(RuleViolation, "issue_reply", {})

    # Another agency's setting is its own: the department still reviews its published information.
    dept = Steps(world, agency="dept", actor="dept_clerk")
    dept.act("draft_reply", PUBLIC, actor="dept_clerk")
    dept.refused(Forbidden, "confidentiality_review", AGREE, actor="dept_clerk")
    dept.act("confidentiality_review", AGREE, actor="dept_reviewer")
    assert dept.act("issue_reply", {}, actor="dept_clerk").state == "answered"


def test_disagreeing_sends_the_draft_back_and_a_new_draft_needs_a_new_review(world: World) -> None:
    s = Steps(world)
    s.act("draft_reply", PROVIDED)
    err = s.refused(FactsError, "confidentiality_review", {"conclusion": "disagree"}, actor="reviewer")
    assert [f for f, _ in err.errors] == ["comments"]
    case = s.act("confidentiality_review", DISAGREE, actor="reviewer")
    assert case.state == "received" and case.draft is not None
    assert case.draft["review_comments"] == DISAGREE["comments"] and case.draft["returned_by"] == "reviewer"
    assert case.draft["disclosure_review"]["conclusion_name"] == "不同意公开"
    assert s.last_event()["facts"]["conclusion"] == "disagree"

    case = s.act("draft_reply", {**PROVIDED, "provided": "2025年道路维修工程预算表（删去附件二）"})
    assert case.state == "ready-to-issue" and case.draft is not None and "disclosure_review" not in case.draft
    err = s.refused(RuleViolation, "issue_reply", {})
    assert "第十七条" in err.message
    assert "confidentiality_review" in s.offered("reviewer")
    s.act("confidentiality_review", AGREE, actor="reviewer")
    assert s.act("issue_reply", {}).state == "answered"


def test_disagreeing_on_an_extended_request_returns_it_to_extended(world: World) -> None:
    s = Steps(world)
    s.act("extend", {"reason": "需要检索多年档案"}, actor="supervisor")
    s.act("draft_reply", PROVIDED)
    assert s.act("confidentiality_review", DISAGREE, actor="reviewer").state == "extended"


def test_a_draft_changed_after_the_review_is_not_issued(world: World) -> None:
    """The review binds the draft it read: editing the draft row (or forging a review into it) after
    the review does not yield an issuable reply."""
    s = Steps(world)
    s.act("draft_reply", PROVIDED)
    case = s.act("confidentiality_review", AGREE, actor="reviewer")
    assert case.draft is not None
    changed = {**case.draft, "provided": "全部档案（含涉密附件）"}
    world.session.execute(
        text("UPDATE request SET draft = :d WHERE id = :i"), {"d": json.dumps(changed), "i": s.id}
    )
    world.session.commit()
    err = s.refused(RuleViolation, "issue_reply", {})
    assert "第十七条" in err.message and "审查后已经修改" in err.message

    other = Steps(world)
    drafted = other.act("draft_reply", PROVIDED)
    assert drafted.draft is not None
    forged_review = {
        "by": "reviewer",
        "kind": "reviewer",
        "conclusion": "agree",
        "draft_digest": case.draft["disclosure_review"]["draft_digest"],
    }
    from caseflow.cases.disclosure_review import digest

    forged_review["draft_digest"] = digest(drafted.draft)  # a matching digest, but no review event
    forged = {**drafted.draft, "disclosure_review": forged_review}
    world.session.execute(
        text("UPDATE request SET draft = :d WHERE id = :i"), {"d": json.dumps(forged), "i": other.id}
    )
    world.session.commit()
    other.refused(RuleViolation, "issue_reply", {})


# --- the pages: the case page shows the step, the reviewer's queue, the office setting -------------


def _browser(web: Web, username: str) -> TestClient:
    client = web.browser(username)
    client.headers.update(HTML)
    return client


def test_the_case_page_shows_the_review_and_offers_it_to_the_reviewer_only(web: Web) -> None:
    world = web.world
    case = world.act(world.new_case(), "draft_reply", PROVIDED)
    assert case.id is not None
    clerk, reviewer = _browser(web, "clerk"), _browser(web, "reviewer")
    page = clerk.get(f"/cases/{case.id}").text
    step = page[page.index('id="disclosure-review"') :].split("</p>", 1)[0]
    assert "保密审查（第十七条）" in step and "尚未审查" in step
    assert "/actions/confidentiality_review" not in page and "/actions/issue_reply" not in page
    queue = reviewer.get("/review").text
    assert "待保密审查的答复（1件）" in queue
    assert case.tracking_no in queue.split('id="disclosure-reviews"')[1]
    page = reviewer.get(f"/cases/{case.id}").text
    assert "/actions/confidentiality_review" in page
    form = page[page.index('id="action-confidentiality_review"') :].split("</details>", 1)[0]
    assert re.search(r"<option value=\"agree\" *>同意公开</option>", form) and "不同意公开" in form

    # 不同意公开 without comments: the form comes back open with the error beside the field
    csrf = web.csrf(reviewer, f"/cases/{case.id}")
    refused = reviewer.post(
        f"/cases/{case.id}/actions/confidentiality_review",
        data={"conclusion": "disagree", "comments": "", "csrf_token": csrf},
    )
    assert refused.status_code == 422
    assert '<details class="card" open id="action-confidentiality_review">' in refused.text
    done = reviewer.post(
        f"/cases/{case.id}/actions/confidentiality_review",
        data={**AGREE, "csrf_token": csrf},
    )
    assert done.status_code == 303
    page = clerk.get(f"/cases/{case.id}").text
    step = html.unescape(page[page.index('id="disclosure-review"') :].split("</p>", 1)[0])
    assert "同意公开 · reviewer" in step and AGREE["comments"] in step
    assert "/actions/issue_reply" in page
    assert "待保密审查的答复（0件）" in reviewer.get("/review").text


def test_the_admin_sets_whether_the_handler_confirms_published_information(web: Web) -> None:
    admin = _browser(web, "admin")
    csrf = web.csrf(admin, "/admin")
    form = {"code": "city", "name": "", "letter_prefix": "某政办公开", "csrf_token": csrf}
    assert admin.post("/admin/agencies", data={**form, "handler_confirms_published": "on"}).status_code == 303
    with Session(web.engine) as s:
        assert s.exec(select(Agency).where(col(Agency.code) == "city")).one().handler_confirms_published
    assert 'name="handler_confirms_published" style="width:auto" checked' in admin.get("/admin").text
    case = web.world.act(web.world.new_case(), "draft_reply", PUBLIC)
    assert case.id is not None
    clerk = _browser(web, "clerk")
    assert "/actions/confidentiality_review" in clerk.get(f"/cases/{case.id}").text
    # unticked: the reviewer reviews again
    assert admin.post("/admin/agencies", data=form).status_code == 303
    with Session(web.engine) as s:
        assert not s.exec(select(Agency).where(col(Agency.code) == "city")).one().handler_confirms_published
    assert "/actions/confidentiality_review" not in clerk.get(f"/cases/{case.id}").text
