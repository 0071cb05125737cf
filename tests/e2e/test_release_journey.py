"""The browser journey of issue 19: a record released with a partial reply (Art. 37), redacted in the
browser.

The clerk registers a request and records the third party's partial objection (Art. 32) through
the JSON API, as a script would (the forms have their own journeys), uploads a PDF with an
applicant's name and identity number on the request's 公开材料 page, opens the editor, accepts the
suggested box over the identity number, draws a box by dragging the mouse on page 1 with its
ground, saves, and makes the released copy; drafts the partial reply; the reviewer sees the
redactions on the case page, is refused the approval while the name's suggestion is open, rejects it
(不采纳) in the editor, approves and reviews it (Art. 17); the clerk issues it. The letter
lists the file; the released PDF has no text at all and its SHA-256 is in the reply's evidence
event. Screenshots: the editor with its boxes, the list, the refused approval, the letter, the
released page 1.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pypdfium2 as pdfium
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e import helpers
from tests.e2e.helpers import PASSWORD, assert_chinese, login, new_page
from tests.idnumbers import valid_ric

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ID_NUMBER = valid_ric(serial=457)
NAME = "欧阳明远"
TITLE = "2025年老旧小区改造验收记录"
DESCRIPTION = "2025年本市老旧小区改造项目的验收记录"

expect.set_options(timeout=helpers.TIMEOUT_MS)


def record_pdf(folder: Path) -> Path:
    """A two-page PDF with a text layer (WeasyPrint, Noto CJK): the applicant's name after 申请人： and
    an identity number on page 1."""
    from weasyprint import HTML

    font = "font-family: 'Noto Sans CJK SC'; font-size: 14pt"
    body = (
        f'<section style="page-break-after: always; {font}"><h1>验收记录</h1><p>申请人：{NAME}</p>'
        f"<p>身份证号码：{ID_NUMBER}</p><p>验收意见：工程质量合格，同意验收。</p>"
        "<p>内部讨论：预算调整方案尚在研究中。</p></section>"
        f'<section style="{font}"><p>第二页：验收组成员签字。</p></section>'
    )
    data = HTML(string=f"<html><body>{body}</body></html>").write_pdf()
    assert data is not None
    path = folder / "record.pdf"  # an ASCII path (see tests/e2e/conftest.py CHROMIUM_ENV)
    path.write_bytes(data)
    return path


def act(page: Page, action: str, label: str, fields: dict[str, str], selects: dict[str, str]) -> None:
    box = page.locator(f"#action-{action}")
    expect(box, f"the action {label} is offered").to_be_visible()
    box.locator("summary").click()
    for name, value in selects.items():
        page.locator(f"#{action}-{name}").select_option(value)
    for name, value in fields.items():
        page.locator(f"#{action}-{name}").fill(value)
    with page.expect_navigation():
        box.get_by_role("button", name=label, exact=True).click()
    flash = " | ".join(page.locator(".flash").all_inner_texts())
    expect(page, f"{action}: {flash}").to_have_url(re.compile(rf"/cases/\d+\?done={action}$"))


def shoot(page: Page, folder: Path, name: str) -> Path:
    assert_chinese(page, name)
    return helpers.shoot(page, folder, name)


def test_release_journey(server: str, browser: Browser, screenshots: Path, tmp_path: Path) -> None:
    pdf = record_pdf(tmp_path)
    clerk_ctx, clerk = new_page(browser, server)
    login(clerk, "clerk")

    # 1. A request registered through the API by the clerk (the handler).
    token = clerk.request.post("/api/v1/auth/token", form={"username": "clerk", "password": PASSWORD})
    assert token.ok, token.text()
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    arrived = clerk.evaluate("() => new Date(Date.now() - 3600e3).toISOString()")
    application = {
        "applicant_type": "natural_person",
        "applicant_name": "李四",
        "id_type": "居民身份证",
        "id_number": valid_ric(serial=321),
        "phone": "13912345678",
        "description": DESCRIPTION,
        "provision_form": "electronic",
        "channel": "in_person",
        "arrived_at": arrived,
    }
    made = clerk.request.post("/api/v1/requests", data=application, headers=auth)
    assert made.status == 201, made.text()
    case_id = made.json()["id"]
    # The person named in the record (a third party, Art. 15) was consulted and objected in part
    # (Art. 32): a partial reply withholding on that ground needs it (a whole objection would hold
    # a partial reply until a decision notice's period has run, Art. 32).
    for action, facts in (
        (
            "start_consultation",
            {"party_kind": "third_party", "party_name": NAME, "matters": "验收记录中的个人信息"},
        ),
        (
            "receive_opinion",
            {"opinion": "partial", "opinion_text": "同意公开验收结论，不同意公开本人的身份证号码"},
        ),
    ):
        done = clerk.request.post(
            f"/api/v1/requests/{case_id}/actions/{action}", data={"facts": facts}, headers=auth
        )
        assert done.ok, done.text()

    # 2. The record uploaded on the request's 公开材料 page.
    clerk.goto(f"/cases/{case_id}")
    clerk.locator("#release-link").click()
    expect(clerk).to_have_url(re.compile(rf"/cases/{case_id}/release$"))
    clerk.fill("#release-title", TITLE)
    clerk.set_input_files("#release-file", str(pdf))
    with clerk.expect_navigation():
        clerk.locator("#upload").click()
    expect(clerk.locator("#done-notice")).to_contain_text("已上传")
    row = clerk.locator("#records tbody tr").first
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text("未生成")
    assert_chinese(clerk, "the release list")

    # 3. The editor: the suggested box over the identity number accepted.
    row.locator("a.record-edit").click()
    expect(clerk).to_have_url(re.compile(rf"/cases/{case_id}/release/\d+(\?page=1)?$"))
    record_url = clerk.url.split("?")[0]
    expect(clerk.locator("#page-image")).to_have_js_property("complete", True)
    suggestion = clerk.locator("#suggestion-list tr", has_text=ID_NUMBER)
    expect(suggestion).to_have_count(1)
    expect(clerk.locator(".rbox.suggested").first).to_be_visible()
    with clerk.expect_navigation():
        suggestion.get_by_role("button", name="采纳", exact=True).click()
    expect(clerk.locator("#suggestion-list tr", has_text=ID_NUMBER)).to_contain_text("已采纳")
    expect(clerk.locator("#page-view .rbox:not(.suggested)")).to_have_count(1)
    # the name's suggestion is left open for now (decided by the reviewer in step 7)
    expect(clerk.locator("#suggestion-list form.decide")).to_have_count(1)
    expect(clerk.locator("#suggestion-list tr", has_text=NAME)).to_contain_text("待定")

    # 4. A box drawn by dragging the mouse on page 1 over the internal discussion line, its ground
    #    chosen first; saved.
    clerk.select_option("#ground", "withheld.process_info")
    view = clerk.locator("#page-view")
    area = view.bounding_box()
    assert area is not None
    x0, y0 = area["x"] + area["width"] * 0.10, area["y"] + area["height"] * 0.272
    x1, y1 = area["x"] + area["width"] * 0.80, area["y"] + area["height"] * 0.305
    clerk.mouse.move(x0, y0)
    clerk.mouse.down()
    clerk.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=4)
    clerk.mouse.move(x1, y1, steps=4)
    clerk.mouse.up()
    expect(clerk.locator("#page-view .rbox:not(.suggested)")).to_have_count(2)
    expect(clerk.locator("#unsaved")).to_have_text("有未保存的改动")
    expect(clerk.locator("#box-list tbody tr")).to_have_count(2)
    clerk.locator("#save-boxes").click()
    expect(clerk.locator("#editor-message")).to_have_text("已保存")
    expect(clerk.locator("#unsaved")).to_have_text("")
    expect(clerk.locator("#box-count")).to_have_text("2")
    expect(clerk.locator("#record-summary")).to_contain_text("遮盖框2处")
    expect(clerk.locator("#record-status")).to_have_text("未生成")
    expect(clerk.locator("#box-list")).to_contain_text("第十六条 过程性信息")
    clerk.wait_for_timeout(200)  # the page image painted
    editor_shot = shoot(clerk, screenshots, "release-editor")

    # The saved boxes are the server's (reloaded): one suggested, one drawn, on page 1.
    clerk.goto(record_url + "?page=1")
    expect(clerk.locator("#page-view .rbox:not(.suggested)")).to_have_count(2)
    expect(clerk.locator("#box-list")).to_contain_text("采纳建议")

    # Page navigation: page 2 has no box; back to page 1.
    clerk.locator("#next-page").click()
    expect(clerk.locator("#page-no")).to_have_text("2")
    expect(clerk.locator("#page-view .rbox")).to_have_count(0)
    clerk.locator("#prev-page").click()
    expect(clerk.locator("#page-view .rbox:not(.suggested)")).to_have_count(2)

    # 5. The released copy made.
    clerk.goto(f"/cases/{case_id}/release")
    with clerk.expect_navigation():
        clerk.locator("#prepare").click()
    expect(clerk.locator("#done-notice")).to_contain_text("公开文本已生成")
    row = clerk.locator("#records tbody tr").first
    expect(row).to_contain_text("已生成")
    expect(row).to_contain_text("第十五条 第三方权益")
    expect(row).to_contain_text("第十六条 过程性信息")
    expect(row).to_contain_text("1处建议待定")
    shoot(clerk, screenshots, "release-list")

    # 6. The partial reply drafted on the case page (the released copies are made first).
    clerk.goto(f"/cases/{case_id}")
    act(
        clerk,
        "draft_reply",
        "拟定答复",
        fields={
            "reasons": "验收记录中的个人信息和内部讨论内容依法不予公开，其余部分予以提供。",
            "provided": "验收记录（遮盖不予公开的部分）",
            "withheld_grounds": "withheld.third_party\nwithheld.process_info",
        },
        selects={"outcome": "partial"},
    )

    # 7. The reviewer sees the redactions on the case page, approves and reviews (Art. 17).
    reviewer_ctx, reviewer = new_page(browser, server)
    login(reviewer, "reviewer")
    reviewer.goto(f"/cases/{case_id}")
    summary = reviewer.locator("#release-summary")
    expect(summary).to_contain_text(TITLE)
    expect(summary).to_contain_text("第十六条 过程性信息（第1页）")
    # The name's suggestion is still open: the approval is refused, naming the record and the count.
    approve = reviewer.locator("#action-approve_reply")
    approve.locator("summary").click()
    reviewer.locator("#approve_reply-comments").fill("遮盖适当，同意")
    with reviewer.expect_navigation():
        approve.get_by_role("button", name="审核通过", exact=True).click()
    expect(reviewer.locator(".flash")).to_contain_text(
        f"「{TITLE}」还有1处建议遮盖未处理，请逐一采纳或不采纳"
    )
    refused_shot = shoot(reviewer, screenshots, "release-open-suggestion-refused")
    # The reviewer rejects it (不采纳) in the editor, as the handler could have.
    reviewer.goto(record_url + "?page=1")
    name_row = reviewer.locator("#suggestion-list tr", has_text=NAME)
    with reviewer.expect_navigation():
        name_row.get_by_role("button", name="不采纳", exact=True).click()
    expect(name_row).to_contain_text("不采纳")
    expect(name_row).to_contain_text("reviewer")
    expect(reviewer.locator("#suggestion-list form.decide")).to_have_count(0)
    expect(reviewer.locator("#page-view .rbox.suggested")).to_have_count(0)
    expect(reviewer.locator("#page-view .rbox:not(.suggested)")).to_have_count(2)  # the boxes as they were
    reviewer.goto(f"/cases/{case_id}")
    act(reviewer, "approve_reply", "审核通过", fields={"comments": "遮盖适当，同意"}, selects={})
    act(
        reviewer,
        "confidentiality_review",
        "保密审查（第十七条）",
        fields={"comments": "遮盖部分以外不涉及国家秘密、商业秘密和个人隐私"},
        selects={"conclusion": "agree"},
    )
    reviewer_ctx.close()

    # 8. The clerk issues the reply; the records are read-only from now on.
    clerk.goto(f"/cases/{case_id}")
    act(clerk, "issue_reply", "签发答复", fields={}, selects={})
    clerk.goto(f"/cases/{case_id}/release")
    expect(clerk.locator("#release-frozen")).to_be_visible()
    expect(clerk.locator("#upload-form")).to_have_count(0)
    expect(clerk.locator("#records tbody tr").first).to_contain_text("已随答复发出")

    # 9. The letter lists the file.
    letters = clerk.request.get(f"/api/v1/requests/{case_id}/letters", headers=auth).json()
    reply = [x for x in letters if x["doc_type"] == "reply"]
    assert reply, letters
    clerk.goto(f"/cases/{case_id}/letters/{reply[-1]['id']}?format=html")
    letter_text = clerk.locator("body").inner_text()
    assert TITLE in letter_text, letter_text[-1500:]
    assert "第十五条" in letter_text and "第十六条" in letter_text
    letter_shot = helpers.shoot(clerk, screenshots, "release-letter")

    # 10. The released PDF: no text at all; its SHA-256 in the reply's evidence event.
    record_id = record_url.rsplit("/", 1)[1]
    download = clerk.request.get(f"/cases/{case_id}/release/{record_id}/released.pdf")
    assert download.ok and download.headers["content-type"] == "application/pdf"
    released = download.body()
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(released)).pages)
    assert text.strip() == "", text[:200]
    shown = pdfium.PdfDocument(released)[0].render(scale=1).to_pil()  # to look at: boxes burnt in
    shown.save(screenshots / "release-released-page1.png")
    digest = hashlib.sha256(released).hexdigest()
    events = clerk.request.get(f"/api/v1/requests/{case_id}/events", headers=auth).json()
    issued = [json.loads(e["payload"]) for e in events if e["action"] == "issue_reply"]
    assert len(issued) == 1
    assert digest in [r["sha256"] for r in issued[0]["facts"]["released"]]
    assert {"kind": "released", "sha256": digest} in issued[0]["documents"]
    clerk_ctx.close()
    assert editor_shot.exists() and letter_shot.exists() and refused_shot.exists()
