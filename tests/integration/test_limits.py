"""Limits on every input, on SQLite and PostgreSQL, through the real application.

PostgreSQL cannot store U+0000 in text: before these limits a NUL in a search term, a user name or
a tracking number reached the database and came back as a 500. Now a NUL or another control
character anywhere (query parameters, form fields, JSON bodies, every action's facts, the
application) is a 422 naming its field, and nothing is written; lists of facts are bounded in count
and item length; SQL parameters appear in no exception text and no log.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from caseflow import queries, service
from caseflow.api.web.forms import label_of
from caseflow.cases.engine import parse_facts
from caseflow.db import make_engine
from caseflow.errors import FactsError, IllegalTransition
from caseflow.states.actions import ACTIONS
from caseflow.states.facts import MAX_ITEM_LENGTH, MAX_SUPPLEMENT_ITEMS
from caseflow.texts import LINE_PATTERN, TEXT_PATTERN
from tests.integration.conftest import T0, World, snapshot
from tests.integration.webapp import PASSWORD, Web, application, now_moment

API = "/api/v1"
HTML = {"Accept": "text/html"}
CONTROL = "含有不允许的控制字符"
#: A NUL, a bell, an escape, DEL, a C1 control (NEL) and a lone surrogate.
BAD_CHARACTERS = ("\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800")


def _json(body: Any) -> dict[str, Any]:
    """A JSON body with every non-ASCII character escaped (a lone surrogate has no UTF-8 form)."""
    return {"content": json.dumps(body).encode(), "headers": {"Content-Type": "application/json"}}


def _text_fields(action: str) -> list[tuple[str, Any, str]]:
    """(field, a value of it carrying a NUL, the field the error names) for each text fact."""
    out = []
    for name, prop in ACTIONS[action].facts.model_json_schema().get("properties", {}).items():
        kinds = prop.get("anyOf", [prop])
        if any(k.get("type") == "array" for k in kinds):
            out.append((name, ["正常的一项", "坏\x00的一项"], f"{name}.1"))
        elif any(
            k.get("type") == "string"
            and not {"format", "enum"} & k.keys()
            and k.get("pattern") in (None, TEXT_PATTERN, LINE_PATTERN)
            for k in kinds
        ):
            if "enum" not in prop and "const" not in prop:
                out.append((name, "坏\x00字符", name))
    return out


def _acting(action: str) -> str:
    for user in ("clerk", "reviewer", "supervisor", "auditor", "system"):  # letter_pdf: the system's
        if user in ACTIONS[action].roles:
            return user
    raise AssertionError(f"no user of the world may take {action}")


# --- PostgreSQL refuses NUL: it must never get there ----------------------------------------------


def test_postgresql_would_refuse_a_nul_with_a_server_error(web: Web) -> None:
    """The finding: a NUL reaching PostgreSQL is a DataError (a 500 before the web checks); SQLite
    stores it. Either way the answer is now 422 before the database is asked."""
    actor = web.world["auditor"]
    with Session(web.engine) as s:
        if s.get_bind().dialect.name == "postgresql":
            with pytest.raises(Exception, match="NUL"):
                queries.list_cases(s, actor, queries.CaseFilter(q="a\x00b"), today=T0.date())
    client = web.client(raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {web.token('auditor')}"
    listed = client.get(f"{API}/requests", params={"q": "a\x00b"})
    assert listed.status_code == 422, listed.text
    assert listed.json()["errors"] == [{"field": "query.q", "message": f"{CONTROL}（U+0000）"}]


def test_control_characters_in_query_parameters_are_422_naming_them(web: Web) -> None:
    case = web.world.new_case()
    auditor = web.client(raise_server_exceptions=False)
    auditor.headers["Authorization"] = f"Bearer {web.token('auditor')}"
    anonymous = web.client(raise_server_exceptions=False)
    pages = web.client(raise_server_exceptions=False)
    pages.post("/login", data={"username": "auditor", "password": PASSWORD})
    pages.headers.update(HTML)
    for char in BAD_CHARACTERS[:5]:  # (a lone surrogate cannot be percent-encoded as UTF-8)
        for client, path, params, field in (
            (auditor, f"{API}/requests", {"q": f"绿化{char}合同"}, "query.q"),
            (auditor, f"{API}/requests", {"state": f"received{char}"}, "query.state"),
            (
                anonymous,
                f"{API}/public/status",
                {"tracking_no": case.tracking_no, "code": f"A{char}"},
                "query.code",
            ),
            (pages, "/search", {"q": f"绿化{char}"}, "query.q"),
            (pages, "/public/status", {"tracking_no": f"X{char}", "code": "Y"}, "query.tracking_no"),
        ):
            response = client.get(path, params=params)
            assert response.status_code == 422, (
                f"{path} {params!r}: {response.status_code} {response.text[:200]}"
            )
            if path.startswith(API):
                assert response.json()["errors"] == [
                    {"field": field, "message": f"{CONTROL}（U+{ord(char):04X}）"}
                ], response.text
            else:
                assert f"{label_of(field)}：{CONTROL}" in response.text, response.text[-600:]


def test_sign_in_with_a_nul_is_422_not_500(web: Web) -> None:
    client = web.client(raise_server_exceptions=False)
    token = client.post(f"{API}/auth/token", data={"username": "cl\x00erk", "password": PASSWORD})
    assert token.status_code == 422, token.text
    assert token.json()["errors"][0]["field"] == "username"
    page = client.post("/login", data={"username": "cl\x00erk", "password": PASSWORD}, headers=HTML)
    assert page.status_code == 422 and f"用户名：{CONTROL}" in page.text


# --- every action, through the API, the pages and the engine ---------------------------------------


def test_a_nul_in_any_action_fact_is_422_naming_the_field_and_nothing_is_written(web: Web) -> None:
    case = web.world.new_case()
    assert case.id is not None
    before = snapshot(web.world.session, case.id)
    api = web.client(raise_server_exceptions=False)
    api.headers["Authorization"] = f"Bearer {web.token('clerk')}"
    page = web.browser("clerk")
    page.headers.update(HTML)
    csrf = web.csrf(page, f"/cases/{case.id}")
    problems = []
    checked = 0
    for action in ACTIONS:
        for field, value, named in _text_fields(action):
            checked += 1
            response = api.post(
                f"{API}/requests/{case.id}/actions/{action}", **_json({"facts": {field: value}})
            )
            errors = response.json().get("errors", []) if response.status_code == 422 else []
            if not any(e["field"] == named and CONTROL in e["message"] for e in errors):
                problems.append(f"API {action}.{field}: {response.status_code} {response.text[:160]}")
            form_value = "\n".join(value) if isinstance(value, list) else value
            posted = page.post(
                f"/cases/{case.id}/actions/{action}", data={field: form_value, "csrf_token": csrf}
            )
            if posted.status_code != 422 or f"{label_of(field, action)}：{CONTROL}" not in posted.text:
                problems.append(f"page {action}.{field}: {posted.status_code} {posted.text[:160]}")
    assert checked >= 25, checked
    assert not problems, "\n".join(problems)
    assert snapshot(web.world.session, case.id) == before


def _refusal(world: World, case: Any, action: str, facts: dict[str, Any]) -> FactsError:
    """The engine's refusal of ``facts``: through ``perform`` when the request's state allows the
    action, else (an illegal action is refused before its facts are read) by the same facts check
    ``perform`` runs (``parse_facts``)."""
    try:
        world.act(case, action, facts, actor=_acting(action))
    except FactsError as refused:
        return refused
    except IllegalTransition:
        with pytest.raises(FactsError) as refused_facts:
            parse_facts(ACTIONS[action].facts, facts)
        return refused_facts.value
    pytest.fail(f"{action} took {facts!r}")


def test_the_facts_models_refuse_control_characters_themselves(world: World) -> None:
    """The engine does not rely on the web layer: ``perform`` refuses them too, naming the field."""
    case = world.new_case()
    assert case.id is not None
    before = snapshot(world.session, case.id)
    for action in ACTIONS:
        for field, value, named in _text_fields(action):
            for char in BAD_CHARACTERS:
                bad = (
                    [v.replace("\x00", char) for v in value]
                    if isinstance(value, list)
                    else value.replace("\x00", char)
                )
                refused = _refusal(world, case, action, {field: bad})
                # (pydantic itself refuses a lone surrogate inside a list, as not unicode)
                assert any(f == named and (CONTROL in m or "代理码元" in m) for f, m in refused.errors), (
                    action,
                    field,
                    refused.errors,
                )
    assert snapshot(world.session, case.id) == before


def test_single_line_facts_refuse_line_breaks_and_multi_line_text_keeps_them(world: World) -> None:
    case = world.new_case()
    refused = _refusal(world, case, "record_delivery", {"method": "post", "proof": "EMS 1234\n伪造的第二行"})
    assert refused.errors == [("proof", "只能填写一行（不能含换行符或制表符）")]
    noted = world.act(case, "add_note", {"text": "第一行\n第二行\t（附表）\r\n第三行"})
    assert noted.version == 2


# --- the application (intake) ----------------------------------------------------------------------


def test_a_nul_in_any_application_field_is_422_naming_it_and_nothing_is_written(web: Web) -> None:
    api = web.client(raise_server_exceptions=False)
    api.headers["Authorization"] = f"Bearer {web.token('clerk')}"
    page = web.browser("clerk")
    page.headers.update(HTML)
    csrf = web.csrf(page, "/intake")
    fields = (
        "applicant_name", "id_type", "id_number", "phone", "email", "address", "description",
        "document_no_sought", "receipt_proof",
    )  # fmt: skip
    problems = []
    for field in fields:
        for char in BAD_CHARACTERS:
            response = api.post(f"{API}/requests", **_json(application(**{field: f"某{char}值"})))
            errors = response.json().get("errors", []) if response.status_code == 422 else []
            if not any(e["field"] == field and CONTROL in e["message"] for e in errors):
                problems.append(f"API {field} {char!r}: {response.status_code} {response.text[:160]}")
        form = {k: str(v) for k, v in application().items()}
        form.update({field: "某\x00值", "arrived_at": form["arrived_at"][:16], "csrf_token": csrf})
        posted = page.post("/intake", data=form)
        if posted.status_code != 422 or f"{label_of(field)}：{CONTROL}" not in posted.text:
            problems.append(f"page {field}: {posted.status_code} {posted.text[:160]}")
    assert not problems, "\n".join(problems)
    assert web.requests() == 0
    # the engine's own model refuses them as well (a single line: no line break in a name)
    with pytest.raises(FactsError) as refused:
        service.register(
            session=web.world.session,
            actor=web.world["clerk"],
            agency_code="city",
            application=web.world.application(applicant_name="王\n小明"),
            now=T0,
        )
    assert refused.value.errors == [("applicant_name", "只能填写一行（不能含换行符或制表符）")]
    assert web.requests() == 0


# --- lists of facts are bounded ---------------------------------------------------------------------


def test_supplement_items_are_bounded_in_count_and_length(web: Web) -> None:
    case = web.world.new_case(at=now_moment())
    assert case.id is not None
    clerk = web.api("clerk")
    url = f"{API}/requests/{case.id}/actions/request_supplement"
    too_many = clerk.post(
        url, json={"facts": {"items": [f"第{n}项" for n in range(MAX_SUPPLEMENT_ITEMS + 1)]}}
    )
    assert too_many.status_code == 422
    assert [e["field"] for e in too_many.json()["errors"]] == ["items"]
    too_long = clerk.post(url, json={"facts": {"items": ["短", "长" * (MAX_ITEM_LENGTH + 1)]}})
    assert too_long.status_code == 422
    assert [e["field"] for e in too_long.json()["errors"]] == ["items.1"]
    assert (web.case(case.id).version, web.events(case.id)) == (1, 1)
    # the page says so in Chinese, by the field
    page = web.browser("clerk")
    page.headers.update(HTML)
    csrf = web.csrf(page, f"/cases/{case.id}")
    lines = "\n".join(f"第{n}项" for n in range(MAX_SUPPLEMENT_ITEMS + 1))
    posted = page.post(
        f"/cases/{case.id}/actions/request_supplement", data={"items": lines, "csrf_token": csrf}
    )
    assert posted.status_code == 422 and "填写的项数过多" in posted.text
    # at the limits: accepted
    most = [f"第{n}项" + "材" * (MAX_ITEM_LENGTH - 8) for n in range(MAX_SUPPLEMENT_ITEMS)]
    done = clerk.post(url, json={"facts": {"items": most}})
    assert done.status_code == 200, done.text[:300]
    assert web.case(case.id).state == "supplement-required"
    assert web.events(case.id) == 2


def test_every_text_fact_and_list_is_bounded() -> None:
    """No facts model takes a string or a list without a maximum (the database columns and the
    evidence events stay bounded)."""
    unbounded = []
    for action, spec in ACTIONS.items():
        for name, prop in spec.facts.model_json_schema().get("properties", {}).items():
            for kind in prop.get("anyOf", [prop]):
                if kind.get("type") == "string" and "format" not in kind and "enum" not in kind:
                    if "maxLength" not in kind and kind.get("pattern") in (None, TEXT_PATTERN, LINE_PATTERN):
                        unbounded.append(f"{action}.{name}")
                if kind.get("type") == "array":
                    if "maxItems" not in kind or "maxLength" not in kind.get("items", {}):
                        unbounded.append(f"{action}.{name}[]")
    assert not unbounded, unbounded
    schema = service.Application.model_json_schema()["properties"]
    assert all("maxLength" in p for p in schema.values() if p.get("type") == "string" and "format" not in p)


# --- SQL parameters are never shown -------------------------------------------------------------------


def test_sql_parameters_are_not_in_error_texts_nor_logs(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "身份证110101199001011234"
    engine = make_engine(db_url, echo=True)
    try:
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"), engine.connect() as conn:
            with pytest.raises(Exception) as failed:
                conn.execute(text("SELECT * FROM no_such_table WHERE name = :name"), {"name": secret})
            conn.rollback()
            conn.execute(text("SELECT :name"), {"name": secret})
    finally:
        engine.dispose()
    assert "no_such_table" in str(failed.value)
    assert secret not in str(failed.value) and "110101" not in str(failed.value)
    assert "hidden" in str(failed.value)
    assert "SELECT" in caplog.text and secret not in caplog.text


def _multipart(form: dict[str, str], field: str, filename: str) -> dict[str, Any]:
    """A form with one file, its name written raw (httpx would percent-encode control characters)."""
    parts = [
        b'--B\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (k.encode(), v.encode())
        for k, v in form.items()
    ]
    parts.append(
        b'--B\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%%PDF-1.4\r\n" % (field.encode(), filename.encode())
    )
    body = b"".join(parts) + b"--B--\r\n"
    return {"content": body, "headers": {"Content-Type": "multipart/form-data; boundary=B"}}


def test_an_upload_with_an_overlong_or_control_character_filename_is_422(web: Web) -> None:
    """The file's name and type are stored with it (300 and 100 characters): PostgreSQL refused a
    longer name with a server error after the request was half registered."""
    page = web.browser("clerk")
    page.headers.update(HTML)
    csrf = web.csrf(page, "/intake")
    form = {k: str(v) for k, v in application().items()}
    form.update(arrived_at=form["arrived_at"][:16], csrf_token=csrf)
    for filename in ("扫描件" * 120 + ".pdf", "scan\x00.pdf", "scan\x1b[31m.pdf"):
        posted = page.post("/intake", **_multipart(form, "application_scan", filename))
        assert posted.status_code == 422, posted.text[:300]
        assert "申请书扫描件：文件名" in posted.text
    assert web.requests() == 0
    fine = page.post(
        "/intake", data=form, files={"application_scan": ("扫描件.pdf", b"%PDF-1.4", "application/pdf")}
    )
    assert fine.status_code == 303, fine.text[:300]
    assert web.requests() == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_declared_length_over_the_limit_is_413_as_json_or_as_a_page(web: Web) -> None:
    big = b"x" * (20 * 1024 * 1024 + 1)
    api = web.api("clerk").post(f"{API}/requests", content=big, headers={"Content-Type": "application/json"})
    assert api.status_code == 413
    assert api.json() == {"detail": "上传的内容超过 20 MB 的上限，请压缩或分开上传", "code": "too_large"}
    page = web.browser("clerk").post(
        "/intake", content=big, headers={"Content-Type": "multipart/form-data; boundary=B", **HTML}
    )
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
    # the intake form again (issue 16 item 2), saying the limit and that nothing was saved
    assert "上传的内容超过 20 MB" in page.text and "<title>登记政府信息公开申请" in page.text
    assert 'action="/intake"' in page.text and "申请未保存" in page.text
    # any other form over the limit: the error page
    other = web.browser("clerk").post(
        "/cases/1/actions/add_note",
        content=big,
        headers={"Content-Type": "multipart/form-data; boundary=B", **HTML},
    )
    assert other.status_code == 413 and "<title>上传的内容过大" in other.text
    assert web.requests() == 0


# --- the public status look-up by POST ---------------------------------------------------------------


def test_the_public_status_look_up_is_posted(web: Web) -> None:
    case = web.world.new_case(applicant_name="欧阳娜娜")
    anonymous = web.client()
    found = anonymous.post(
        f"{API}/public/status", json={"tracking_no": case.tracking_no, "code": case.query_code}
    )
    assert found.status_code == 200, found.text
    assert found.json()["tracking_no"] == case.tracking_no and "欧阳娜娜" not in found.text
    wrong = anonymous.post(f"{API}/public/status", json={"tracking_no": case.tracking_no, "code": "WRONG234"})
    assert wrong.status_code == 404
    missing = anonymous.post(f"{API}/public/status", json={"tracking_no": case.tracking_no})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "code"
    # the page's form posts, from this site only (no session to bind a token to: the Origin)
    page = anonymous.get("/public/status", headers=HTML)
    assert '<form method="post" action="/public/status">' in page.text
    posted = anonymous.post(
        "/public/status", data={"tracking_no": case.tracking_no, "code": case.query_code}, headers=HTML
    )
    assert posted.status_code == 200 and "办理状态" in posted.text and "欧阳娜娜" not in posted.text
    foreign = anonymous.post(
        "/public/status",
        data={"tracking_no": case.tracking_no, "code": case.query_code},
        headers={**HTML, "Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403 and "办理状态" not in foreign.text


def test_every_engine_hides_its_parameters() -> None:
    """Engines are made by ``caseflow.db.make_engine`` (which sets ``hide_parameters``) or pass it
    themselves (the backup's and the privileges' own connections)."""
    from pathlib import Path

    import caseflow

    missing = []
    for path in Path(caseflow.__file__).parent.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "create_engine(" in line and "def " not in line and "import" not in line:
                if "hide_parameters" not in line and path.name != "db.py":
                    missing.append(f"{path.name}:{n}: {line.strip()}")
    assert not missing, missing
    assert make_engine("sqlite://").hide_parameters
