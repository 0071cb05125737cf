"""Nothing typed is lost (issue 16 item 2), through the pages on the real application and database.

- the intake form's files survive 计算期限 and a refused save as pending uploads: content-addressed
  (SHA-256, stored once), bound to the signed-in user (another user's id: 403, nothing changed),
  removable, and on registration the request's documents (the rows gone in the same commit);
- a registration the engine refuses leaves no half state (no request, no document row, the pending
  file still there for the next try);
- abandoned pending uploads are discarded after 24 hours by the ``pending`` job, with their bytes
  unless another row names the hash;
- a 413 on /intake is the intake form (Chinese, saying the limit and that nothing was saved);
- an expired or revoked session: the sign-in page says so, and leads back to the page of the form
  posted (never to the POST target), marked for restoring the typed values;
- a draft sent back by the reviewer comes back filled, with the reviewer's comments beside it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from caseflow.dates import now
from caseflow.evidence.store import DocumentStore
from caseflow.models import AuthToken, Case, CaseDocument, Document, PendingUpload, User
from caseflow.scheduled.jobs import JOBS
from caseflow.scheduled.pending import discard_abandoned
from tests.integration import stored
from tests.integration.conftest import World
from tests.integration.test_pages import browser, intake_form
from tests.integration.webapp import Web

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SCAN = b"%PDF-1.4 scanned application form, page 1 of 1"
ENVELOPE = b"\x89PNG envelope photo bytes"


def post_intake(
    client: TestClient,
    web: Web,
    form: dict[str, str],
    files: dict[str, tuple[str, bytes, str]] | None = None,
    pending: list[int] | None = None,
    remove: list[int] | None = None,
) -> tuple[int, str, str | None]:
    data: dict[str, str | list[str]] = {**form, "csrf_token": web.csrf(client, "/intake")}
    if pending:
        data["pending"] = [str(p) for p in pending]
    if remove:
        data["pending_remove"] = [str(p) for p in remove]
    response = client.post("/intake", data=data, files=files or {})
    return response.status_code, response.text, response.headers.get("location")


def pending_rows(web: Web) -> list[PendingUpload]:
    with Session(web.engine) as s:
        return list(s.exec(select(PendingUpload).order_by(col(PendingUpload.id))))


def kept_ids(page: str) -> list[int]:
    return [int(v) for v in re.findall(r'name="pending" value="(\d+)"', page)]


def user_id(web: Web, username: str) -> int:
    with Session(web.engine) as s:
        user = s.exec(select(User).where(col(User.username) == username)).one()
        assert user.id is not None
        return user.id


# --- pending uploads on the intake form ------------------------------------------------------------


def test_files_survive_compute_and_become_the_requests_documents(web: Web) -> None:
    clerk = browser(web, "clerk")
    files = {
        "application_scan": ("申请书.pdf", SCAN, "application/pdf"),
        "envelope": ("env.png", ENVELOPE, "image/png"),
    }
    status, page, _ = post_intake(clerk, web, intake_form(intent="compute"), files)
    assert status == 200 and 'id="computed"' in page
    shown = html.unescape(page)
    assert "已上传：" in shown and "申请书.pdf" in shown and "env.png" in shown
    assert f"（{len(SCAN)} 字节）" in shown
    rows = pending_rows(web)
    assert sorted((r.slot, r.sha256, r.size, r.user_id) for r in rows) == sorted(
        [
            ("application_scan", hashlib.sha256(SCAN).hexdigest(), len(SCAN), user_id(web, "clerk")),
            ("envelope", hashlib.sha256(ENVELOPE).hexdigest(), len(ENVELOPE), user_id(web, "clerk")),
        ]
    )
    assert all(r.created_at.tzinfo is not None for r in rows)
    store = DocumentStore()
    assert store.read(hashlib.sha256(SCAN).hexdigest()) == SCAN  # content-addressed in the store
    ids = kept_ids(page)
    assert sorted(ids) == sorted(r.id for r in rows)

    # saved without choosing the files again: they are the request's documents, the rows gone
    status, _, location = post_intake(clerk, web, intake_form(intent="save"), pending=ids)
    assert status == 303 and location and location.startswith("/cases/")
    case_id = int(location.rsplit("/", 1)[1])
    with Session(web.engine) as s:
        docs = {
            d.kind: d.sha256 for d in s.exec(select(CaseDocument).where(col(CaseDocument.case_id) == case_id))
        }
        assert docs["application"] == hashlib.sha256(SCAN).hexdigest()
        assert docs["envelope"] == hashlib.sha256(ENVELOPE).hexdigest()
        document = s.get(Document, docs["application"])
        assert (
            document is not None
            and document.filename == "申请书.pdf"
            and document.media_type == "application/pdf"
        )
    assert pending_rows(web) == []


def test_a_refused_save_keeps_the_files_and_a_new_file_replaces_the_kept_one(web: Web) -> None:
    clerk = browser(web, "clerk")
    files = {"application_scan": ("scan.pdf", SCAN, "application/pdf")}
    status, page, _ = post_intake(clerk, web, intake_form(applicant_name="", intent="save"), files)
    assert status == 422 and "scan.pdf" in page and web.requests() == 0
    first = kept_ids(page)
    assert len(first) == 1
    # the same bytes again (another form): one document, a second row
    other = browser(web, "clerk2")
    post_intake(other, web, intake_form(applicant_name="", intent="save"), files)
    rows = pending_rows(web)
    assert len(rows) == 2 and rows[0].sha256 == rows[1].sha256
    assert stored.exists(web.engine, rows[0].sha256)
    with Session(web.engine) as s:
        assert s.exec(select(func.count()).select_from(Document)).one() == 1
    # a new file in the same field replaces the kept one
    status, page, _ = post_intake(
        clerk,
        web,
        intake_form(applicant_name="", intent="save"),
        {"application_scan": ("second.pdf", b"%PDF second", "application/pdf")},
        pending=first,
    )
    assert status == 422 and "second.pdf" in page and "scan.pdf" not in page
    assert [r.filename for r in pending_rows(web) if r.user_id == user_id(web, "clerk")] == ["second.pdf"]


def test_a_kept_file_can_be_removed(web: Web) -> None:
    clerk = browser(web, "clerk")
    _, page, _ = post_intake(
        clerk, web, intake_form(intent="compute"), {"proof": ("p.jpg", b"proof", "image/jpeg")}
    )
    ids = kept_ids(page)
    status, page, _ = post_intake(clerk, web, intake_form(intent="compute"), pending=ids, remove=ids)
    assert status == 200 and "p.jpg" not in page and kept_ids(page) == []
    assert pending_rows(web) == []


def test_another_users_pending_id_is_refused(web: Web) -> None:
    clerk = browser(web, "clerk")
    _, page, _ = post_intake(
        clerk, web, intake_form(intent="compute"), {"application_scan": ("a.pdf", SCAN, "application/pdf")}
    )
    ids = kept_ids(page)
    other = browser(web, "clerk2")
    for field in ("pending", "remove"):
        kwargs = {"pending": ids} if field == "pending" else {"remove": ids}
        status, page, _ = post_intake(other, web, intake_form(intent="save"), **kwargs)  # type: ignore[arg-type]
        assert status == 403 and "不是您上传的" in html.unescape(page)
    assert web.requests() == 0
    assert [r.id for r in pending_rows(web)] == ids  # still the clerk's, untouched
    # an id that is no longer kept: a Chinese field error, nothing registered
    status, page, _ = post_intake(clerk, web, intake_form(intent="save"), pending=[ids[0] + 1000])
    assert status == 422 and "已上传的文件" in html.unescape(page) and web.requests() == 0


def test_a_registration_the_engine_refuses_leaves_no_half_state(web: Web) -> None:
    """A future arrival passes the form's parsing but the registration refuses it: no request, no
    document row; the pending file is still there for the corrected form."""
    clerk = browser(web, "clerk")
    future = (now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    files = {"application_scan": ("a.pdf", SCAN, "application/pdf")}
    status, page, _ = post_intake(clerk, web, intake_form(arrived_at=future, intent="save"), files)
    assert status == 422 and "a.pdf" in page
    assert web.requests() == 0 and web.count(CaseDocument) == 0
    # the one document row is the pending upload's bytes (stored with it), nothing of the request
    pending = [r.sha256 for r in pending_rows(web)]
    assert web.count(Document) == 1 and pending == [hashlib.sha256(SCAN).hexdigest()]
    status, _, location = post_intake(clerk, web, intake_form(intent="save"), pending=kept_ids(page))
    assert status == 303 and location and pending_rows(web) == [] and web.count(CaseDocument) >= 1


# --- abandoned ones --------------------------------------------------------------------------------


def test_abandoned_pending_uploads_are_discarded_with_their_bytes(web: Web, world: World) -> None:
    from caseflow.cases import pending_uploads

    clerk = user_id(web, "clerk")
    with Session(web.engine) as s:
        old = pending_uploads.keep(
            s,
            user_id=clerk,
            slot="application_scan",
            data=b"old scan",
            media_type="application/pdf",
            filename="old.pdf",
            moment=now() - dt.timedelta(hours=25),
        )
        shared = pending_uploads.keep(
            s,
            user_id=clerk,
            slot="envelope",
            data=SCAN,
            media_type="application/pdf",
            filename="shared.pdf",
            moment=now() - dt.timedelta(hours=30),
        )
        young = pending_uploads.keep(
            s,
            user_id=clerk,
            slot="proof",
            data=b"young",
            media_type="image/jpeg",
            filename="young.jpg",
            moment=now() - dt.timedelta(hours=2),
        )
        s.commit()
        old_sha, shared_sha, young_sha = (r.sha256 for r in (old, shared, young))
    # the shared bytes are also a registered request's document: they stay
    case = world.new_case()
    with Session(web.engine) as s:
        s.add(
            CaseDocument(
                case_id=case.id or 0, sha256=hashlib.sha256(SCAN).hexdigest(), kind="application", event_seq=1
            )
        )
        s.commit()
    for sha in (old_sha, shared_sha):
        stored.age(web.engine, sha, 26 / 24)
    assert "pending" in JOBS
    result = discard_abandoned(web.engine, now())
    assert sorted(line.split()[0] for line in result.done if "discarded" in line) == ["old.pdf", "shared.pdf"]
    assert [r.filename for r in pending_rows(web)] == ["young.jpg"]
    assert [line.split()[0] for line in result.done if "removed" in line] == [old_sha]
    assert not stored.exists(web.engine, old_sha)
    assert stored.exists(web.engine, shared_sha) and stored.exists(web.engine, young_sha)
    again = discard_abandoned(web.engine, now())  # idempotent
    assert again.done == [] and stored.exists(web.engine, young_sha)
    # a run "as of" a future moment ages nothing
    assert discard_abandoned(web.engine, now() + dt.timedelta(days=30)).done == []


# --- the 413 on the intake form ---------------------------------------------------------------------


def test_an_intake_over_the_limit_is_answered_with_the_form(web: Web) -> None:
    clerk = browser(web, "clerk")
    csrf = web.csrf(clerk, "/intake")
    response = clerk.post(
        "/intake",
        content=b"x" * 16,
        headers={"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(21 * 1024 * 1024)},
    )
    assert response.status_code == 413
    page = html.unescape(response.text)
    assert "<title>登记政府信息公开申请" in page and 'action="/intake"' in page
    assert "超过 20 MB 的上限" in page and "申请未保存" in page
    assert f'value="{csrf}"' in page  # the form can be sent again as it stands
    assert web.requests() == 0 and pending_rows(web) == []
    # the JSON API keeps its machine answer
    api = web.api("clerk").post(
        "/api/v1/requests", content=b"{}", headers={"Content-Length": str(21 * 1024 * 1024)}
    )
    assert api.status_code == 413 and api.headers["content-type"].startswith("application/json")


# --- an expired session --------------------------------------------------------------------------------


def _expire_sessions(web: Web, username: str) -> None:
    with Session(web.engine) as s:
        for row in s.exec(select(AuthToken).where(col(AuthToken.user_id) == user_id(web, username))):
            row.expires_at = now() - dt.timedelta(minutes=1)
            s.add(row)
        s.commit()


def test_an_expired_session_leads_back_to_the_page_of_the_form(web: Web, world: World) -> None:
    case = world.new_case()
    clerk = browser(web, "clerk")
    csrf = web.csrf(clerk, f"/cases/{case.id}")
    _expire_sessions(web, "clerk")
    posted = clerk.post(
        f"/cases/{case.id}/actions/add_note", data={"csrf_token": csrf, "text": "电话联系申请人"}
    )
    assert posted.status_code == 303
    location = urlsplit(posted.headers["location"])
    query = parse_qs(location.query)
    assert location.path == "/login" and query["expired"] == ["1"]
    assert query["next"] == [f"/cases/{case.id}?restore=1"]  # the page, never the POST target
    login = clerk.get(posted.headers["location"])
    shown = html.unescape(login.text)
    assert "登录已过期，请重新登录" in shown and f'value="/cases/{case.id}?restore=1"' in shown
    signed_in = clerk.post(
        "/login", data={"username": "clerk", "password": "correct horse battery", "next": query["next"][0]}
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == f"/cases/{case.id}?restore=1"
    back = clerk.get(signed_in.headers["location"])
    assert back.status_code == 200 and '<script src="/static/forms.js"' in back.text
    # the other POST targets lead to their pages: the identity view, the intake form
    for target, page in ((f"/cases/{case.id}/identity", f"/cases/{case.id}"), ("/intake", "/intake")):
        _expire_sessions(web, "clerk")
        answer = clerk.post(target, data={"csrf_token": "x"})
        assert parse_qs(urlsplit(answer.headers["location"]).query)["next"] == [f"{page}?restore=1"]
        clerk.post("/login", data={"username": "clerk", "password": "correct horse battery"})


def test_a_page_asked_for_after_revocation_or_without_session(web: Web) -> None:
    clerk = browser(web, "clerk")
    with Session(web.engine) as s:
        for row in s.exec(select(AuthToken)):
            row.revoked_at = now()
            s.add(row)
        s.commit()
    asked = clerk.get("/cases?state=received&page=2")
    query = parse_qs(urlsplit(asked.headers["location"]).query)
    assert query == {"next": ["/cases?state=received&page=2"], "expired": ["1"]}
    fresh = web.client(headers=HTML)  # never signed in: the plain sign-in page
    plain = fresh.get("/dashboard")
    assert plain.headers["location"] == "/login?next=/dashboard"
    assert "登录已过期" not in html.unescape(fresh.get("/login?next=/dashboard").text)


def test_the_forms_script_is_served_to_everyone(web: Web) -> None:
    script = web.client().get("/static/forms.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "sessionStorage" in script.text and "data-max-bytes" in script.text


# --- a returned draft -----------------------------------------------------------------------------------


def test_a_returned_draft_comes_back_filled_with_the_comments(web: Web, world: World) -> None:
    case = world.new_case()
    reasons = "申请公开的信息属于内部事务信息（人事管理）"
    case = world.act(case, "draft_reply", {"outcome": "withheld.internal_affairs", "reasons": reasons})
    assert case.state == "legal-review"
    world.act(case, "return_reply", {"comments": "理由不够具体，请写明依据条款"}, actor="reviewer")
    page = html.unescape(browser(web, "clerk").get(f"/cases/{case.id}").text)
    draft_form = page[page.index('id="action-draft_reply"') :]
    draft_form = draft_form[: draft_form.index("</details>")]
    assert "审核退回意见：" in draft_form and "理由不够具体，请写明依据条款" in draft_form
    assert re.search(r'<option value="withheld.internal_affairs"\s+selected', draft_form)
    assert f">{reasons}</textarea>" in draft_form
    with Session(web.engine) as s:
        reviewer = s.exec(select(User).where(col(User.username) == "reviewer")).one()
    assert reviewer.display_name in draft_form
    assert '<details class="card" open id="action-draft_reply"' in page
    # drafted again: no longer a returned draft
    world.act(
        world.session.get(Case, case.id) or case,
        "draft_reply",
        {"outcome": "withheld.internal_affairs", "reasons": reasons + "。"},
    )
    again = html.unescape(browser(web, "reviewer").get(f"/cases/{case.id}").text)
    assert "审核退回意见：" not in again
