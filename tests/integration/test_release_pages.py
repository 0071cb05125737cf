"""The pages of the records to release (issue 19 / C, ``caseflow.api.web.release``) on SQLite and PostgreSQL,
driven like a browser: signed in through the form, forms posted with the page's CSRF token, the
editor's JSON posted with the X-CSRF-Token header.

Upload (a real PDF with an identity number and an applicant's name: stored with its suggestions; a
damaged one refused in Chinese, the typed title kept, nothing stored), the page images, the boxes
saved and refused (outside the page: the Chinese reason, nothing changed), suggestions accepted and
rejected, the released copy made and downloaded (no text left under the box), who may change
(the handler and the agency's reviewers; auditors and supervisors look: 403), the case page's
actions making the released copies first, and everything read-only after the reply.
"""

from __future__ import annotations

import io
import re
from functools import cache
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session, col, func, select

from caseflow.evidence.store import DocumentStore
from caseflow.models import Case, Document, ReleaseRecord
from caseflow.release import copies, records
from tests.idnumbers import valid_ric
from tests.integration.releasing import answered_partial, decide_all
from tests.integration.test_pages import assert_html_page, text_of
from tests.integration.webapp import Web

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
ID_NUMBER = valid_ric()
NAME = "张三丰"
TITLE = "2025年道路维修工程验收记录"


@cache
def record_pdf() -> bytes:
    """Two A4 pages of text (WeasyPrint, Noto CJK): an applicant's name and identity number on page 1."""
    from weasyprint import HTML as Doc

    body = (
        '<section style="page-break-after: always; font-family: Noto Sans CJK SC">'
        f"<p>验收记录</p><p>申请人：{NAME}</p><p>身份证号码：{ID_NUMBER}</p><p>工程合格。</p></section>"
        '<section style="font-family: Noto Sans CJK SC"><p>第二页：验收意见汇总。</p></section>'
    )
    data = Doc(string=f"<html><body>{body}</body></html>").write_pdf()
    assert data is not None
    return bytes(data)


def browser(web: Web, username: str) -> tuple[TestClient, str]:
    client = web.browser(username)
    client.headers.update(HTML)
    return client, web.csrf(client, "/cases")


def new_case(web: Web) -> int:
    case = web.world.new_case()
    assert case.id is not None
    return case.id


def upload(client: TestClient, csrf: str, case_id: int, data: bytes, title: str = TITLE) -> Any:
    return client.post(
        f"/cases/{case_id}/release",
        data={"csrf_token": csrf, "title": title},
        files={"file": ("验收记录.pdf", data, "application/pdf")},
    )


def stored(web: Web, case_id: int) -> list[ReleaseRecord]:
    with Session(web.engine) as s:
        return list(
            s.exec(
                select(ReleaseRecord)
                .where(col(ReleaseRecord.case_id) == case_id)
                .order_by(col(ReleaseRecord.id))
            )
        )


def documents(web: Web) -> int:
    with Session(web.engine) as s:
        return int(s.exec(select(func.count()).select_from(Document)).one())


def uploaded(web: Web) -> tuple[TestClient, str, int, ReleaseRecord]:
    """A request of the clerk's with the record uploaded through the page."""
    client, csrf = browser(web, "clerk")
    case_id = new_case(web)
    response = upload(client, csrf, case_id, record_pdf())
    assert response.status_code == 303, text_of(response.text)[:500]
    (record,) = stored(web, case_id)
    return client, csrf, case_id, record


def save_boxes(client: TestClient, csrf: str | None, case_id: int, record_id: int, boxes: list[Any]) -> Any:
    headers = {"Accept": "application/json"} | ({"X-CSRF-Token": csrf} if csrf else {})
    return client.post(f"/cases/{case_id}/release/{record_id}/boxes", json={"boxes": boxes}, headers=headers)


BOX = {"page": 1, "box": [60.0, 300.0, 400.0, 340.0], "ground": "withheld.third_party"}
DRAFT = {
    "outcome": "partial",
    "reasons": "验收记录中的内部讨论内容依第十六条第二款不予公开",
    "provided": "验收记录（遮盖讨论内容）",
    "withheld_grounds": ["withheld.process_info"],
}


# --- upload --------------------------------------------------------------------------------------


def test_upload_stores_the_record_with_its_suggestions(web: Web) -> None:
    client, _csrf, case_id, record = uploaded(web)
    assert (record.title, record.pages, record.uploaded_by) == (TITLE, 2, "clerk")
    texts = {s["text"] for s in record.suggestions}
    assert any(ID_NUMBER in t for t in texts), texts
    assert all(s["status"] == "open" for s in record.suggestions)
    page = client.get(f"/cases/{case_id}/release?done=uploaded")
    body = assert_html_page(page, 200, "公开材料")
    row = text_of(re.search(r'<tr id="record-\d+">.*?</tr>', body, re.S).group(0))  # type: ignore[union-attr]
    assert TITLE in row and "未生成" in row and "处建议待定" in row
    assert "已上传" in text_of(body)
    assert 'enctype="multipart/form-data"' in body
    # the case page links to it, with the summary
    case_page = text_of(client.get(f"/cases/{case_id}").text)
    assert "公开材料" in case_page and TITLE in case_page


def test_a_damaged_pdf_is_refused_with_the_reason_and_nothing_is_stored(web: Web) -> None:
    client, csrf = browser(web, "clerk")
    case_id = new_case(web)
    before = documents(web)
    response = upload(client, csrf, case_id, b"%PDF-1.7\n1 0 obj <</Type /Catalog", title="损坏的文件名称")
    body = assert_html_page(response, 422, "公开材料")
    error = re.search(r'<div class="error" role="alert" id="upload-error">(.*?)</div>', body, re.S)
    assert error and error.group(1).startswith("未上传："), body[-2000:]
    assert re.search(r"[\u4e00-\u9fff]{4}", error.group(1).removeprefix("未上传："))
    assert 'value="损坏的文件名称"' in body  # the typed title kept
    assert stored(web, case_id) == [] and documents(web) == before
    # no file chosen
    empty = client.post(f"/cases/{case_id}/release", data={"csrf_token": csrf, "title": "x"})
    assert empty.status_code == 422 and "请选择要上传的文件" in empty.text


def test_upload_needs_the_csrf_token(web: Web) -> None:
    client, _csrf = browser(web, "clerk")
    case_id = new_case(web)
    response = upload(client, "0" * 64, case_id, record_pdf())
    assert response.status_code == 403 and stored(web, case_id) == []


# --- the editor ----------------------------------------------------------------------------------


def test_editor_page_and_its_page_images(web: Web) -> None:
    client, _csrf, case_id, record = uploaded(web)
    page = client.get(f"/cases/{case_id}/release/{record.id}?page=1")
    body = assert_html_page(page, 200, "遮盖")
    assert f'src="/cases/{case_id}/release/{record.id}/pages/1.png"' in body
    assert '<script src="/assets/redact.js" defer></script>' in body
    assert 'class="rbox suggested"' in body  # open suggestions drawn dashed on their page
    assert ID_NUMBER in text_of(body)  # staff see the text found
    assert "采纳" in body and "不采纳" in body
    image = client.get(f"/cases/{case_id}/release/{record.id}/pages/1.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert image.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in image.headers["cache-control"] or "private" in image.headers["cache-control"]
    assert client.get(f"/cases/{case_id}/release/{record.id}/pages/3.png").status_code == 404
    script = client.get("/assets/redact.js")
    assert script.status_code == 200 and "pointerdown" in script.text


def test_boxes_are_saved_and_a_box_outside_the_page_is_refused(web: Web) -> None:
    client, csrf, case_id, record = uploaded(web)
    saved = save_boxes(client, csrf, case_id, record.id or 0, [BOX])
    assert saved.status_code == 200, saved.text
    state = saved.json()["state"]
    assert [b["box"] for b in state["boxes"]] == [BOX["box"]] and state["boxes"][0]["by"] == "clerk"
    (after,) = stored(web, case_id)
    assert after.boxes[0]["ground"] == "withheld.third_party" and after.boxes[0]["source"] == "manual"

    outside = {"page": 1, "box": [60.0, 300.0, 5000.0, 340.0], "ground": "withheld.third_party"}
    refused = save_boxes(client, csrf, case_id, record.id or 0, [BOX, outside])
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("未保存：") and re.search(
        r"[\u4e00-\u9fff]", refused.json()["detail"]
    )
    unknown = save_boxes(client, csrf, case_id, record.id or 0, [{**BOX, "ground": "withheld.nonsense"}])
    assert unknown.status_code == 422
    no_page = save_boxes(client, csrf, case_id, record.id or 0, [{**BOX, "page": 3}])
    assert no_page.status_code == 422
    garbage = client.post(
        f"/cases/{case_id}/release/{record.id}/boxes",
        content=b"not json",
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert garbage.status_code == 422
    assert save_boxes(client, None, case_id, record.id or 0, []).status_code == 403  # no CSRF token
    (unchanged,) = stored(web, case_id)
    assert unchanged.boxes == after.boxes and unchanged.boxes_digest == after.boxes_digest

    # the editor draws the saved box (the page's percentages of the page size)
    body = client.get(f"/cases/{case_id}/release/{record.id}?page=1").text
    assert body.count('<div class="rbox" style="left:') == 1


def test_suggestions_are_accepted_and_rejected(web: Web) -> None:
    client, csrf, case_id, record = uploaded(web)
    first, *rest = record.suggestions
    accepted = client.post(
        f"/cases/{case_id}/release/{record.id}/suggestions/{first['id']}",
        data={"csrf_token": csrf, "accept": "1", "page": "1"},
    )
    assert accepted.status_code == 303 and accepted.headers["location"].endswith(
        f"/release/{record.id}?page=1"
    )
    (after,) = stored(web, case_id)
    assert after.suggestions[0]["status"] == "accepted" and after.suggestions[0]["by"] == "clerk"
    assert [(b["box"], b["source"]) for b in after.boxes] == [(first["box"], "suggested")]
    if rest:
        rejected = client.post(
            f"/cases/{case_id}/release/{record.id}/suggestions/{rest[0]['id']}",
            data={"csrf_token": csrf, "accept": "0", "page": "1"},
            headers={"Accept": "application/json"},
        )
        assert rejected.status_code == 200 and rejected.json()["message"] == "已不采纳"
        (again,) = stored(web, case_id)
        assert again.suggestions[1]["status"] == "rejected" and len(again.boxes) == 1
    # deciding the accepted one the other way is refused, in Chinese, nothing changed
    back = client.post(
        f"/cases/{case_id}/release/{record.id}/suggestions/{first['id']}",
        data={"csrf_token": csrf, "accept": "0", "page": "1"},
    )
    assert back.status_code == 409 and "不能再改为" in text_of(back.text)
    assert stored(web, case_id)[0].suggestions[0]["status"] == "accepted"
    missing = client.post(
        f"/cases/{case_id}/release/{record.id}/suggestions/s999", data={"csrf_token": csrf, "accept": "1"}
    )
    assert missing.status_code == 404


def test_released_copy_is_made_and_downloaded_without_the_boxed_text(web: Web) -> None:
    client, csrf, case_id, record = uploaded(web)
    ids = [s for s in record.suggestions if ID_NUMBER in s["text"]]
    assert ids
    decided = client.post(
        f"/cases/{case_id}/release/{record.id}/suggestions/{ids[0]['id']}",
        data={"csrf_token": csrf, "accept": "1", "page": "1"},
    )
    assert decided.status_code == 303
    made = client.post(f"/cases/{case_id}/release/prepare", data={"csrf_token": csrf})
    assert made.status_code == 303, text_of(made.text)[:300]
    listing = text_of(client.get(f"/cases/{case_id}/release").text)
    assert "已生成" in listing and "第十五条 第三方权益（第1页）" in listing
    download = client.get(f"/cases/{case_id}/release/{record.id}/released.pdf")
    assert download.status_code == 200 and download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    (after,) = stored(web, case_id)
    assert download.content == DocumentStore(web.engine).read(after.released_sha256 or "")
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(download.content)).pages)
    assert ID_NUMBER not in text and NAME not in text


def test_who_may_change_and_who_may_look(web: Web) -> None:
    _client, _csrf, case_id, record = uploaded(web)
    for username in ("auditor", "supervisor"):
        client, csrf = browser(web, username)
        page = client.get(f"/cases/{case_id}/release")
        assert page.status_code == 200 and 'id="upload-form"' not in page.text
        editor = client.get(f"/cases/{case_id}/release/{record.id}")
        assert editor.status_code == 200 and '"editable": false' in editor.text
        assert save_boxes(client, csrf, case_id, record.id or 0, [BOX]).status_code == 403
        assert upload(client, csrf, case_id, record_pdf()).status_code == 403
    other_clerk, csrf2 = browser(web, "clerk2")  # a clerk of the agency, not the request's handler
    assert save_boxes(other_clerk, csrf2, case_id, record.id or 0, [BOX]).status_code == 403
    outsider, csrf3 = browser(web, "dept_clerk")  # another agency: the request does not exist for it
    assert outsider.get(f"/cases/{case_id}/release").status_code == 404
    assert save_boxes(outsider, csrf3, case_id, record.id or 0, [BOX]).status_code == 404
    assert stored(web, case_id)[0].boxes == []
    reviewer, csrf4 = browser(web, "reviewer")  # the agency's reviewer may change them
    assert save_boxes(reviewer, csrf4, case_id, record.id or 0, [BOX]).status_code == 200
    assert stored(web, case_id)[0].boxes[0]["by"] == "reviewer"


def test_the_case_page_makes_the_released_copies_before_drafting(web: Web) -> None:
    client, csrf, case_id, record = uploaded(web)
    process = {**BOX, "ground": "withheld.process_info"}  # (a third party's would need consulting it)
    assert save_boxes(client, csrf, case_id, record.id or 0, [process]).status_code == 200
    assert stored(web, case_id)[0].released_sha256 is None
    version = web.case(case_id).version
    drafted = client.post(
        f"/cases/{case_id}/actions/draft_reply",
        data={
            "csrf_token": csrf,
            "expected_version": str(version),
            "outcome": "partial",
            "reasons": "验收记录中的内部讨论内容依第十六条第二款不予公开",
            "provided": "验收记录（遮盖讨论内容）",
            "withheld_grounds": "withheld.process_info",
        },
    )
    assert drafted.status_code == 303, text_of(drafted.text)[:600]
    (after,) = stored(web, case_id)
    assert after.released_sha256 and after.released_digest == after.boxes_digest
    assert web.case(case_id).state == "legal-review"
    review = text_of(client.get(f"/cases/{case_id}").text)
    assert "第十六条 过程性信息（第1页）" in review


def test_the_api_makes_the_released_copies_before_the_approval(web: Web) -> None:
    """POST /api/v1/requests/{id}/actions/approve_reply on a request whose copy is older than its boxes:
    the copy is made first (as the case page does), so the approval binds it; a caller who may not
    approve is refused without anything made."""
    world = web.world
    case = world.new_case()
    record = records.add(world.session, case, actor="clerk", filename="验收记录.pdf", data=record_pdf())
    records.set_boxes(world.session, record, [{**BOX, "ground": "withheld.process_info"}], actor="clerk")
    assert decide_all(world.session, case, actor="clerk") == len(record.suggestions) > 0
    world.session.commit()
    world.act(case, "draft_reply", DRAFT, actor="clerk")  # (the engine: no copy made)
    (before,) = stored(web, case.id or 0)
    assert before.released_sha256 is None and not copies.current(before)
    events = web.events(case.id or 0)

    refused = web.api("clerk").post(  # the drafter: four eyes, not their own approval
        f"/api/v1/requests/{case.id}/actions/approve_reply", json={"facts": {"comments": "同意"}}
    )
    assert refused.status_code == 403
    assert stored(web, case.id or 0)[0].released_sha256 is None and web.events(case.id or 0) == events

    approved = web.api("reviewer").post(
        f"/api/v1/requests/{case.id}/actions/approve_reply", json={"facts": {"comments": "同意，遮盖适当"}}
    )
    assert approved.status_code == 200, approved.text
    (after,) = stored(web, case.id or 0)
    assert copies.current(after) and after.released_sha256 not in (None, after.pdf_sha256)
    assert web.events(case.id or 0) == events + 1
    draft = web.case(case.id or 0).draft or {}
    assert [m["sha256"] for m in draft["release"]] == [after.released_sha256]
    released = DocumentStore(web.engine).read(after.released_sha256 or "")
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(released)).pages)
    assert text == "" and released.startswith(b"%PDF")


def test_after_the_reply_everything_is_read_only(web: Web) -> None:
    released = answered_partial(web.world)
    case_id, record = released.case.id or 0, released.record
    client, csrf = browser(web, "clerk")
    body = text_of(client.get(f"/cases/{case_id}/release").text)
    assert "已随答复发出，不可再修改" in body and "已随答复发出" in body and "上传材料" not in body
    editor = client.get(f"/cases/{case_id}/release/{record.id}")
    assert (
        editor.status_code == 200
        and '"editable": false' in editor.text
        and 'class="decide"' not in editor.text
    )
    refused = save_boxes(client, csrf, case_id, record.id or 0, [])
    assert refused.status_code == 409 and "不能再" in refused.json()["detail"]
    assert upload(client, csrf, case_id, record_pdf()).status_code == 409
    removed = client.post(f"/cases/{case_id}/release/{record.id}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 409
    (after,) = stored(web, case_id)
    assert after.boxes == record.boxes and after.issued_seq == record.issued_seq is not None
    with Session(web.engine) as s:
        assert s.get(Case, case_id) is not None
    download = client.get(f"/cases/{case_id}/release/{record.id}/released.pdf")
    assert download.status_code == 200 and download.content == released.released_bytes


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_record_is_removed_before_the_reply(web: Web) -> None:
    client, csrf, case_id, record = uploaded(web)
    removed = client.post(f"/cases/{case_id}/release/{record.id}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 303 and stored(web, case_id) == []
    assert client.get(f"/cases/{case_id}/release/{record.id}").status_code == 404
