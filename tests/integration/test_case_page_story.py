"""The case page tells the whole story (SQLite and PostgreSQL, through the pages as a browser uses them):
the uploaded scans and envelopes listed with who uploaded them and opened by a route scoped like the
request (another agency's is 404; images and PDFs inline under their own type with nosniff, anything
else saved as a file); every delivery record; the evidence timeline by the actions' Chinese names and
the people's names with the facts each step recorded; the notice after an action; the draft's
fields and its difference from the draft the reviewer returned."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from caseflow import service
from caseflow.errors import NotFound, StaleVersion
from caseflow.models import Case, CaseDocument, EvidenceEvent, User
from tests.integration.conftest import T0, World
from tests.integration.test_pages import HTML, text_of
from tests.integration.webapp import Web

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML_UPLOAD = b"<html><script>alert(1)</script></html>"


def browser(web: Web, username: str) -> TestClient:
    client = web.browser(username)
    client.headers.update(HTML)
    return client


def named(web: Web) -> None:
    """The city's clerk and reviewer by their names (the pages show names, never user names)."""
    web.world.session.commit()  # (nothing of the test's own session holds the database meanwhile)
    with Session(web.engine) as s:
        for username, name in (("clerk", "张晓明"), ("reviewer", "李法审")):
            user = s.exec(select(User).where(col(User.username) == username)).one()
            user.display_name = name
            s.add(user)
        s.commit()


def with_uploads(world: World, agency: str = "city", actor: str = "clerk") -> Case:
    return service.register(
        session=world.session,
        actor=world[actor],
        agency_code=agency,
        application=world.application(),
        uploads=(
            service.Upload("application", PNG, "image/png", "申请书.png"),
            service.Upload("envelope", PDF, "application/pdf", "信封.pdf"),
            service.Upload("proof", HTML_UPLOAD, "text/html", "说明.html"),
        ),
        now=T0,
    )


def documents_of(web: Web, case_id: int) -> dict[str, int]:
    with Session(web.engine) as s:
        rows = s.exec(select(CaseDocument).where(col(CaseDocument.case_id) == case_id))
        return {d.kind: d.id or 0 for d in rows}


def views(web: Web, case_id: int) -> list[tuple[str, dict[str, Any]]]:
    """(actor, facts) of the request's recorded document views, oldest first."""
    with Session(web.engine) as s:
        rows = s.exec(
            select(EvidenceEvent)
            .where(col(EvidenceEvent.case_id) == case_id, col(EvidenceEvent.action) == "view_document")
            .order_by(col(EvidenceEvent.seq))
        ).all()
        return [(e.actor, json.loads(e.payload)["facts"]) for e in rows]


def section(page: str, table_id: str) -> str:
    found = re.search(rf'<table id="{table_id}">.*?</table>', page, flags=re.S)
    assert found, f"no table #{table_id}"
    return text_of(found.group(0))


def test_uploaded_documents_are_listed_and_open_with_their_types(web: Web) -> None:
    named(web)
    case = with_uploads(web.world)
    client = browser(web, "clerk")
    page = client.get(f"/cases/{case.id}").text
    listed = section(page, "documents")
    for words in (
        "申请书扫描件",
        "申请书.png",
        "信封或确认记录",
        "信封.pdf",
        "更正申请的证据",
        "说明.html",
        "张晓明",
    ):
        assert words in listed, (words, listed)
    assert "clerk" not in listed
    assert re.search(r"20\d\d年\d{1,2}月\d{1,2}日 \d\d:\d\d", listed), listed
    ids = documents_of(web, case.id or 0)
    assert f'action="/cases/{case.id}/documents/{ids["application"]}"' in page  # a form, never a link
    csrf = web.csrf(client, f"/cases/{case.id}")
    # A GET opens nothing (a link, a prefetch or a crawler must not cause a recorded view).
    assert client.get(f"/cases/{case.id}/documents/{ids['application']}").status_code == 405
    before = views(web, case.id or 0)

    scan = client.post(f"/cases/{case.id}/documents/{ids['application']}", data={"csrf_token": csrf})
    assert scan.status_code == 200 and scan.content == PNG
    assert scan.headers["content-type"] == "image/png"
    assert scan.headers["content-disposition"].startswith("inline;")
    assert scan.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in scan.headers["cache-control"]

    # The view is evidence before the bytes leave: who, which file (its kind, name and hash).
    seen = views(web, case.id or 0)
    assert len(seen) == len(before) + 1
    actor, facts = seen[-1]
    assert actor == "clerk" and facts["kind"] == "application" and facts["filename"] == "申请书.png"
    assert facts["sha256"] == hashlib.sha256(PNG).hexdigest()
    timeline = section(client.get(f"/cases/{case.id}").text, "timeline")
    assert "查看申请材料" in timeline and "申请书扫描件" in timeline and "申请书.png" in timeline

    envelope = client.post(f"/cases/{case.id}/documents/{ids['envelope']}", data={"csrf_token": csrf})
    assert envelope.status_code == 200 and envelope.content == PDF
    assert envelope.headers["content-type"] == "application/pdf"
    assert envelope.headers["content-disposition"].startswith("inline;")

    # Anything that is not an image or a PDF is saved as a file, never shown as a page of ours.
    other = client.post(f"/cases/{case.id}/documents/{ids['proof']}", data={"csrf_token": csrf})
    assert other.status_code == 200 and other.content == HTML_UPLOAD
    assert other.headers["content-type"] == "application/octet-stream"
    assert other.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E8%AF%B4%E6%98%8E.html" in other.headers["content-disposition"]
    assert other.headers["x-content-type-options"] == "nosniff"


def test_documents_are_scoped_like_the_request(web: Web) -> None:
    case = with_uploads(web.world)
    ids = documents_of(web, case.id or 0)
    before = views(web, case.id or 0)

    def open_as(username: str, case_id: int | None, document_id: int) -> httpx.Response:
        client = browser(web, username)
        csrf = web.csrf(client, "/notifications")
        return client.post(f"/cases/{case_id}/documents/{document_id}", data={"csrf_token": csrf})

    outsider = open_as("dept_clerk", case.id, ids["application"])
    assert outsider.status_code == 404 and "未找到" in outsider.text and PNG not in outsider.content
    # without the form's token: refused, nothing shown
    forged = browser(web, "clerk").post(f"/cases/{case.id}/documents/{ids['application']}", data={})
    assert forged.status_code == 403 and PNG not in forged.content
    # A document of another request (of the caller's own agency) under this request's path: 404.
    other = with_uploads(web.world)
    crossed = open_as("clerk", case.id, documents_of(web, other.id or 0)["application"])
    assert crossed.status_code == 404
    # Letters are opened by their own route, not as documents.
    letters = {k: v for k, v in documents_of(web, case.id or 0).items() if k.startswith("letter.")}
    assert letters
    assert open_as("clerk", case.id, next(iter(letters.values()))).status_code == 404
    assert open_as("clerk", case.id, 999999).status_code == 404
    assert views(web, case.id or 0) == before  # a refused opening records nothing
    # A supervisor of the parent agency sees the department's request and its documents.
    dept = with_uploads(web.world, agency="dept", actor="dept_clerk")
    dept_ids = documents_of(web, dept.id or 0)
    seen = open_as("supervisor", dept.id, dept_ids["envelope"])
    assert seen.status_code == 200 and seen.content == PDF


def test_every_action_says_what_was_done(web: Web) -> None:
    case = web.world.new_case()
    client = browser(web, "clerk")
    csrf = web.csrf(client, f"/cases/{case.id}")
    done = client.post(
        f"/cases/{case.id}/actions/add_note", data={"text": "核对申请内容", "csrf_token": csrf}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{case.id}?done=add_note"
    page = client.get(done.headers["location"]).text
    assert re.search(
        r'<div class="flash success" role="status" id="done-notice">已完成：补充说明（更正）</div>', page
    )
    # Only a known action is named; anything else in the address shows no notice.
    for bogus in ("bogus", "view_identity", "<script>"):
        assert 'id="done-notice"' not in client.get(f"/cases/{case.id}", params={"done": bogus}).text
    assert 'id="done-notice"' not in client.get(f"/cases/{case.id}").text


def test_timeline_and_deliveries_tell_who_did_what(web: Web) -> None:
    named(web)
    world = web.world
    case = world.new_case()
    case = world.act(case, "request_supplement", {"items": ["申请人身份证明复印件", "所需信息的具体名称"]})
    case = world.act(
        case,
        "record_notice_delivery",
        {
            "document": "supplement_notice",
            "method": "post",
            "proof": "EMS1234567890CN 本人签收",
            "received_on": "2026-09-29",
        },
    )
    page = browser(web, "clerk").get(f"/cases/{case.id}").text
    timeline = section(page, "timeline")
    for words in (
        "登记申请",
        "发出补正告知",
        "登记文书送达",
        "张晓明（经办人）",
        "需补正的事项",
        "申请人身份证明复印件",
        "送达方式",
        "邮寄送达",
        "收件人收到日期",
        "2026年9月29日",
        "补正申请告知书",
    ):
        assert words in timeline, (words, timeline)
    for raw in ("request_supplement", "record_notice_delivery", "supplement_notice", "clerk（", '{"', "hmac"):
        assert raw not in timeline, (raw, timeline)
    assert re.search(r"2026年9月28日 09:30", timeline), timeline
    deliveries = section(page, "deliveries")
    for words in ("补正", "邮寄送达", "EMS1234567890CN 本人签收", "2026年9月29日", "张晓明"):
        assert words in deliveries, (words, deliveries)
    assert "经办人：张晓明" in text_of(page)


def test_reviewer_sees_the_draft_and_its_difference_from_the_returned_one(web: Web) -> None:
    named(web)
    world = web.world
    case = world.new_case()
    first = "该信息属于内部讨论记录"
    case = world.act(case, "draft_reply", {"outcome": "withheld.process_info", "reasons": first})
    reviewer = browser(web, "reviewer")
    page = reviewer.get(f"/cases/{case.id}").text
    draft = text_of(re.search(r'<div class="card" id="draft">.*?</div>', page, flags=re.S).group(0))  # type: ignore[union-attr]
    assert "答复类型" in draft and "过程性信息" in draft and first in draft
    assert f'id="draft-preview" href="/cases/{case.id}/preview" target="_blank"' in page
    assert 'id="draft-difference"' not in page  # one draft: nothing to compare
    case = world.act(case, "return_reply", {"comments": "请写明所依据的条款"}, actor="reviewer")
    second = "该信息属于内部讨论记录，依据条例第十六条第二款不予公开"
    case = world.act(case, "draft_reply", {"outcome": "withheld.process_info", "reasons": second})
    page = reviewer.get(f"/cases/{case.id}").text
    found = re.search(r'<div class="card" id="draft-difference">.*?</table>', page, flags=re.S)
    assert found, page
    difference = found.group(0)
    assert "请写明所依据的条款" in text_of(difference) and "李法审" in text_of(difference)
    changed = re.search(r'<tr class="changed" data-field="reasons">.*?</tr>', difference, flags=re.S)
    assert changed, difference
    assert "<ins>，依据条例第十六条第二款不予公开</ins>" in changed.group(0)
    assert re.search(r'<tr class="" data-field="outcome">', difference)  # unchanged: not highlighted


def test_looking_at_a_document_does_not_make_an_open_form_stale(web: Web) -> None:
    """A clerk opens the scan in a new tab and then submits a form of the page opened before: the
    recorded view changed nothing the form was based on, so it is not refused as stale; a real change
    since (a note by someone else) still is."""
    world = web.world
    case = with_uploads(world)
    seen = case.version
    ids = documents_of(web, case.id or 0)
    world.act(case, "view_document", {"document_id": ids["application"]})
    world.act(case, "view_identity", actor="reviewer")
    noted = world.act(case, "add_note", {"text": "核对了申请书扫描件"}, expected_version=seen)
    assert noted.version == seen + 3
    with pytest.raises(StaleVersion) as refused:
        world.act(case, "add_note", {"text": "第二条说明"}, expected_version=seen)
    assert "请刷新后重试" in refused.value.message


def test_a_document_view_names_its_file_and_is_refused_for_another_requests(web: Web) -> None:
    world = web.world
    case, other = with_uploads(world), with_uploads(world)
    theirs = documents_of(web, other.id or 0)["application"]
    before = views(web, case.id or 0)
    with pytest.raises(NotFound):
        world.act(case, "view_document", {"document_id": theirs})
    assert views(web, case.id or 0) == before
