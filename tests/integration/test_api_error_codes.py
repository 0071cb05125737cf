"""Every error answer of the JSON API carries a stable machine ``code`` beside a Chinese ``detail``
(issue 16, item 1): 400, 401, 403 (roles, CSRF), 404 (no such request, no such route), 405, 409
(illegal now, stale version, against a rule), 413, 422 (request body and facts: each ``field`` its
machine name, each ``message`` Chinese) and 429 (public look-ups, sign-in throttle). No detail or
message holds an English sentence; the other keys (state, allowed, action, expected_version, version,
errors, retry_after) are kept.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field

from caseflow.cases.engine import parse_facts
from caseflow.errors import FactsError
from caseflow.validation_zh import CJK, ZH_BY_TYPE, zh_pydantic
from tests.integration.webapp import PASSWORD, Web, application

API = "/api/v1"
#: Three Latin words in a row (as tests/e2e/helpers.py counts an English sentence).
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[\s,.;:'\"()-]+[A-Za-z]{2,}){2,}")
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The JSON error body, after checking its status, its code and its Chinese texts."""
    assert response.status_code == status, f"{response.status_code}: {response.text[:400]}"
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    texts = [body["detail"], *(e["message"] for e in body.get("errors") or [])]
    for text in texts:
        assert CJK.search(text), f"not Chinese: {text!r}"
        assert not ENGLISH.search(text), f"English in {text!r}"
    return body


def test_401_not_signed_in_and_bad_token(web: Web) -> None:
    anonymous = refused(web.api(None).get(f"{API}/requests"), 401, "not_signed_in")
    assert "请先登录" in anonymous["detail"]
    bad = web.client()
    bad.headers["Authorization"] = "Bearer nonsense"
    body = refused(bad.get(f"{API}/requests"), 401, "invalid_token")
    assert "令牌" in body["detail"]


def test_403_roles_and_csrf(web: Web) -> None:
    body = refused(web.api("clerk").get(f"{API}/admin/users"), 403, "forbidden")
    assert "经办人" in body["detail"] or "角色" in body["detail"]
    # a browser session calling the API without its CSRF header
    case = web.world.new_case()
    browser = web.browser("clerk")
    csrf = refused(
        browser.post(f"{API}/requests/{case.id}/actions/add_note", json={"facts": {"text": "x"}}),
        403,
        "csrf_failed",
    )
    assert "X-CSRF-Token" in csrf["detail"]


def test_404_no_request_and_no_route(web: Web) -> None:
    client = web.api("clerk")
    refused(client.get(f"{API}/requests/99999999"), 404, "not_found")
    refused(client.get(f"{API}/requests/0"), 404, "not_found")  # not an id (path validation)
    body = refused(client.get(f"{API}/no/such/route"), 404, "not_found")
    assert body["detail"] == "没有这个地址"
    public = refused(
        web.api(None).post(f"{API}/public/status", json={"tracking_no": "NOPE", "code": "NOPE"}),
        404,
        "not_found",
    )
    assert "受理编号" in public["detail"]


@SQLITE_ONLY
def test_405_names_the_method_and_keeps_allow(web: Web) -> None:
    response = web.api("clerk").delete(f"{API}/requests")
    body = refused(response, 405, "method_not_allowed")
    assert "DELETE" in body["detail"]
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["allow"].split(",")}


def test_409_illegal_stale_and_rule(web: Web) -> None:
    case = web.world.new_case()
    clerk = web.api("clerk")
    illegal = refused(
        clerk.post(f"{API}/requests/{case.id}/actions/issue_reply", json={"facts": {}}),
        409,
        "illegal_transition",
    )
    assert illegal["state"] == "received" and illegal["action"] == "issue_reply"
    assert "draft_reply" in illegal["allowed"]
    version = web.case(case.id).version
    stale = refused(
        clerk.post(
            f"{API}/requests/{case.id}/actions/add_note",
            json={"facts": {"text": "旧页面上的备注"}, "expected_version": version + 5},
        ),
        409,
        "stale_version",
    )
    assert stale["expected_version"] == version + 5 and stale["version"] == version
    # the request arrived long ago (tests.integration.conftest.T0): too late to extend (Art. 33)
    late = web.api("supervisor").post(
        f"{API}/requests/{case.id}/actions/extend", json={"facts": {"reason": "需要检索多年档案"}}
    )
    assert late.status_code == 409, late.text
    code = late.json()["code"]
    assert re.fullmatch(r"[a-z_]+", code) and code not in ("illegal_transition", "stale_version")
    assert "第三十三条" in refused(late, 409, code)["detail"]


@SQLITE_ONLY
def test_413_too_large(web: Web) -> None:
    big = b"x" * (20 * 1024 * 1024 + 1)
    response = web.api("clerk").post(
        f"{API}/requests", content=big, headers={"Content-Type": "application/json"}
    )
    body = refused(response, 413, "too_large")
    assert "20 MB" in body["detail"]


def test_422_fields_keep_their_names_and_speak_chinese(web: Web) -> None:
    clerk = web.api("clerk")
    before = web.requests()
    body = refused(
        clerk.post(
            f"{API}/requests",
            json=application(applicant_name="", arrived_at="yesterday", provision_form="carrier pigeon"),
        ),
        422,
        "invalid_request",
    )
    by_field = {e["field"]: e["message"] for e in body["errors"]}
    assert by_field["applicant_name"] == "不能为空"
    assert by_field["arrived_at"].startswith("请填写有效的日期和时间")
    assert by_field["provision_form"] == "请从列表中选择有效的选项"
    assert "姓名或名称：不能为空" in body["detail"]  # the detail names the fields by their labels
    missing = refused(clerk.post(f"{API}/requests", json={}), 422, "invalid_request")
    assert {e["message"] for e in missing["errors"]} >= {"必填"}
    assert web.requests() == before
    # an action's facts (the engine's FactsError): the code of the facts, messages in Chinese
    case = web.world.new_case()
    facts = refused(
        clerk.post(
            f"{API}/requests/{case.id}/actions/request_supplement",
            json={"facts": {"items": [], "period_days": "ten"}},
        ),
        422,
        "invalid_facts",
    )
    fields = {e["field"]: e["message"] for e in facts["errors"]}
    assert "items" in fields or "period_days" in fields, fields


@SQLITE_ONLY
def test_400_unreadable_body(web: Web) -> None:
    response = web.api(None).post(
        f"{API}/public/status", content=b'{"tracking_no": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text
    refused(
        response, response.status_code, "bad_request" if response.status_code == 400 else "invalid_request"
    )


@SQLITE_ONLY
def test_429_public_look_ups_and_sign_in_throttle(web: Web) -> None:
    anonymous = web.api(None)
    answers = [
        anonymous.post(f"{API}/public/status", json={"tracking_no": "NOPE", "code": "NOPE"})
        for _ in range(21)
    ]
    body = refused(answers[-1], 429, "rate_limited")
    assert body["retry_after"] == int(answers[-1].headers["retry-after"]) > 0
    for _ in range(5):
        wrong = web.client().post(f"{API}/auth/token", data={"username": "clerk", "password": "wrong"})
        assert wrong.status_code == 401
        refused(wrong, 401, "not_signed_in")
    throttled = refused(
        web.client().post(f"{API}/auth/token", data={"username": "clerk", "password": PASSWORD}),
        429,
        "sign_in_throttled",
    )
    assert throttled["retry_after"] > 0


def test_every_pydantic_kind_has_a_chinese_message() -> None:
    """The table covers the kinds, fills in their limits, and reads pydantic's English back."""
    assert all(CJK.search(text) for text in ZH_BY_TYPE.values())
    assert (
        zh_pydantic({"type": "string_too_long", "ctx": {"max_length": 200}}) == "内容过长（至多 200 个字符）"
    )
    assert zh_pydantic({"type": "string_too_short", "ctx": {"min_length": 1}}) == "不能为空"
    assert zh_pydantic({"type": "greater_than_equal", "ctx": {"ge": 1}}) == "不能小于 1"
    assert zh_pydantic({"type": "less_than_equal"}) == "不能大于"  # a limit not given: left out
    assert zh_pydantic({"type": "value_error", "msg": "Value error, 某"}) is None


def test_the_engine_speaks_the_same_table() -> None:
    """The engine's FactsError carries the Chinese message of each pydantic kind, not its English."""

    class Facts(BaseModel):
        model_config = ConfigDict(extra="forbid")
        text: Annotated[str, Field(min_length=1, max_length=60)]
        items: Annotated[list[str], Field(min_length=1)]
        method: Literal["post", "email"]

    with pytest.raises(FactsError) as refused:
        parse_facts(Facts, {"text": "长" * 61, "items": [], "method": "fax", "other": 1})
    assert dict(refused.value.errors) == {
        "text": "内容过长（至多 60 个字符）",
        "items": "至少填写一项",
        "method": "请从列表中选择有效的选项",
        "other": "不接受该字段",
    }


@SQLITE_ONLY
def test_the_pages_answer_the_same_errors_as_chinese_pages(web: Web) -> None:
    """A page's bad parameter names the field by its label; a 405 page keeps ``Allow``; the page
    carries the code too (``data-code``)."""
    clerk = web.browser("clerk")
    clerk.headers["Accept"] = "text/html"
    bad = clerk.get("/cases", params={"page": "abc"})
    assert bad.status_code == 422 and "<title>填写有误" in bad.text
    assert "页码：请填写整数" in bad.text and 'data-code="invalid_request"' in bad.text
    assert "query.page" not in bad.text
    get_logout = clerk.get("/logout")
    assert get_logout.status_code == 405 and "POST" in get_logout.headers["allow"]
    assert "<title>请求方式不正确" in get_logout.text and 'data-code="method_not_allowed"' in get_logout.text
    assert not ENGLISH.search(re.sub(r"<[^>]+>", " ", get_logout.text.split("<body>", 1)[-1]))


@SQLITE_ONLY
def test_500_is_chinese_and_tells_nothing_of_the_fault(web: Web) -> None:
    """A fault of ours answers a Chinese page or body with the code server_error, never the
    exception's text (which may name tables, paths or values)."""

    def broken() -> None:
        raise RuntimeError("secret table request_identity at /var/lib/caseflow")

    web.app.add_api_route("/api/v1/test-broken", broken)
    web.app.add_api_route("/test-broken", broken)
    client = web.client(raise_server_exceptions=False)
    body = refused(client.get("/api/v1/test-broken"), 500, "server_error")
    assert "secret" not in body["detail"]
    page = client.get("/test-broken", headers={"Accept": "text/html"})
    assert page.status_code == 500
    assert 'data-code="server_error"' in page.text and "系统内部错误" in page.text
    assert "secret" not in page.text and "RuntimeError" not in page.text
