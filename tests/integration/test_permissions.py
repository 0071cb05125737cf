"""The permission matrix, generated from the application's route table.

Every route of ``caseflow.api.main.app`` (the JSON API and the pages; FastAPI's own /docs, /redoc and
/openapi.json aside) must have a rule in ``caseflow.api.permissions.PERMISSIONS``: a new route without one
fails here. Each route is then called, with a plausible path (a real request, a real letter) and
body, by every role, by nobody, and by users of another agency:

- nobody: 401 from the API, a 303 to /login from a page (PUBLIC routes answer);
- a role the rule does not name: 403;
- a role the rule names: neither 401 nor 403 (a 404, 409 or 422 for other reasons is fine), never 500;
- a user of another agency, on a route about a request or a letter: 404, not 403.

The matrix runs on SQLite (the rules do not depend on the database); the identity-number checks
run on both databases.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import col

import caseflow.api.main
from caseflow.api.permissions import PERMISSIONS, PUBLIC
from caseflow.dates import SHANGHAI
from caseflow.models import EvidenceEvent
from tests.integration.conftest import T0
from tests.integration.webapp import PASSWORD, Web, application, reset_limits

FASTAPI_OWN = {"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
ROLES = ("clerk", "reviewer", "supervisor", "auditor", "admin")
#: Users of another agency than the request's (city): a clerk and a supervisor of the department.
OUTSIDERS = {"dept_clerk": "clerk", "dept_supervisor": "supervisor"}
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
NOTICE = Path(__file__).resolve().parents[1] / "fixtures" / "notice-2027-test.json"
ID_NUMBER = "110101199001061234"


@dataclass(frozen=True)
class RouteInfo:
    name: str
    method: str
    path: str

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def about_a_request(self) -> bool:
        return "{case_id}" in self.path or "{letter_id}" in self.path

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.name})"


def app_routes() -> list[RouteInfo]:
    """Every (route, method) of the application, FastAPI's documentation pages aside."""
    out = []
    for route in iter_route_contexts(caseflow.api.main.app.routes):
        path = route.path
        if path is None or path in FASTAPI_OWN:
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            out.append(RouteInfo(str(route.name), method, path))
    return out


ROUTES = app_routes()


def test_the_route_table_is_not_empty() -> None:
    names = {r.name for r in ROUTES}
    assert {"create_request", "perform_action", "page_case", "page_admin", "public_status"} <= names
    assert len(ROUTES) >= 30


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_route_has_a_permission_rule(route: RouteInfo) -> None:
    assert route.name in PERMISSIONS, f"{route} has no rule in caseflow.api.permissions.PERMISSIONS"
    assert PERMISSIONS[route.name], f"{route} has an empty rule"
    assert PERMISSIONS[route.name] <= set(ROLES) | {"anonymous"}, PERMISSIONS[route.name]


def test_no_rule_without_a_route() -> None:
    """A rule for a route that no longer exists is a sign of a renamed route."""
    assert set(PERMISSIONS) <= {r.name for r in ROUTES}


# --- the matrix --------------------------------------------------------------------------------


@dataclass
class Subject:
    """The request (city, in legal review after a drafted withholding reply) and its receipt letter."""

    case_id: int
    letter_id: int
    tracking_no: str
    query_code: str


@pytest.fixture
def subject(web: Web) -> Subject:
    world = web.world
    case = world.new_case()
    case = world.act(case, "draft_reply", {"outcome": "withheld.process_info", "reasons": "内部讨论记录"})
    assert case.state == "legal-review"
    letters = web.letters(case.id or 0)
    assert letters and letters[0].id is not None
    return Subject(case.id or 0, letters[0].id, case.tracking_no, case.query_code)


#: An action each role may take on the subject (auditors only ever view the identity number).
ACTION = {"auditor": ("view_identity", {}), "anonymous": ("add_note", {"text": "x"})} | {
    role: ("add_note", {"text": "核对申请内容"}) for role in ("clerk", "reviewer", "supervisor", "admin")
}


class Caller:
    """One role's clients: a bearer token for the API, a signed-in browser for the pages."""

    def __init__(self, web: Web, username: str | None, role: str) -> None:
        self.web, self.username, self.role = web, username, role
        self._api: TestClient | None = None
        self._browser: TestClient | None = None
        self._csrf = ""

    def api(self, fresh: bool = False) -> TestClient:
        if fresh and self.username:  # a token of its own (the call may revoke it)
            client = self.web.client()
            token = client.post(
                "/api/v1/auth/token", data={"username": self.username, "password": PASSWORD}
            ).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            return client
        if self._api is None:
            self._api = self.web.api(self.username)
        return self._api

    def browser(self, fresh: bool = False) -> tuple[TestClient, str]:
        if fresh:  # a session of its own (the call may end it)
            client = self.web.browser(self.username)
            client.headers.update(HTML)
            return client, self.web.csrf(client) if self.username else ""
        if self._browser is None:
            self._browser = self.web.browser(self.username)
            self._browser.headers.update(HTML)
            self._csrf = self.web.csrf(self._browser) if self.username else ""
        return self._browser, self._csrf


def intake_form() -> dict[str, str]:
    arrived = dt.datetime.now(SHANGHAI) - dt.timedelta(hours=1)
    return {
        "applicant_type": "natural_person",
        "applicant_name": "赵六",
        "id_type": "居民身份证",
        "id_number": ID_NUMBER,
        "phone": "13700000000",
        "description": "本市2025年老旧小区改造项目清单",
        "provision_form": "paper",
        "channel": "in_person",
        "arrived_at": arrived.strftime("%Y-%m-%dT%H:%M"),
        "intent": "compute",
    }


def online_form() -> dict[str, Any]:
    """An online application (``caseflow.portal``): intake's content less how it arrived, plus the agency."""
    body = {k: v for k, v in application().items() if k not in ("channel", "arrived_at")}
    return {**body, "agency": "city"}


def call(route: RouteInfo, caller: Caller, subject: Subject, n: int) -> tuple[int, str, dict[str, str]]:
    """Call ``route`` as ``caller`` with a plausible path and body; (status, body, headers)."""
    action, facts = ACTION[caller.role]
    path = route.path.format(
        case_id=subject.case_id,
        letter_id=subject.letter_id,
        action=action,
        notification_id=1,
        checkpoint_id=1,
        username="clerk2",
        document_id=1,
        job_id=1,
        application_id=1,
        submission_no="W20260101-AAAAAAAA",
        submission_id=1,
        token="not-a-token",
        sha256="0" * 64,
        letter_no="X",  # the applicant's request page (issue 18 / C)
        record_id=1,  # a record to release (issue 19 / C): none, 404
        page=1,
        suggestion_id="s1",
    )
    credentials = {"username": caller.username or "clerk", "password": PASSWORD}
    kwargs: dict[str, Any] = {}
    form: dict[str, Any] | None = None
    fresh = route.name in ("revoke_token", "page_logout")
    if route.name == "auth_token":
        form = credentials
    elif route.name == "create_request":
        kwargs["json"] = application()
    elif route.name == "perform_action":
        kwargs["json"] = {"facts": facts}
    elif route.name == "preview_letter":
        kwargs["json"] = {"reasons": "预览时修改的理由"}
    elif route.name in ("get_letter", "page_letter"):
        kwargs["params"] = {"format": "html"}
    elif route.name in ("public_status", "page_public_status"):
        kwargs["params"] = {"tracking_no": subject.tracking_no, "code": subject.query_code}
    elif route.name == "public_submit_application":
        kwargs["json"] = online_form()
    elif route.name == "page_public_apply_submit":  # the public form (issue 18 / A)
        form = {k: str(v) for k, v in online_form().items()}
    elif route.name == "public_application_status":  # a submission of its own, looked up with its code
        made = caller.web.api(None).post("/api/v1/public/applications", json=online_form()).json()
        path = route.path.format(submission_no=made["submission_no"])
        kwargs["params"] = {"code": made["access_code"]}
    elif route.name == "public_return_notice":  # a submission of its own, returned by the clerk (18 / B)
        made = caller.web.api(None).post("/api/v1/public/applications", json=online_form()).json()
        from sqlmodel import Session, col, select

        from caseflow.models import OnlineApplication

        with Session(caller.web.engine) as s:
            where = col(OnlineApplication.submission_no) == made["submission_no"]
            row_id = s.exec(select(OnlineApplication.id).where(where)).one()
        back = caller.web.api("clerk").post(
            f"/api/v1/applications/{row_id}/return", json={"reasons": ["信访事项"]}
        )
        assert back.status_code == 200, back.text
        path = route.path.format(submission_no=made["submission_no"])
        kwargs["params"] = {"code": made["access_code"]}
    elif route.name in (
        "page_submission_lookup_submit",
        "page_submission_status",
        "page_submission_return_notice",
    ):  # the applicant's page of a submission of its own (issue 18 / H); returned for the notice
        from sqlmodel import Session, col, select

        from caseflow.models import OnlineApplication
        from caseflow.portal.access import sign_submission_link

        made = caller.web.api(None).post("/api/v1/public/applications", json=online_form()).json()
        with Session(caller.web.engine) as s:
            where = col(OnlineApplication.submission_no) == made["submission_no"]
            row = s.exec(select(OnlineApplication).where(where)).one()
        if route.name == "page_submission_return_notice":
            back = caller.web.api("clerk").post(
                f"/api/v1/applications/{row.id}/return", json={"reasons": ["信访事项"]}
            )
            assert back.status_code == 200, back.text
        path = route.path.format(token=sign_submission_link(row.submission_no, row.access_code_hash))
        if route.name == "page_submission_lookup_submit":
            form = {"submission_no": made["submission_no"], "code": made["access_code"]}
    elif route.name == "public_status_lookup":
        kwargs["json"] = {"tracking_no": subject.tracking_no, "code": subject.query_code}
    elif route.name == "page_public_status_lookup":
        form = {"tracking_no": subject.tracking_no, "code": subject.query_code}
    elif route.name in ("page_applicant_request", "page_applicant_letter"):  # a signed link (issue 18 / C)
        from urllib.parse import quote

        from sqlmodel import Session

        from caseflow.models import Letter
        from caseflow.portal.access import sign_link

        with Session(caller.web.engine) as s:
            receipt = s.get(Letter, subject.letter_id)
            assert receipt is not None
        token = sign_link(subject.case_id, subject.query_code)
        path = route.path.format(token=token, letter_no=quote(receipt.letter_no))
    elif route.name == "page_applicant_released":  # a record's copy released with the reply (issue 19 / D)
        from sqlmodel import Session, col, select

        from caseflow.models import CaseDocument, Letter
        from caseflow.portal.access import sign_link

        with Session(caller.web.engine) as s:  # the receipt's stored bytes stand in for a released copy
            receipt = s.get(Letter, subject.letter_id)
            assert receipt is not None
            sha = receipt.html_sha256
            where = (col(CaseDocument.case_id) == subject.case_id, col(CaseDocument.kind) == "released")
            if s.exec(select(CaseDocument.id).where(*where)).first() is None:
                s.add(CaseDocument(case_id=subject.case_id, sha256=sha, kind="released", event_seq=1))
                s.commit()
        path = route.path.format(token=sign_link(subject.case_id, subject.query_code), sha256=sha)
    elif route.name in ("page_applicant_supplement", "page_applicant_withdraw"):  # issue 18 / D
        from caseflow.portal.access import sign_link

        own = caller.web.world.new_case()  # a request of its own, awaiting a supplement
        own = caller.web.world.act(own, "request_supplement", {"items": ["所需信息的名称"]})
        path = route.path.format(token=sign_link(own.id or 0, own.query_code))
        form = {"text": "补正内容"} if route.name == "page_applicant_supplement" else {"reason": "不再需要"}
    elif route.name == "page_login_submit":
        form = credentials
    elif route.name == "page_intake_submit":
        form = intake_form()
    elif route.name == "page_case_action":
        form = {k: str(v) for k, v in facts.items()}
    elif route.name == "page_admin_user":
        form = {
            "username": f"user{n}_{caller.role}",
            "display_name": "新用户",
            "password": "a long enough password",
            "roles": ["clerk"],
            "agency": "city",
        }
    elif route.name == "page_admin_agency":
        form = {"code": "city", "letter_prefix": "某政办公开", "review_body": "某市人民政府"}
    elif route.name == "page_admin_calendar":
        form = {"notice": NOTICE.read_text(encoding="utf-8")}
    elif route.method == "POST" and not route.is_api:
        form = {}
    if route.is_api:
        client = caller.api(fresh)
        if form is not None:
            kwargs["data"] = form
    elif route.name == "page_login_submit":  # signing in: a client of its own, without a session
        client = caller.web.client(headers=HTML)
        kwargs["data"] = form
    else:
        client, csrf = caller.browser(fresh)
        if route.method != "GET":
            kwargs["data"] = {**(form or {}), "csrf_token": csrf}
    reset_limits()
    response = client.request(route.method, path, **kwargs)
    return response.status_code, response.text, dict(response.headers)


def run_matrix(web: Web, subject: Subject, username: str | None, role: str) -> list[str]:
    web.raise_server_exceptions = False  # a 500 is listed with the other problems
    outsider = username in OUTSIDERS
    caller = Caller(web, username, role)
    problems = []
    for n, route in enumerate(ROUTES):
        allowed = PERMISSIONS.get(route.name, frozenset())
        status, body, headers = call(route, caller, subject, n)
        where = f"{route} as {username or 'anonymous'}: {status} {body[:200]!r}"
        if status >= 500:
            problems.append(f"server error: {where}")
        elif allowed == PUBLIC:
            if status >= 400:
                problems.append(f"public route refused: {where}")
        elif username is None:
            if route.is_api and status != 401:
                problems.append(f"expected 401: {where}")
            elif route.is_api and "bearer" not in headers.get("www-authenticate", "").lower():
                problems.append(f"401 without WWW-Authenticate: Bearer: {where}")
            elif not route.is_api and (status != 303 or not headers.get("location", "").startswith("/login")):
                problems.append(f"expected a 303 to /login: {where}")
        elif outsider and route.about_a_request:
            if status != 404:
                problems.append(f"expected 404 for another agency's request: {where}")
        elif role not in allowed or route.name in LOOK_ONLY.get(role, ()):
            if status != 403:
                problems.append(f"expected 403: {where}")
        elif status in (401, 403):
            problems.append(f"allowed role refused: {where}")
    return problems


#: Routes whose rule names a role only so that users of another agency get 404 (not their request),
#: and whose page refuses that role its own agency's request with 403: supervisors look at the
#: records released with a reply and never change them (issue 19, ``caseflow.api.web.release_view``).
LOOK_ONLY = {
    "supervisor": frozenset(
        {
            "page_release_upload",
            "page_release_prepare",
            "page_release_remove",
            "page_release_boxes",
            "page_release_decide",
        }
    )
}
MATRIX = [(None, "anonymous"), *((r, r) for r in ROLES), *OUTSIDERS.items()]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("username", "role"), MATRIX, ids=[m[0] or m[1] for m in MATRIX])
def test_permission_matrix(web: Web, subject: Subject, username: str | None, role: str) -> None:
    problems = run_matrix(web, subject, username, role)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_outsiders_are_not_told_that_a_request_exists(web: Web, subject: Subject) -> None:
    """Another agency's request and a request that does not exist answer alike."""
    client = web.api("dept_clerk")
    theirs = client.get(f"/api/v1/requests/{subject.case_id}")
    missing = client.get("/api/v1/requests/999999")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json().keys() == missing.json().keys() == {"detail", "code"}
    letter = client.get(f"/api/v1/letters/{subject.letter_id}", params={"format": "html"})
    assert letter.status_code == 404
    listed = client.get("/api/v1/requests").json()
    assert subject.case_id not in [row["id"] for row in listed["items"]]
    # the department's supervisor sees the department's subtree only; the city's sees the whole tree
    assert web.api("dept_supervisor").get("/api/v1/requests").json()["total"] == 0
    assert web.api("supervisor").get("/api/v1/requests").json()["total"] == 1


# --- identity numbers: masked in lists, whole on request (and recorded) ------------------------


def view_identity_events(web: Web, case_id: int) -> int:
    return web.count(
        EvidenceEvent, col(EvidenceEvent.case_id) == case_id, col(EvidenceEvent.action) == "view_identity"
    )


MASKED = "1101**********1234"  # at least half hidden (issue 13 item 6)


def test_full_identity_is_shown_on_request_and_recorded(web: Web) -> None:
    case = web.world.new_case(id_number=ID_NUMBER, at=T0)
    assert case.id is not None
    client = web.api("clerk")

    listed = client.get("/api/v1/requests").json()["items"]
    assert [row["applicant_id_number"] for row in listed] == [MASKED]
    assert ID_NUMBER not in json.dumps(listed)

    plain = client.get(f"/api/v1/requests/{case.id}")
    assert plain.status_code == 200
    assert plain.json()["applicant_detail"]["id_number"] == MASKED
    assert ID_NUMBER not in plain.text
    assert view_identity_events(web, case.id) == 0
    # a GET (a link, a prefetch) never shows the number whole nor records a view (issue 13 item 11)
    asked = client.get(f"/api/v1/requests/{case.id}", params={"full_identity": "true"})
    assert asked.status_code == 200 and ID_NUMBER not in asked.text
    assert view_identity_events(web, case.id) == 0

    before = web.events(case.id)
    full = client.post(f"/api/v1/requests/{case.id}/identity")
    assert full.status_code == 200
    assert full.json()["applicant_detail"]["id_number"] == ID_NUMBER
    assert web.events(case.id) == before + 1
    assert view_identity_events(web, case.id) == 1
    last = client.get(f"/api/v1/requests/{case.id}/events").json()[-1]
    assert (last["action"], last["actor"], last["from_state"], last["to_state"]) == (
        "view_identity",
        "clerk",
        "received",
        "received",
    )
    # the view does not change the request's state; the list still masks
    assert full.json()["state"] == "received"
    assert ID_NUMBER not in client.get("/api/v1/requests").text

    # the auditor may look too (and is recorded); the admin may not see requests at all
    assert web.api("auditor").post(f"/api/v1/requests/{case.id}/identity").status_code == 200
    assert view_identity_events(web, case.id) == 2
    assert web.api("admin").post(f"/api/v1/requests/{case.id}/identity").status_code == 403
    # another agency's clerk learns nothing and nothing is recorded
    outsider = web.api("dept_clerk").post(f"/api/v1/requests/{case.id}/identity")
    assert outsider.status_code == 404
    assert ID_NUMBER not in outsider.text
    assert view_identity_events(web, case.id) == 2
    # a browser session calling the API needs its CSRF header
    browser = web.browser("clerk")
    refused = browser.post(f"/api/v1/requests/{case.id}/identity")
    assert refused.status_code == 403 and ID_NUMBER not in refused.text
    assert view_identity_events(web, case.id) == 2


def test_identity_masked_on_pages_until_asked(web: Web) -> None:
    case = web.world.new_case(id_number=ID_NUMBER, at=T0)
    assert case.id is not None
    browser = web.browser("clerk")
    listing = browser.get("/cases")
    assert listing.status_code == 200
    assert MASKED in listing.text and ID_NUMBER not in listing.text
    page = browser.get(f"/cases/{case.id}")
    assert MASKED in page.text and ID_NUMBER not in page.text
    assert f'action="/cases/{case.id}/identity"' in page.text  # the full view is a form (POST)
    assert view_identity_events(web, case.id) == 0
    # the old link no longer shows the number nor records anything
    linked = browser.get(f"/cases/{case.id}", params={"full_identity": "true"})
    assert linked.status_code == 200 and ID_NUMBER not in linked.text
    # a form posted from elsewhere (no CSRF token, or a wrong one) is refused, nothing recorded
    for data in ({}, {"csrf_token": "forged"}):
        refused = browser.post(f"/cases/{case.id}/identity", data=data)
        assert refused.status_code == 403 and ID_NUMBER not in refused.text
    assert view_identity_events(web, case.id) == 0
    full = browser.post(
        f"/cases/{case.id}/identity", data={"csrf_token": web.csrf(browser, f"/cases/{case.id}")}
    )
    assert full.status_code == 200 and ID_NUMBER in full.text
    assert view_identity_events(web, case.id) == 1
