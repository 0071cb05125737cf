"""Item 4, 8, 9 of issue 16 over HTTP: the agency settings form saves only what changed (and records
it), refuses to blank a required letter setting (nothing written), a clerk of an agency lacking
settings is told what to set and who sets it (never a 500); the calendar-notice form; every answer
is sent ``Cache-Control: no-store`` (static files aside); /docs, its assets and the favicon come
from this server alone."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, col, select

from caseflow.models import AccountChange, Agency
from tests.integration.test_pages import browser, intake_form
from tests.integration.webapp import Web

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def agency(web: Web, code: str) -> Agency:
    with Session(web.engine) as s:
        return s.exec(select(Agency).where(col(Agency.code) == code)).one()


def settings_changes(web: Web) -> list[AccountChange]:
    with Session(web.engine) as s:
        return list(s.exec(select(AccountChange).where(col(AccountChange.action) == "agency_settings")))


def current_form(web: Web, code: str, csrf: str) -> dict[str, str]:
    a = agency(web, code)
    form = {
        "csrf_token": csrf,
        "intent": "update",
        "code": code,
        "name": a.name,
        "kind": a.kind,
        "letter_prefix": a.letter_prefix,
        "review_body": a.review_body,
        "court": a.court,
        "address": a.address,
    }
    if a.handler_confirms_published:
        form["handler_confirms_published"] = "on"
    return form


def test_the_settings_form_is_prefilled_and_saves_only_what_changed(web: Web) -> None:
    client = browser(web, "admin")
    csrf = web.csrf(client, "/admin")
    before = agency(web, "city")
    page = client.get("/admin", params={"agency": "city"}).text
    assert f'id="s-prefix" name="letter_prefix" value="{before.letter_prefix}"' in page
    assert f'id="s-name" name="name" value="{before.name}"' in page

    # The same values again: nothing is written, nothing recorded.
    same = client.post("/admin/agencies", data=current_form(web, "city", csrf))
    assert same.status_code == 303 and same.headers["location"].startswith("/admin?agency=city&saved=#")
    assert settings_changes(web) == []
    assert "没有改动，未保存任何内容" in client.get(same.headers["location"]).text

    # One field changed: only it is written and recorded (who, when: today).
    form = {**current_form(web, "city", csrf), "address": "某市人民大道1号"}
    saved = client.post("/admin/agencies", data=form)
    assert saved.status_code == 303 and "saved=address" in saved.headers["location"]
    after = agency(web, "city")
    assert after.address == "某市人民大道1号"
    assert (after.letter_prefix, after.name, after.kind) == (before.letter_prefix, before.name, before.kind)
    (change,) = settings_changes(web)
    assert change.actor == "admin" and change.target == "机关 city"
    assert change.detail == f"地址：{before.address or '（空）'} → 某市人民大道1号"
    from caseflow.dates import today

    assert change.at.date() == today()
    shown = client.get(saved.headers["location"]).text
    assert "已保存机关设置，修改了：地址" in shown and "修改机关设置" in shown


def test_a_field_left_out_of_the_form_is_not_blanked(web: Web) -> None:
    client = browser(web, "admin")
    csrf = web.csrf(client, "/admin")
    before = agency(web, "city")
    assert before.letter_prefix
    posted = client.post("/admin/agencies", data={"csrf_token": csrf, "code": "city", "court": ""})
    assert posted.status_code == 303
    assert agency(web, "city").letter_prefix == before.letter_prefix


def test_a_required_letter_setting_cannot_be_blanked(web: Web) -> None:
    client = browser(web, "admin")
    csrf = web.csrf(client, "/admin")
    before = agency(web, "city")
    form = {**current_form(web, "city", csrf), "letter_prefix": "  ", "address": "某市新地址9号"}
    refused = client.post("/admin/agencies", data=form)
    assert refused.status_code == 422
    assert "文号前缀为必填项" in refused.text
    assert 'value="某市新地址9号"' in refused.text  # the form as typed
    after = agency(web, "city")
    assert (after.letter_prefix, after.address) == (before.letter_prefix, before.address)
    assert settings_changes(web) == []


def test_a_review_body_the_tree_cannot_give_cannot_be_blanked(web: Web) -> None:
    """A root department: no government above it, so its review body is a required setting."""
    client = browser(web, "admin")
    csrf = web.csrf(client, "/admin")
    new = {
        "csrf_token": csrf,
        "intent": "create",
        "code": "lone",
        "name": "某独立局",
        "letter_prefix": "独公开",
    }
    assert client.post("/admin/agencies", data={**new, "review_body": "某省某厅"}).status_code == 303
    form = {**current_form(web, "lone", csrf), "review_body": ""}
    refused = client.post("/admin/agencies", data=form)
    assert refused.status_code == 422 and "行政复议机关为必填项" in refused.text
    assert agency(web, "lone").review_body == "某省某厅"


def test_registration_for_an_agency_without_settings_explains_what_to_set(web: Web) -> None:
    with Session(web.engine) as s:
        dept = s.exec(select(Agency).where(col(Agency.code) == "dept")).one()
        dept.letter_prefix = ""
        s.add(dept)
        s.commit()
    client = browser(web, "dept_clerk")
    page = client.get("/intake")
    assert page.status_code == 200
    assert "本机关尚未设置：文号前缀；请联系系统管理员在“系统管理 → 机关设置”中填写" in page.text
    csrf = web.csrf(client, "/intake")
    cases = web.requests()
    refused = client.post("/intake", data={**intake_form(applicant_name="赵六"), "csrf_token": csrf})
    assert refused.status_code == 409
    assert "尚未设置：文号前缀；请联系系统管理员在“系统管理 → 机关设置”中填写" in refused.text
    assert 'value="赵六"' in refused.text  # nothing typed is lost
    assert web.requests() == cases
    # The API answers the same refusal with its code.
    api = web.api("dept_clerk").post("/api/v1/requests", json={"application": {}})
    assert api.status_code in (409, 422)


@SQLITE_ONLY
def test_the_calendar_form_loads_a_notice_and_refuses_bad_rows_in_chinese(web: Web) -> None:
    client = browser(web, "admin")
    csrf = web.csrf(client, "/admin")
    form = {"csrf_token": csrf, "cal_year": "2027", "cal_document_no": "测试〔2027〕1号", "cal_published": ""}
    bad = {
        **form,
        "h0_name": "元旦",
        "h0_from": "2027-01-01",
        "h0_to": "2027-01-03",
        "h1_name": "春节",
        "h1_from": "2027-01-02",  # overlaps 元旦
        "h1_to": "2027-01-08",
        "h1_work0": "2027-01-11",  # a Monday
    }
    refused = client.post("/admin/calendar", data=bad)
    assert refused.status_code == 422
    assert "春节与元旦的日期重叠（2027年1月2日）" in refused.text
    assert "调休上班日2027年1月11日是星期一；只有星期六或星期日可以调为上班日" in refused.text
    assert 'value="2027-01-11"' in refused.text
    good = {
        **form,
        "h0_name": "测试节",
        "h0_from": "2027-03-03",
        "h0_to": "2027-03-05",
        "h0_work0": "2027-03-06",
    }
    loaded = client.post("/admin/calendar", data=good)
    assert loaded.status_code == 200 and "已载入 国务院办公厅关于2027年部分节假日安排的通知" in loaded.text
    from caseflow.calendar import default_calendar

    cal = default_calendar()
    assert not cal.is_working_day(dt.date(2027, 3, 3)) and cal.is_working_day(dt.date(2027, 3, 6))
    assert cal.notices[2027].document_no == "测试〔2027〕1号"


def test_every_page_and_answer_is_sent_no_store(web: Web) -> None:
    clerk = browser(web, "clerk")
    for path in ("/cases", "/intake", "/notifications"):
        response = clerk.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path
    case = web.world.new_case()
    assert clerk.get(f"/cases/{case.id}").headers["cache-control"] == "no-store"
    assert browser(web).get("/login").headers["cache-control"] == "no-store"
    assert web.api("clerk").get("/api/v1/requests").headers["cache-control"] == "no-store"
    assert browser(web, "admin").get("/admin").headers["cache-control"] == "no-store"


@SQLITE_ONLY
def test_docs_assets_and_favicon_come_from_this_server(web: Web) -> None:
    client = web.client()
    docs = client.get("/docs")
    assert docs.status_code == 200
    csp = docs.headers["content-security-policy"]
    assert "https:" not in csp and "script-src 'self';" in csp
    assert "cdn" not in docs.text and "https://" not in docs.text
    for asset in (
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/assets/swagger-init.js",
    ):
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["cache-control"] == "public, max-age=86400"
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert '<link rel="icon" href="/assets/favicon.svg"' in browser(web).get("/login").text
    assert client.get("/redoc").status_code == 404  # it loaded its script from a CDN


def test_moments_are_shown_in_one_format() -> None:
    from caseflow.dates import SHANGHAI, zh_moment

    assert zh_moment(dt.datetime(2026, 11, 28, 12, 11, tzinfo=dt.UTC)) == "2026年11月28日 20:11"
    assert zh_moment("2026-11-28T20:11:59+08:00") == "2026年11月28日 20:11"
    assert zh_moment(dt.datetime(2026, 1, 2, 3, 4, tzinfo=SHANGHAI)) == "2026年1月2日 03:04"
    assert zh_moment(None) == "—"
