"""The JSON API v1 (docs/interfaces.md) on SQLite and PostgreSQL, through the real application.

Registration, the filtered and paginated list, a request's view, its actions and their refusals
(409 naming the state and the allowed actions, 409 stale, 403 role, 422 per-field facts), the
deadline (the clock's own answer on the request's ledger), the evidence events (their hash chain
verifies), letters as issued and the unsaved preview, the supervisor's dashboard, the applicant's
public status (nothing personal, rate-limited), sign-in tokens (revocation, wrong passwords slowed
down), and bad input of every kind to every route: never a 500, always a JSON error.

What cannot depend on the database (the sign-in throttle, rate limits, headers, 405 and 413) runs on
SQLite only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

import caseflow.api.main
from caseflow import clock
from caseflow.api.permissions import PERMISSIONS, PUBLIC
from caseflow.calendar import default_calendar
from caseflow.dates import SHANGHAI, legal_date
from caseflow.evidence.chain import verify_events
from caseflow.replies.issue import issued_files
from caseflow.states.actions import ACTIONS
from tests.integration.conftest import T0
from tests.integration.webapp import PASSWORD, Web, application, reset_limits

API = "/api/v1"
SUPPLEMENT = {"items": ["申请人身份证明复印件", "所需信息的具体名称或文号"]}
PROVIDED = {"outcome": "disclosed.provided", "provided": "2025年道路维修工程预算表（电子版）"}
WITHHELD = {"outcome": "withheld.process_info", "reasons": "属于讨论记录，不予公开"}
#: For what does not depend on the database (sign-in throttle, headers, limits, static pages).
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def act(
    client: TestClient, case_id: int, action: str, facts: dict[str, Any] | None = None, **body: Any
) -> Any:
    return client.post(f"{API}/requests/{case_id}/actions/{action}", json={"facts": facts or {}, **body})


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"
    return response.json()


# --- registering ------------------------------------------------------------------------------


def test_register_in_person(web: Web) -> None:
    clerk = web.api("clerk")
    body = application()
    created = clerk.post(f"{API}/requests", json=body)
    assert created.status_code == 201, created.text
    data = created.json()
    receipt = legal_date(dt.datetime.fromisoformat(body["arrived_at"]))
    due = clock.compute(clock.Timeline(receipt)).reply_due
    assert isinstance(data["id"], int)
    assert data["tracking_no"] == f"CITY-{receipt.year}-00001"
    assert data["state"] == "received"
    assert data["receipt_date"] == receipt.isoformat()
    assert data["reply_due"] == (due.isoformat() if due else None)
    assert data["agency"] == "city" and data["handler"] == "clerk" and data["version"] == 1
    assert data["applicant_detail"]["id_number"] == "1101**********1234"  # masked, at least half hidden
    # stored, with its first evidence event and its receipt letter
    assert web.requests() == 1 and web.events(data["id"]) == 1
    assert ok(clerk.get(f"{API}/requests/{data['id']}"))["tracking_no"] == data["tracking_no"]
    assert [x["doc_type"] for x in ok(clerk.get(f"{API}/requests/{data['id']}/letters"))] == ["receipt"]


def test_register_by_post_takes_the_day_signed_for(web: Web) -> None:
    arrived = dt.datetime(2026, 9, 25, 16, 0, tzinfo=SHANGHAI)  # a Friday; signed for on Monday
    body = application(
        channel="post", arrived_at=arrived.isoformat(), confirmed_on="2026-09-28", receipt_proof="EMS1234567"
    )
    data = ok(web.api("clerk").post(f"{API}/requests", json=body), 201)
    assert data["receipt_date"] == "2026-09-28"
    assert data["reply_due"] == "2026-10-30"  # 20 working days, the National Day week excluded
    assert data["receipt_proof"] == "EMS1234567" and data["channel"] == "post"


def test_register_refusals_name_their_fields(web: Web) -> None:
    clerk = web.api("clerk")
    no_name = clerk.post(f"{API}/requests", json=application(applicant_name="", applicant_type="alien"))
    assert no_name.status_code == 422
    assert {e["field"] for e in no_name.json()["errors"]} == {"applicant_name", "applicant_type"}
    future = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=3)).isoformat()
    ahead = clerk.post(f"{API}/requests", json=application(arrived_at=future))
    assert ahead.status_code == 422
    assert [e["field"] for e in ahead.json()["errors"]] == ["arrived_at"]
    naive = clerk.post(f"{API}/requests", json=application(arrived_at="2026-09-28T10:00:00"))
    assert naive.status_code == 422
    assert [e["field"] for e in naive.json()["errors"]] == ["arrived_at"]
    # registering for an agency the clerk does not belong to: no such agency for them
    assert clerk.post(f"{API}/requests", params={"agency": "dept"}, json=application()).status_code == 404
    assert web.requests() == 0
    # other roles may not register
    assert web.api("supervisor").post(f"{API}/requests", json=application()).status_code == 403
    assert web.requests() == 0


def test_register_whole_application_checks_name_their_field(web: Web) -> None:
    """The Art. 29/31 checks that look at several fields name the field to correct, as the facts
    of actions do ("confirmed_on", not an empty field with the name inside the message)."""
    clerk = web.api("clerk")
    missing = clerk.post(f"{API}/requests", json=application(channel="post", receipt_proof="EMS1"))
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["confirmed_on"], missing.text
    no_contact = clerk.post(f"{API}/requests", json=application(phone="", email="", address=""))
    assert no_contact.status_code == 422
    assert [e["field"] for e in no_contact.json()["errors"]] == ["phone"], no_contact.text
    assert web.requests() == 0


# --- the list ---------------------------------------------------------------------------------


def _due_soon_arrival(today: dt.date) -> dt.datetime:
    """A moment of arrival (in person) whose reply is due within 3 working days from today."""
    cal = default_calendar()
    soon = cal.add_working_days(today, 2)
    for back in range(20, 60):
        day = today - dt.timedelta(days=back)
        due = clock.compute(clock.Timeline(day)).reply_due
        if due is not None and today < due <= soon:
            return dt.datetime.combine(day, dt.time(10, 0), SHANGHAI)
    raise AssertionError("no arrival date gives a reply due within 3 working days")


@pytest.fixture
def populated(web: Web) -> dict[str, int]:
    """Overdue requests (received 2026-09-28), one due within 3 working days, one received today, a
    supplement awaited, a withdrawn one, and one of the department."""
    world = web.world
    today = dt.datetime.now(SHANGHAI).date()
    cases = {
        "overdue_a": world.new_case(applicant_name="张三"),
        "overdue_b": world.new_case(description="2024年本市河道整治资金"),
        "waiting": world.new_case(applicant_name="钱七"),
        "withdrawn": world.new_case(),
        "soon": world.new_case(at=_due_soon_arrival(today)),
        "fresh": world.new_case(at=dt.datetime.now(SHANGHAI) - dt.timedelta(minutes=5)),
        "dept": world.new_case(agency="dept", actor="dept_clerk"),
    }
    world.act(cases["waiting"], "request_supplement", SUPPLEMENT)
    world.act(cases["withdrawn"], "withdraw", {"reason": "申请人书面撤回"})
    return {k: int(case.id or 0) for k, case in cases.items()}


def listed(client: TestClient, **params: Any) -> tuple[int, list[int]]:
    data = ok(client.get(f"{API}/requests", params=params))
    return data["total"], [row["id"] for row in data["items"]]


def test_list_filters(web: Web, populated: dict[str, int]) -> None:
    p = populated
    supervisor = web.api("supervisor")  # the city and its subtree
    total, everything = listed(supervisor)
    assert total == 7 and set(everything) == set(p.values())

    assert listed(supervisor, state="supplement-required") == (1, [p["waiting"]])
    assert listed(supervisor, state="withdrawn") == (1, [p["withdrawn"]])
    assert listed(supervisor, state="no-such-state") == (0, [])

    _, overdue = listed(supervisor, overdue="true")
    assert set(overdue) == {p["overdue_a"], p["overdue_b"], p["dept"]}  # open and past due only
    assert listed(supervisor, overdue="false")[0] == 7  # false: no filter

    _, soon = listed(supervisor, due_within=3)
    assert soon == [p["soon"]]
    _, within = listed(supervisor, due_within=25)
    assert set(within) == {p["soon"], p["fresh"]}

    assert listed(supervisor, agency="dept") == (1, [p["dept"]])
    _, city = listed(supervisor, agency="city")
    assert set(city) == set(p.values()) - {p["dept"]}

    assert listed(supervisor, q="张三") == (1, [p["overdue_a"]])
    assert listed(supervisor, q="河道整治") == (1, [p["overdue_b"]])
    tracking = web.case(p["waiting"]).tracking_no
    assert listed(supervisor, q=tracking) == (1, [p["waiting"]])
    assert listed(supervisor, q="没有这样的申请") == (0, [])

    # combined filters narrow each other
    assert listed(supervisor, overdue="true", agency="city", q="张三") == (1, [p["overdue_a"]])

    # a clerk sees the city's requests only
    total, clerk_sees = listed(web.api("clerk"))
    assert total == 6 and p["dept"] not in clerk_sees
    assert listed(web.api("dept_clerk")) == (1, [p["dept"]])


def test_list_order_and_pagination(web: Web, populated: dict[str, int]) -> None:
    supervisor = web.api("supervisor")
    full = ok(supervisor.get(f"{API}/requests"))["items"]
    groups = [0 if row["open"] and row["reply_due"] else 1 if row["open"] else 2 for row in full]
    assert groups == [0] * 5 + [1, 2], "running deadlines, then stopped clocks, then concluded"
    dues = [row["reply_due"] for row in full[:5]]
    assert dues == sorted(dues), "most overdue first, then the soonest deadline"
    lefts = [row["working_days_left"] for row in full[:5]]
    assert lefts == sorted(lefts) and lefts[0] < 0, "by working days left"
    assert full[5]["state"] == "supplement-required" and full[6]["state"] == "withdrawn"

    pages = []
    for page in (1, 2, 3, 4):
        data = ok(supervisor.get(f"{API}/requests", params={"page": page, "size": 2}))
        assert data["total"] == 7 and data["page"] == page and data["size"] == 2
        pages.append([row["id"] for row in data["items"]])
    assert [len(x) for x in pages] == [2, 2, 2, 1]
    assert [i for x in pages for i in x] == [row["id"] for row in full]
    assert ok(supervisor.get(f"{API}/requests", params={"page": 5, "size": 2}))["items"] == []
    for bad in ({"page": 0}, {"size": 0}, {"size": 201}, {"due_within": -1}, {"overdue": "maybe"}):
        response = supervisor.get(f"{API}/requests", params=bad)
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["field"] == f"query.{next(iter(bad))}"


# --- one request, its actions ------------------------------------------------------------------


def test_request_and_its_actions(web: Web) -> None:
    case = web.world.new_case()
    clerk = web.api("clerk")
    detail = ok(clerk.get(f"{API}/requests/{case.id}"))
    for key in ("id", "tracking_no", "state", "receipt_date", "reply_due", "version", "ledger", "query_code"):
        assert key in detail
    assert (detail["state"], detail["receipt_date"], detail["reply_due"]) == (
        "received",
        "2026-09-28",
        "2026-10-30",
    )

    actions = ok(clerk.get(f"{API}/requests/{case.id}/actions"))
    names = [a["action"] for a in actions]
    assert {"request_supplement", "start_consultation", "assess_fee", "draft_reply", "withdraw"} <= set(names)
    assert not {"approve_reply", "extend", "view_identity", "issue_reply"} & set(names)
    for a in actions:
        assert a["label"] == ACTIONS[a["action"]].label
        schema = a["facts"]
        assert schema["type"] == "object" and isinstance(schema.get("properties"), dict)
        assert schema == ACTIONS[a["action"]].facts.model_json_schema()
    supplement = next(a for a in actions if a["action"] == "request_supplement")
    assert supplement["facts"]["required"] == ["items"]
    assert supplement["facts"]["properties"]["items"]["type"] == "array"

    # each role is offered its own actions
    reviewer = [a["action"] for a in ok(web.api("reviewer").get(f"{API}/requests/{case.id}/actions"))]
    assert "request_supplement" not in reviewer and "mark_complex" in reviewer
    supervisor = [a["action"] for a in ok(web.api("supervisor").get(f"{API}/requests/{case.id}/actions"))]
    assert "extend" in supervisor and "draft_reply" not in supervisor
    assert ok(web.api("auditor").get(f"{API}/requests/{case.id}/actions")) == []


def new_request(web: Web) -> int:
    """A request registered through the API just now (so that today's actions are in time)."""
    return int(ok(web.api("clerk").post(f"{API}/requests", json=application()), 201)["id"])


def test_perform_action(web: Web) -> None:
    case = web.case(new_request(web))
    assert case.id is not None
    clerk = web.api("clerk")
    moved = ok(act(clerk, case.id, "request_supplement", SUPPLEMENT, expected_version=1))
    assert moved["state"] == "supplement-required"
    assert moved["version"] == 2
    assert moved["reply_due"] is None and moved["ledger"][-1]["type"] == "supplement_requested"
    assert web.case(case.id).state == "supplement-required"
    assert web.events(case.id) == 2
    back = ok(act(clerk, case.id, "receive_supplement", {"summary": "补交了身份证明"}))
    assert back["state"] == "received" and back["reply_due"] is not None
    # the draft goes to review (a withholding) and the reviewer approves it
    assert ok(act(clerk, case.id, "draft_reply", WITHHELD))["state"] == "legal-review"
    assert (
        ok(act(web.api("reviewer"), case.id, "approve_reply", {"comments": "同意"}))["state"]
        == "ready-to-issue"
    )


def test_illegal_now_is_409_naming_state_and_allowed_actions(web: Web) -> None:
    case = web.world.new_case()
    assert case.id is not None
    before = (web.case(case.id).version, web.events(case.id))
    refused = act(web.api("clerk"), case.id, "issue_reply")
    assert refused.status_code == 409
    body = refused.json()
    assert body["state"] == "received"
    assert body["action"] == "issue_reply"
    assert set(body["allowed"]) >= {"request_supplement", "draft_reply", "withdraw"}
    assert "issue_reply" not in body["allowed"]
    assert "「已受理」" in body["detail"] and "「拟定答复」" in body["detail"]  # state and actions by name
    # the allowed actions named are those the caller is offered
    offered = [a["action"] for a in ok(web.api("clerk").get(f"{API}/requests/{case.id}/actions"))]
    assert body["allowed"] == offered
    # approving before anything was drafted: refused, naming the reviewer's own actions
    reviewer = act(web.api("reviewer"), case.id, "approve_reply")
    assert reviewer.status_code == 409
    assert reviewer.json()["state"] == "received"
    assert "approve_reply" not in reviewer.json()["allowed"]
    assert "mark_complex" in reviewer.json()["allowed"]
    assert (web.case(case.id).version, web.events(case.id)) == before


def test_stale_version_is_409(web: Web) -> None:
    case = web.world.new_case()
    assert case.id is not None
    clerk = web.api("clerk")
    ok(act(clerk, case.id, "add_note", {"text": "第一次"}, expected_version=1))
    stale = act(clerk, case.id, "request_supplement", SUPPLEMENT, expected_version=1)
    assert stale.status_code == 409
    assert stale.json()["expected_version"] == 1 and stale.json()["version"] == 2
    assert web.case(case.id).state == "received" and web.events(case.id) == 2


def test_role_refusal_is_403(web: Web) -> None:
    case = web.world.new_case()
    assert case.id is not None
    refused = act(web.api("reviewer"), case.id, "request_supplement", SUPPLEMENT)
    assert refused.status_code == 403
    assert "经办人" in refused.json()["detail"]  # the role the action needs, by its Chinese name
    refused = act(web.api("clerk"), case.id, "extend", {"reason": "需要检索档案"})
    assert refused.status_code == 403
    # an auditor may read but not act
    assert act(web.api("auditor"), case.id, "add_note", {"text": "审计意见"}).status_code == 403
    assert web.case(case.id).version == 1 and web.events(case.id) == 1


def test_facts_errors_are_422_per_field(web: Web) -> None:
    case = web.world.new_case()
    assert case.id is not None
    clerk = web.api("clerk")

    def errors(action: str, facts: dict[str, Any], client: TestClient = clerk) -> dict[str, str]:
        response = act(client, case.id or 0, action, facts)
        assert response.status_code == 422, response.text
        return {e["field"]: e["message"] for e in response.json()["errors"]}

    assert set(errors("request_supplement", {})) == {"items"}
    assert set(errors("request_supplement", {"items": []})) == {"items"}
    assert set(errors("request_supplement", {"items": ["ok"], "period_days": 0})) == {"period_days"}
    assert set(errors("request_supplement", {"items": ["ok"], "surprise": 1})) == {"surprise"}
    assert set(errors("draft_reply", {"outcome": "withheld.process_info"})) == {"reasons"}
    assert set(errors("start_consultation", {"party_kind": "neighbour"})) == {
        "party_kind",
        "party_name",
        "matters",
    }
    assert set(errors("assess_fee", {"method": "per_page"})) == {"pages"}
    tomorrow = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=2)).date().isoformat()
    assert set(errors("request_supplement", {"items": ["ok"], "notice_date": tomorrow})) == {"notice_date"}
    assert set(errors("reassign", {"handler": "nobody"}, web.api("supervisor"))) == {"handler"}
    assert web.case(case.id).version == 1 and web.events(case.id) == 1
    # an action that does not exist
    assert act(clerk, case.id, "teleport").status_code == 404


# --- deadline, events, letters ------------------------------------------------------------------


def test_deadline_is_the_clock_on_the_ledger(web: Web) -> None:
    world = web.world
    case = world.new_case()
    case = world.act(case, "request_supplement", SUPPLEMENT, at=T0 + dt.timedelta(days=1))
    case = world.act(case, "receive_supplement", {}, at=T0 + dt.timedelta(days=15))
    case = world.act(
        case, "extend", {"reason": "需要检索多年档案"}, actor="supervisor", at=T0 + dt.timedelta(days=17)
    )
    client = web.api("clerk")
    detail = ok(client.get(f"{API}/requests/{case.id}"))
    assert len(detail["ledger"]) == 3
    answer = ok(client.get(f"{API}/requests/{case.id}/deadline"))
    expected = clock.compute(
        clock.Timeline.from_json({"received": detail["receipt_date"], "events": detail["ledger"]})
    ).to_json()
    assert {
        k: v for k, v in answer.items() if k not in ("id", "tracking_no", "working_days_left")
    } == expected
    assert answer["id"] == case.id and answer["tracking_no"] == case.tracking_no
    assert answer["reply_due"] == detail["reply_due"] and answer["extended_days"] == 20
    assert answer["explanation"] and all(step["text"] for step in answer["explanation"])
    assert any("延长" in step["text"] or "延期" in step["text"] for step in answer["explanation"])
    today = dt.datetime.now(SHANGHAI).date()
    due = dt.date.fromisoformat(answer["reply_due"])
    assert answer["working_days_left"] == default_calendar().working_days_between(today, due)
    # while a supplement is awaited there is no reply date
    waiting = world.act(world.new_case(), "request_supplement", SUPPLEMENT)
    paused = ok(client.get(f"{API}/requests/{waiting.id}/deadline"))
    assert paused["reply_due"] is None and paused["working_days_left"] is None


def test_events_verify(web: Web) -> None:
    case = web.case(new_request(web))
    assert case.id is not None
    clerk = web.api("clerk")
    ok(act(clerk, case.id, "request_supplement", SUPPLEMENT))
    ok(act(clerk, case.id, "receive_supplement"))
    ok(act(clerk, case.id, "draft_reply", PROVIDED))
    events = ok(clerk.get(f"{API}/requests/{case.id}/events"))
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    assert [e["action"] for e in events] == [
        "register",
        "request_supplement",
        "receive_supplement",
        "draft_reply",
    ]
    assert events[0]["from_state"] is None and events[-1]["to_state"] == "ready-to-issue"
    problem, count, head = verify_events(case.tracking_no, events)
    assert problem is None and count == 4
    assert head == events[-1]["hash"] == web.case(case.id).last_hash
    for event in events:
        assert event["hash"] == hashlib.sha256(event["payload"].encode("utf-8")).hexdigest()
    # a changed event no longer verifies
    forged = [dict(e) for e in events]
    forged[1]["payload"] = forged[1]["payload"].replace("request_supplement", "withdraw")
    assert verify_events(case.tracking_no, forged)[0] is not None


def test_letters_as_issued(web: Web) -> None:
    case = web.world.new_case()
    assert case.id is not None
    clerk = web.api("clerk")
    ok(act(clerk, case.id, "draft_reply", PROVIDED))
    unreviewed = act(clerk, case.id, "issue_reply")  # Art. 17: the review before disclosure first
    assert unreviewed.status_code == 409 and "第十七条" in unreviewed.json()["detail"]
    ok(act(web.api("reviewer"), case.id, "confidentiality_review", {"conclusion": "agree"}))
    issued = ok(act(clerk, case.id, "issue_reply"))
    assert issued["state"] == "answered"
    letters = ok(clerk.get(f"{API}/requests/{case.id}/letters"))
    assert [x["doc_type"] for x in letters] == ["receipt", "reply"]
    reply = letters[-1]
    assert reply["letter_no"].startswith("某政办公开") and reply["outcome"] == "disclosed.provided"
    assert reply["pdf_sha256"] is None  # the tests issue letters without PDF

    stored = {x.id: x for x in web.letters(case.id)}
    for letter in letters:
        response = clerk.get(f"{API}/letters/{letter['id']}", params={"format": "html"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert response.content == issued_files(stored[letter["id"]])["html"]
        assert hashlib.sha256(response.content).hexdigest() == letter["html_sha256"]
    assert "2025年道路维修工程预算表" in clerk.get(f"{API}/letters/{reply['id']}?format=html").text

    pdf = clerk.get(f"{API}/letters/{reply['id']}", params={"format": "pdf"})
    assert pdf.status_code == 404
    assert "PDF" in pdf.json()["detail"]
    assert clerk.get(f"{API}/letters/{reply['id']}").status_code == 404  # PDF is the default format
    assert clerk.get(f"{API}/letters/{reply['id']}", params={"format": "doc"}).status_code == 422
    assert clerk.get(f"{API}/letters/999999", params={"format": "html"}).status_code == 404
    assert web.api("dept_clerk").get(f"{API}/letters/{reply['id']}?format=html").status_code == 404


def test_letter_preview(web: Web) -> None:
    case = web.world.new_case()
    assert case.id is not None
    clerk = web.api("clerk")
    nothing = clerk.post(f"{API}/requests/{case.id}/letters/preview", json={})
    assert nothing.status_code == 409  # no reply drafted yet
    ok(act(clerk, case.id, "draft_reply", WITHHELD))
    letters, events = len(web.letters(case.id)), web.events(case.id)
    preview = clerk.post(
        f"{API}/requests/{case.id}/letters/preview", json={"reasons": "该信息属于内部研究讨论记录"}
    )
    assert preview.status_code == 200
    assert preview.headers["content-type"].startswith("text/html")
    assert "预览稿" in preview.text
    assert "该信息属于内部研究讨论记录" in preview.text
    assert (len(web.letters(case.id)), web.events(case.id)) == (letters, events)
    unknown = clerk.post(f"{API}/requests/{case.id}/letters/preview", json={"letter_no": "伪造"})
    assert unknown.status_code == 422
    assert web.api("auditor").post(f"{API}/requests/{case.id}/letters/preview", json={}).status_code == 403


# --- the dashboard ------------------------------------------------------------------------------


def test_dashboard_counts(web: Web, populated: dict[str, int]) -> None:
    supervisor = web.api("supervisor")
    data = ok(supervisor.get(f"{API}/dashboard"))
    assert data["as_of"] == dt.datetime.now(SHANGHAI).date().isoformat()
    assert data["overdue"] == 3
    assert data["due_soon"] == 1
    assert data["overdue"] == listed(supervisor, overdue="true")[0]
    assert data["due_soon"] == listed(supervisor, due_within=3)[0]
    assert data["by_state"] == {"received": 5, "supplement-required": 1}  # open requests
    assert data["waiting_applicant"] == 1 and data["open"] == 6
    assert data["by_agency"] == {"city": 5, "dept": 1}
    assert data["by_handler"] == {"clerk": 5, "dept_clerk": 1}
    assert sum(data["by_working_days_left"].values()) == 5  # open with a running deadline
    assert data["by_working_days_left"]["overdue"] == 3
    # the department's supervisor counts the department only; the auditor the whole city
    dept = ok(web.api("dept_supervisor").get(f"{API}/dashboard"))
    assert (dept["overdue"], dept["open"], dept["by_state"]) == (1, 1, {"received": 1})
    assert ok(web.api("auditor").get(f"{API}/dashboard"))["open"] == 6
    assert web.api("clerk").get(f"{API}/dashboard").status_code == 403


# --- the applicant's public status ---------------------------------------------------------------


def test_public_status_shows_nothing_personal(web: Web) -> None:
    case = web.world.new_case(
        applicant_name="欧阳娜娜",
        id_number="110101199001061234",
        phone="13912345678",
        email="nana@example.cn",
        address="某市某区幸福路8号",
    )
    anonymous = web.client()
    response = anonymous.get(
        f"{API}/public/status", params={"tracking_no": case.tracking_no, "code": case.query_code}
    )
    data = ok(response)
    assert data["tracking_no"] == case.tracking_no
    assert data["state"] == "received"
    assert data["receipt_date"] == "2026-09-28" and data["reply_due"] == "2026-10-30"
    for personal in ("欧阳娜娜", "110101", "1234", "13912345678", "nana@example.cn", "幸福路", "applicant"):
        assert personal not in response.text, personal
    assert case.query_code not in response.text
    # the query code is not case-sensitive; a wrong one finds nothing
    lower = anonymous.get(
        f"{API}/public/status", params={"tracking_no": case.tracking_no, "code": case.query_code.lower()}
    )
    assert lower.status_code == 200
    wrong = anonymous.get(
        f"{API}/public/status", params={"tracking_no": case.tracking_no, "code": "WRONG234"}
    )
    assert wrong.status_code == 404 and "欧阳娜娜" not in wrong.text
    unknown = anonymous.get(f"{API}/public/status", params={"tracking_no": "CITY-2026-99999", "code": "X"})
    assert unknown.status_code == 404
    assert anonymous.get(f"{API}/public/status", params={"tracking_no": case.tracking_no}).status_code == 422


@SQLITE_ONLY
def test_public_status_is_rate_limited(web: Web) -> None:
    case = web.world.new_case()
    reset_limits()
    anonymous = web.client()
    params = {"tracking_no": case.tracking_no, "code": case.query_code}
    statuses = [anonymous.get(f"{API}/public/status", params=params).status_code for _ in range(20)]
    assert statuses == [200] * 20  # 20 a minute per address (failures: test_ratelimit.py)
    limited = anonymous.get(
        f"{API}/public/status", params={"tracking_no": case.tracking_no, "code": case.query_code}
    )
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert "detail" in limited.json()
    reset_limits()
    assert (
        anonymous.get(
            f"{API}/public/status", params={"tracking_no": case.tracking_no, "code": case.query_code}
        ).status_code
        == 200
    )


# --- sign-in tokens ------------------------------------------------------------------------------


def test_token_revocation(web: Web) -> None:
    client = web.client()
    issued = ok(client.post(f"{API}/auth/token", data={"username": "clerk", "password": PASSWORD}))
    assert issued["token_type"] == "bearer" and len(issued["access_token"]) >= 32
    token = issued["access_token"]
    other = web.token("clerk")  # a second token of the same user
    assert other != token
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/requests", headers=headers).status_code == 200
    assert client.delete(f"{API}/auth/token", headers=headers).status_code == 204
    again = client.get(f"{API}/requests", headers=headers)
    assert again.status_code == 401
    assert again.headers["www-authenticate"].lower().startswith("bearer")
    assert client.delete(f"{API}/auth/token", headers=headers).status_code == 401
    # the other token lives on
    assert client.get(f"{API}/requests", headers={"Authorization": f"Bearer {other}"}).status_code == 200
    # a made-up token, and a browser session's token used as a bearer token
    assert client.get(f"{API}/requests", headers={"Authorization": "Bearer made-up"}).status_code == 401
    browser = web.browser("clerk")
    session_token = browser.cookies["caseflow_session"]
    cross = client.get(f"{API}/requests", headers={"Authorization": f"Bearer {session_token}"})
    assert cross.status_code == 401


def test_wrong_password_is_401(web: Web) -> None:
    """(Counting and refusing failed sign-ins: tests/integration/test_sign_in.py.)"""
    client = web.client()
    wrong = client.post(f"{API}/auth/token", data={"username": "clerk", "password": "wrong password"})
    assert wrong.status_code == 401 and "access_token" not in wrong.text
    assert wrong.headers["www-authenticate"].lower().startswith("bearer")
    unknown = client.post(f"{API}/auth/token", data={"username": "nobody", "password": "whatever"})
    assert unknown.status_code == 401 and unknown.json()["detail"] == wrong.json()["detail"]
    assert (
        client.post(f"{API}/auth/token", data={"username": "clerk", "password": PASSWORD}).status_code == 200
    )
    assert client.post(f"{API}/auth/token", data={"username": "clerk"}).status_code == 422


# --- bad input to every route: never a 500 -------------------------------------------------------


def api_routes() -> list[tuple[str, str, str]]:
    """(name, method, path) of every API route."""
    out = []
    for route in iter_route_contexts(caseflow.api.main.app.routes):
        if route.path and route.path.startswith(API):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                out.append((str(route.name), method, route.path))
    return out


API_ROUTES = api_routes()
HUGE = "字" * 100_000
LONG_QUERY = "x" * 30_000  # (a URL cannot carry 100,000 characters)
ROLES_USED = ("clerk", "supervisor", "reviewer", "auditor", "admin")


def caller_for(name: str) -> str | None:
    allowed = PERMISSIONS[name]
    if allowed == PUBLIC:
        return None
    return next(role for role in ("clerk", "supervisor", "reviewer", "auditor", "admin") if role in allowed)


def bad_inputs(name: str, method: str) -> list[tuple[str, dict[str, Any]]]:
    """(label, request keyword arguments) of bad input for one route."""
    json_header = {"Content-Type": "application/json"}
    variants: list[tuple[str, dict[str, Any]]] = [
        ("no body", {}),
        ("malformed JSON", {"content": b'{"facts": {"items": ["x"', "headers": json_header}),
        ("not JSON at all", {"content": b"\xff\xfe\x00garbage", "headers": json_header}),
        ("a JSON list", {"json": [1, 2, 3]}),
        ("a JSON string", {"json": "facts"}),
        ("a JSON null", {"content": b"null", "headers": json_header}),
        ("wrong types", {"json": {"facts": "items", "expected_version": "three", "reasons": 5}}),
        ("unknown fields", {"json": {"facts": {}, "surprise": True, "__proto__": {}}}),
        ("huge strings", {"json": {"facts": {"text": HUGE, "items": [HUGE]}, "reasons": HUGE}}),
        ("deeply nested", {"json": {"facts": json.loads("[" * 200 + "]" * 200)}}),
        ("form instead of JSON", {"data": {"facts": "x"}}),
        (
            "huge query",
            {"params": {"q": LONG_QUERY, "state": LONG_QUERY[:5000], "tracking_no": LONG_QUERY[:5000]}},
        ),
        (
            "wrong query types",
            {
                "params": {
                    "overdue": "perhaps",
                    "due_within": "soon",
                    "page": "first",
                    "size": "-1",
                    "received_from": "yesterday",
                    "full_identity": "please",
                    "format": "docx",
                    "tracking_no": "",
                    "code": "",
                }
            },
        ),
        ("repeated query", {"params": [("page", "1"), ("page", "2"), ("q", "a"), ("q", "b")]}),
        ("form with huge fields", {"data": {"username": HUGE, "password": HUGE}}),
        ("form with a file", {"files": {"username": ("u.txt", b"clerk")}, "data": {"password": PASSWORD}}),
    ]
    if method == "GET":
        variants = [v for v in variants if "params" in v[1]]
    return variants


def _path(
    path: str, case_id: object, letter_id: object, action: str = "add_note", username: object = "clerk2"
) -> str:
    return path.format(
        case_id=case_id,
        letter_id=letter_id,
        action=action,
        notification_id=1,
        username=username,
        checkpoint_id=1,
        application_id=1,
        submission_no="W20260101-AAAAAAAA",
        submission_id=1,
        token="not-a-token",
        sha256="0" * 64,
        letter_no="X",  # the applicant's request page (issue 18 / C)
    )


def _check(response: Any, where: str, problems: list[str]) -> None:
    if response.status_code >= 500:
        problems.append(f"{where}: {response.status_code} {response.text[:200]!r}")
    elif response.status_code >= 400:
        if not response.headers.get("content-type", "").startswith("application/json"):
            problems.append(f"{where}: {response.status_code} is not JSON: {response.text[:100]!r}")
        elif "detail" not in response.json():
            problems.append(f"{where}: {response.status_code} without detail: {response.text[:100]!r}")


@pytest.fixture
def target(web: Web) -> tuple[int, int]:
    case = web.world.new_case()
    letter = web.letters(case.id or 0)[0]
    return case.id or 0, letter.id or 0


def test_bad_input_to_every_route_is_never_a_500(web: Web, target: tuple[int, int]) -> None:
    case_id, letter_id = target
    problems: list[str] = []
    clients = {user: web.client(raise_server_exceptions=False) for user in (None, *ROLES_USED)}
    for user, client in clients.items():
        if user:
            client.headers["Authorization"] = f"Bearer {web.token(user)}"
    for name, method, path in API_ROUTES:
        client = clients[caller_for(name)]
        for label, kwargs in bad_inputs(name, method):
            reset_limits()
            if name == "revoke_token":  # a token of its own each time (the call may revoke it)
                client = web.client(raise_server_exceptions=False)
                client.headers["Authorization"] = (
                    f"Bearer {Web(web.app, web.world, web.engine).token('clerk')}"
                )
            url = _path(path, case_id, letter_id)
            response = client.request(method, url, **kwargs)
            _check(response, f"{method} {url} ({name}) with {label}", problems)
        # ill-formed path parameters
        for bad_id in ("abc", "-1", "0", "1.5", "%00", "1e3"):
            url = _path(path, bad_id, bad_id, action="no_such_action", username=bad_id)
            response = client.request(method, url, json={"facts": {}})
            _check(response, f"{method} {url} ({name})", problems)
            if "{" in path and response.status_code not in (404, 405, 409, 422):
                problems.append(f"{method} {url}: {response.status_code}, expected 404 or 422")
    assert not problems, "\n".join(problems)


@SQLITE_ONLY
def test_unexpected_methods_are_405(web: Web, target: tuple[int, int]) -> None:
    case_id, letter_id = target
    client = web.client(raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {web.token('clerk')}"
    methods_of: dict[str, set[str]] = {}
    for _name, method, path in API_ROUTES:
        methods_of.setdefault(path, set()).add(method)
    problems = []
    for path, methods in methods_of.items():
        url = _path(path, case_id, letter_id)
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - methods):
            response = client.request(method, url, json={"facts": {}})
            if response.status_code != 405:
                problems.append(f"{method} {url}: {response.status_code}, expected 405")
            elif response.headers["content-type"] != "application/json" or "detail" not in response.json():
                problems.append(f"{method} {url}: 405 without a JSON body")
            elif not response.headers.get("allow"):
                problems.append(f"{method} {url}: 405 without Allow")
    assert not problems, "\n".join(problems)


def test_out_of_range_ids_are_404_not_500(web: Web, target: tuple[int, int]) -> None:
    """A request or letter id beyond the database's integer range is a request that does not exist."""
    client = web.client(raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {web.token('clerk')}"
    problems = []
    for huge in (2**31, 2**63, 10**30):
        for name, method, path in API_ROUTES:
            if "{case_id}" not in path and "{letter_id}" not in path:
                continue
            url = _path(path, huge, huge)
            response = client.request(method, url, params={"format": "html"}, json={"facts": {"text": "x"}})
            if response.status_code != 404:
                problems.append(f"{method} {url} ({name}): {response.status_code} {response.text[:80]!r}")
    assert not problems, "\n".join(problems)


def test_out_of_range_facts_are_refused_not_500(web: Web) -> None:
    """Numbers beyond the database's integer range and dates beyond the working-day calendar are bad
    facts (422 or 409), not server errors; nothing is stored."""
    clerk = web.client(raise_server_exceptions=False)
    clerk.headers["Authorization"] = f"Bearer {web.token('clerk')}"
    supervisor = web.client(raise_server_exceptions=False)
    supervisor.headers["Authorization"] = f"Bearer {web.token('supervisor')}"
    attempts: list[tuple[TestClient, str, dict[str, Any]]] = [
        (clerk, "assess_fee", {"method": "per_page", "pages": 2**31}),
        (clerk, "assess_fee", {"method": "per_page", "pages": 10**30}),
        (clerk, "request_supplement", {"items": ["身份证明"], "notice_date": "0001-01-01"}),
        (
            clerk,
            "start_consultation",
            {"party_kind": "agency", "party_name": "某局", "matters": "x", "letter_date": "1900-01-01"},
        ),
        (supervisor, "set_delayed_date", {"due": "9999-12-31", "reason": "申请数量明显超过合理范围"}),
    ]
    problems = []
    for client, action, facts in attempts:
        case = web.world.new_case()
        assert case.id is not None
        response = act(client, case.id, action, facts)
        if response.status_code >= 500:
            problems.append(f"{action} {facts}: {response.status_code} {response.text[:80]!r}")
        elif response.status_code >= 400 and (web.case(case.id).version, web.events(case.id)) != (1, 1):
            problems.append(f"{action} {facts}: refused with {response.status_code}, yet the request changed")
    assert not problems, "\n".join(problems)


def test_nul_characters_are_refused_not_500(web: Web) -> None:
    """PostgreSQL text cannot hold U+0000: an application carrying one is bad input (422)."""
    clerk = web.client(raise_server_exceptions=False)
    clerk.headers["Authorization"] = f"Bearer {web.token('clerk')}"
    response = clerk.post(f"{API}/requests", json=application(applicant_name="李\x00四"))
    assert response.status_code in (201, 422), f"{response.status_code} {response.text[:200]!r}"
    if response.status_code == 201:  # accepted (SQLite): then stored and shown exactly as given
        assert response.json()["applicant"] == "李\x00四"


@SQLITE_ONLY
def test_oversized_upload_is_413(web: Web) -> None:
    clerk = web.api("clerk")
    big = b"x" * (20 * 1024 * 1024 + 1)
    response = clerk.post(f"{API}/requests", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "20 MB" in response.json()["detail"]
    assert web.requests() == 0
    # a declared length over the limit is refused before the body is read, on pages too
    page = web.browser("clerk").post("/intake", content=big, headers={"Content-Type": "multipart/form-data"})
    assert page.status_code == 413
    # exactly at the limit is not refused for its size
    edge = clerk.post(
        f"{API}/requests", content=b" " * (20 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )
    assert edge.status_code == 422


SECURITY_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
}


def _missing_headers(response: Any) -> list[str]:
    return [
        f"{key}: {response.headers.get(key)!r}"
        for key, expected in SECURITY_HEADERS.items()
        if expected not in response.headers.get(key, "")
    ]


@SQLITE_ONLY
def test_security_headers(web: Web) -> None:
    case = web.world.new_case()
    clerk = web.api("clerk")
    browser = web.browser("clerk")
    anonymous = web.client()
    responses = {
        "API 200": clerk.get(f"{API}/requests/{case.id}"),
        "API 201": clerk.post(f"{API}/requests", json=application()),
        "API 401": anonymous.get(f"{API}/requests"),
        "API 403": clerk.get(f"{API}/dashboard"),
        "API 404": clerk.get(f"{API}/requests/999999"),
        "API 405": clerk.put(f"{API}/requests"),
        "API 409": act(clerk, case.id or 0, "issue_reply"),
        "API 422": clerk.get(f"{API}/requests", params={"page": 0}),
        "public status": anonymous.get(f"{API}/public/status", params={"tracking_no": "x", "code": "y"}),
        "login page": anonymous.get("/login"),
        "case page": browser.get(f"/cases/{case.id}"),
        "page redirect": anonymous.get("/cases", headers={"Accept": "text/html"}),
        "letter": clerk.get(f"{API}/letters/{web.letters(case.id or 0)[0].id}?format=html"),
    }
    problems = [f"{label}: {m}" for label, r in responses.items() for m in _missing_headers(r)]
    assert not problems, "\n".join(problems)
    assert responses["case page"].headers["x-frame-options"] == "DENY"
    assert responses["API 200"].headers["x-content-type-options"] == "nosniff"


@SQLITE_ONLY
def test_security_headers_on_refused_uploads(web: Web) -> None:
    """The 413 answered before routing carries the same headers as every other response."""
    response = web.api("clerk").post(
        f"{API}/requests", content=b"x" * (20 * 1024 * 1024 + 1), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert not _missing_headers(response), _missing_headers(response)


def test_cookie_sessions_need_the_csrf_token_on_the_api_too(web: Web) -> None:
    """A browser session's cookie authenticates API calls as well; a state-changing call made with
    it must carry the CSRF token like any form (else any page the browser visits on the same site
    could act for the user)."""
    case = web.world.new_case()
    assert case.id is not None
    browser = web.browser("clerk")
    without = act(browser, case.id, "add_note", {"text": "无令牌"})
    assert without.status_code == 403, f"{without.status_code}: {without.text[:200]}"
    assert web.events(case.id) == 1
    token = web.csrf(browser, f"/cases/{case.id}")
    with_token = browser.post(
        f"{API}/requests/{case.id}/actions/add_note",
        json={"facts": {"text": "带令牌"}},
        headers={"X-CSRF-Token": token},
    )
    assert with_token.status_code == 200


def test_a_date_beyond_the_calendar_does_not_break_the_lists(web: Web) -> None:
    """An Art. 35 date past the end of the working-day calendar (2045) is refused; were it stored, the
    request, every list it appears in and the dashboard could no longer be shown."""
    supervisor = web.client(raise_server_exceptions=False)
    supervisor.headers["Authorization"] = f"Bearer {web.token('supervisor')}"
    case = web.world.new_case()
    response = act(supervisor, case.id or 0, "set_delayed_date", {"due": "2046-06-30", "reason": "数量巨大"})
    assert response.status_code in (409, 422), f"{response.status_code} {response.text[:200]!r}"
    for url in (f"{API}/requests/{case.id}", f"{API}/requests", f"{API}/dashboard"):
        shown = supervisor.get(url)
        assert shown.status_code == 200, f"GET {url}: {shown.status_code}"
