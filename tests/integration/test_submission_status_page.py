"""The applicant's page of an online application (issue 18 / H): ``/public/applications``, with the
submission number and access code (posted; the page behind a signed short-lived link): pending,
confirmed (tracking number, query code, dates, the request's page), returned (reasons, the notice as
an attachment); a wrong code answers as an unknown number; look-ups share the API's limits."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from caseflow.models import OnlineApplication
from caseflow.portal.access import sign_submission_link
from caseflow.settings import get_settings
from tests.integration.webapp import Web, reset_limits

API = "/api/v1"
PAGE = "/public/applications"
NO_STORE = {"referrer-policy": "no-referrer", "cache-control": "no-store"}
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def submitted(web: Web, **changes: Any) -> dict[str, Any]:
    body = {
        "agency": "city",
        "applicant_type": "natural_person",
        "applicant_name": "李四",
        "id_type": "居民身份证",
        "id_number": "110101199001061234",
        "phone": "13912345678",
        "description": "2025年本市公园绿化养护合同",
        "provision_form": "electronic",
    } | changes
    response = web.api(None).post(f"{API}/public/applications", json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def row_of(web: Web, submission_no: str) -> OnlineApplication:
    with Session(web.engine) as s:
        where = col(OnlineApplication.submission_no) == submission_no
        return s.exec(select(OnlineApplication).where(where)).one()


def look_up(client: TestClient, submission_no: str, code: str) -> Any:
    return client.post(PAGE, data={"submission_no": submission_no, "code": code})


def opened(client: TestClient, made: dict[str, Any]) -> tuple[str, Any]:
    """Look the submission up; (its page's path, the page)."""
    found = look_up(client, made["submission_no"], made["access_code"])
    assert found.status_code == 303, found.text
    where = found.headers["location"]
    assert where.startswith(f"{PAGE}/view/") and made["access_code"] not in where
    assert {k: found.headers[k] for k in NO_STORE} == NO_STORE
    page = client.get(where)
    assert page.status_code == 200, page.text
    assert {k: page.headers[k] for k in NO_STORE} == NO_STORE
    return where, page


def test_pending_then_confirmed_with_the_request_link(web: Web) -> None:
    made = submitted(web)
    applicant = web.client()
    form = applicant.get(PAGE, params={"no": made["submission_no"]})
    assert form.status_code == 200 and 'action="/public/applications"' in form.text
    assert f'value="{made["submission_no"]}"' in form.text  # filled in from the done page's link
    # typed in lower case with spaces: the same submission
    lower = look_up(applicant, f" {made['submission_no'].lower()} ", made["access_code"].lower())
    assert lower.status_code == 303

    where, page = opened(applicant, made)
    assert 'id="status">待确认<' in page.text and "确认之日" in page.text and "第三十一条第三项" in page.text
    assert "李四" not in page.text and "13912345678" not in page.text  # nothing personal
    assert 'id="tracking-no"' not in page.text

    row = row_of(web, made["submission_no"])
    confirmed = web.api("clerk").post(f"{API}/applications/{row.id}/confirm")
    assert confirmed.status_code == 201, confirmed.text
    case = confirmed.json()
    page = applicant.get(where)  # the same link now shows the outcome
    assert page.status_code == 200 and 'id="status">已确认受理<' in page.text
    assert case["tracking_no"] in page.text and case["query_code"] in page.text
    assert f'id="receipt-date">{_zh(case["receipt_date"])}<' in page.text
    link = re.search(r'id="request-link" href="(/public/r/[^"]+)"', page.text)
    assert link is not None
    request_page = applicant.get(link.group(1))
    assert request_page.status_code == 200 and case["tracking_no"] in request_page.text


def _zh(iso: str) -> str:
    year, month, day = (int(x) for x in iso.split("-"))
    return f"{year}年{month}月{day}日"


@SQLITE_ONLY
def test_returned_shows_reasons_and_the_notice_downloads(web: Web) -> None:
    made = submitted(web, description="投诉某街道办事处工作人员态度恶劣")
    applicant = web.client()
    where, page = opened(applicant, made)
    assert 'id="return-notice"' not in page.text
    assert applicant.get(f"{where}/return-notice").status_code == 404  # not returned: no notice

    row = row_of(web, made["submission_no"])
    reasons = ["所提内容属于投诉，不是政府信息公开申请", "请通过12345热线反映"]
    back = web.api("clerk").post(f"{API}/applications/{row.id}/return", json={"reasons": reasons})
    assert back.status_code == 200, back.text
    page = applicant.get(where)
    assert 'id="status">已退回' in page.text and all(r in page.text for r in reasons)
    assert f'href="{where}/return-notice"' in page.text
    notice = applicant.get(f"{where}/return-notice")
    assert notice.status_code == 200 and notice.headers["content-disposition"].startswith("attachment")
    assert notice.headers["x-content-type-options"] == "nosniff"
    assert notice.headers["referrer-policy"] == "no-referrer"
    assert made["submission_no"] in notice.text and reasons[0] in notice.text


@SQLITE_ONLY
def test_a_wrong_code_answers_as_an_unknown_number(web: Web) -> None:
    made = submitted(web)
    applicant = web.client()
    wrong = look_up(applicant, made["submission_no"], "WRONGCODE234")
    unknown = look_up(applicant, "W20260101-ZZZZZZZZ", made["access_code"])
    assert wrong.status_code == unknown.status_code == 200
    assert "未找到" in wrong.text and made["access_code"] not in wrong.text
    assert wrong.text.replace(made["submission_no"], "N") == unknown.text.replace("W20260101-ZZZZZZZZ", "N")
    # links: forged, or signed for another code (the code was changed), are refused alike
    row = row_of(web, made["submission_no"])
    assert applicant.get(f"{PAGE}/view/not-a-token").status_code == 403
    other = sign_submission_link(row.submission_no, "0" * 64)
    refused = applicant.get(f"{PAGE}/view/{other}")
    assert refused.status_code == 403 and "提交编号和访问码" in refused.text
    assert refused.headers["referrer-policy"] == "no-referrer"
    # a look-up posted from another site is refused
    assert (
        applicant.post(
            PAGE,
            data={"submission_no": made["submission_no"], "code": made["access_code"]},
            headers={"Origin": "https://evil.example"},
        ).status_code
        == 403
    )


@SQLITE_ONLY
def test_failed_look_ups_lock_the_number_on_the_page_and_the_api(web: Web) -> None:
    made = submitted(web)
    reset_limits()
    applicant = web.client()
    most = get_settings().portal_lookup_failures_per_number_per_hour
    for _ in range(most):
        assert look_up(applicant, made["submission_no"], "WRONGCODE234").status_code == 200
    # the number is locked for the window, even with the right code, here and in the JSON API
    locked = look_up(applicant, made["submission_no"], made["access_code"])
    assert locked.status_code == 429 and "retry-after" in locked.headers and "再试" in locked.text
    api = web.api(None).get(
        f"{API}/public/applications/{made['submission_no']}", params={"code": made["access_code"]}
    )
    assert api.status_code == 429 and api.json()["code"] == "rate_limited"
    reset_limits()
    # and the page's look-ups count against the API's failures too (one counter)
    for _ in range(most):
        refused = web.api(None).get(
            f"{API}/public/applications/{made['submission_no']}", params={"code": "WRONGCODE234"}
        )
        assert refused.status_code == 404
    assert look_up(applicant, made["submission_no"], made["access_code"]).status_code == 429
    reset_limits()
    assert look_up(applicant, made["submission_no"], made["access_code"]).status_code == 303
