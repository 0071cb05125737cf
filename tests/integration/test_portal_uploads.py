"""Uploads of an online application (issue 18 / A): checked by content (a renamed HTML or program is
refused naming the file), size-limited, stored once in the submission's transaction with their
hashes in the hashed content, documents of the request once confirmed (the evidence package holds
and verifies them), kept by the orphans job, downloaded by clerks of the agency only (attachment,
nosniff), and kept across a refused post of the public form; SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image
from sqlmodel import Session, col, select

from caseflow.dates import now
from caseflow.evidence.chain import canonical, verify_case
from caseflow.evidence.verify import verify_package
from caseflow.models import (
    CaseDocument,
    EvidenceEvent,
    OnlineApplication,
    OnlineApplicationFile,
    PortalPendingUpload,
)
from caseflow.portal import uploads
from caseflow.scheduled.orphans import sweep_store
from caseflow.scheduled.pending import discard_abandoned
from tests.integration import stored
from tests.integration.test_portal_applications import form
from tests.integration.webapp import Web

API = "/api/v1"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


def post(web: Web, files: list[tuple[str, tuple[str, bytes, str]]], **changes: Any) -> Any:
    return web.api(None).post(f"{API}/public/applications", data=form(**changes), files=files)


def applications(web: Web) -> list[OnlineApplication]:
    with Session(web.engine) as s:
        return list(s.exec(select(OnlineApplication).order_by(col(OnlineApplication.id))))


def file_rows(web: Web) -> list[OnlineApplicationFile]:
    with Session(web.engine) as s:
        return list(s.exec(select(OnlineApplicationFile).order_by(col(OnlineApplicationFile.id))))


def test_multipart_submission_stores_files_once_with_hashes_in_content(web: Web) -> None:
    scan = png()
    before = stored.count(web.engine)
    response = post(
        web,
        [
            ("id_scan", ("身份证.jpg", scan, "application/octet-stream")),  # a PNG, whatever it claims
            ("attachments", ("合同目录.pdf", PDF, "application/pdf")),
            ("attachments", ("合同目录-副本.pdf", PDF, "application/pdf")),
        ],
    )
    assert response.status_code == 201, response.text
    (row,) = applications(web)
    files = row.content["files"]
    assert [(f["kind"], f["sha256"], f["size"]) for f in files] == [
        ("id_scan", hashlib.sha256(scan).hexdigest(), len(scan)),
        ("attachment", hashlib.sha256(PDF).hexdigest(), len(PDF)),
        ("attachment", hashlib.sha256(PDF).hexdigest(), len(PDF)),
    ]
    # the type the content shows, the name ending in it; the hash covers the files
    assert files[0]["media_type"] == "image/png" and files[0]["filename"] == "身份证.jpg.png"
    assert row.content_sha256 == hashlib.sha256(canonical(row.content).encode()).hexdigest()
    assert [(r.kind, r.sha256) for r in file_rows(web)] == [(f["kind"], f["sha256"]) for f in files]
    assert stored.count(web.engine) == before + 2  # the same bytes are stored once
    again = post(web, [("attachments", ("again.pdf", PDF, "application/pdf"))])
    assert again.status_code == 201 and stored.count(web.engine) == before + 2
    # JSON still works, without files
    plain = web.api(None).post(f"{API}/public/applications", json=form())
    assert plain.status_code == 201 and "files" not in applications(web)[-1].content


def test_wrong_type_oversized_or_too_many_files_are_refused_naming_them(web: Web) -> None:
    before = stored.count(web.engine)
    for name, data in (("申请表.pdf", HTML), ("scan.pdf", EXE), ("readme.txt", b"plain text, no document")):
        response = post(
            web,
            [("id_scan", ("ok.png", png(), "image/png")), ("attachments", (name, data, "application/pdf"))],
        )
        assert response.status_code == 422, response.text
        errors = {e["field"]: e["message"] for e in response.json()["errors"]}
        assert name in errors["attachments"] and "PDF" in errors["attachments"]
    big = PDF + b"0" * uploads.MAX_FILE_BYTES
    response = post(web, [("id_scan", ("big.pdf", big, "application/pdf"))])
    assert response.status_code == 422
    message = response.json()["errors"][0]
    assert message["field"] == "id_scan" and "big.pdf" in message["message"] and "10 MB" in message["message"]
    many = [("attachments", (f"{i}.pdf", PDF + bytes([i]), "application/pdf")) for i in range(6)]
    response = post(web, many)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "attachments"
    # nothing of any of them stored
    assert applications(web) == [] and file_rows(web) == [] and stored.count(web.engine) == before


def _submit_with_files(web: Web) -> tuple[OnlineApplication, bytes]:
    scan = png()
    response = post(
        web,
        [
            ("id_scan", ("id.png", scan, "image/png")),
            ("attachments", ("目录.pdf", PDF, "application/pdf")),
        ],
    )
    assert response.status_code == 201, response.text
    return applications(web)[-1], scan


def test_confirmation_makes_them_documents_of_the_request(web: Web, tmp_path: Path) -> None:
    row, scan = _submit_with_files(web)
    clerk = web.api("clerk")
    confirmed = clerk.post(f"{API}/applications/{row.id}/confirm")
    assert confirmed.status_code == 201, confirmed.text
    case_id = confirmed.json()["id"]
    scan_sha, pdf_sha = hashlib.sha256(scan).hexdigest(), hashlib.sha256(PDF).hexdigest()
    with Session(web.engine) as s:
        docs = {
            (d.kind, d.sha256) for d in s.exec(select(CaseDocument).where(CaseDocument.case_id == case_id))
        }
        event = s.exec(select(EvidenceEvent).where(col(EvidenceEvent.case_id) == case_id)).one()
        case = web.case(case_id)
        assert verify_case(s, case) is None
    assert {("identity", scan_sha), ("attachment", pdf_sha)} <= docs
    cited = {(d["kind"], d["sha256"]) for d in json.loads(event.payload)["documents"]}
    assert {("identity", scan_sha), ("attachment", pdf_sha)} <= cited  # the register event cites them
    page = web.browser("clerk").get(f"/cases/{case_id}")
    assert "身份证明" in page.text and "目录.pdf" in page.text
    package = clerk.post(f"{API}/requests/{case_id}/evidence")
    assert package.status_code == 200, package.text
    path = tmp_path / "package.zip"
    path.write_bytes(package.content)
    assert verify_package(path).cases == 1
    names = zipfile.ZipFile(path).namelist()
    assert any(n.endswith(scan_sha) for n in names) and any(n.endswith(pdf_sha) for n in names)


def test_orphans_job_keeps_them_and_pending_job_discards_the_forms_kept_files(web: Web) -> None:
    row, scan = _submit_with_files(web)
    kept = hashlib.sha256(scan).hexdigest(), hashlib.sha256(PDF).hexdigest()
    abandoned = PDF + b"% abandoned on the public form"
    token = uploads.new_token()
    with Session(web.engine) as s:
        uploads.keep_pending(s, token, [uploads.check("attachment", "a.pdf", abandoned)])
        s.commit()
        (pending,) = uploads.pending_of(s, token)  # only for its token, read back by hash
        assert uploads.pending_as_checked(s, [pending])[0].data == abandoned
        assert uploads.pending_of(s, uploads.new_token()) == [] and uploads.pending_of(s, "short") == []
    for digest in (*kept, hashlib.sha256(abandoned).hexdigest()):
        stored.age(web.engine, digest, 3)
    assert sweep_store(web.engine, now()).done == []  # every one is named by a row
    assert all(stored.exists(web.engine, d) for d in kept)
    with Session(web.engine) as s:  # the form's file, long abandoned
        for p in s.exec(select(PortalPendingUpload)):
            p.created_at = now() - dt.timedelta(hours=3)
            s.add(p)
        s.commit()
    result = discard_abandoned(web.engine, now())
    assert any("a.pdf" in line for line in result.done)
    assert not stored.exists(web.engine, hashlib.sha256(abandoned).hexdigest())
    assert all(stored.exists(web.engine, d) for d in kept) and web.count(PortalPendingUpload) == 0


def test_clerk_downloads_a_file_as_attachment_other_agencies_cannot(web: Web) -> None:
    row, scan = _submit_with_files(web)
    digest = hashlib.sha256(scan).hexdigest()
    url = f"/applications/{row.id}/files/{digest}"
    got = web.browser("clerk").get(url)
    assert got.status_code == 200 and got.content == scan
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff" and got.headers["content-type"] == "image/png"
    assert web.browser("dept_clerk").get(url).status_code == 404
    assert web.browser("clerk").get(f"/applications/{row.id}/files/{'0' * 64}").status_code == 404
    assert web.browser("reviewer").get(url).status_code == 403
    anonymous = web.browser(None).get(url, follow_redirects=False)
    assert anonymous.status_code in (303, 401) and scan not in anonymous.content


def _page_form(**changes: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form(**changes).items()}


def test_public_form_keeps_values_and_files_across_an_error(web: Web) -> None:
    browser = web.browser(None)
    page = browser.get("/public/apply")
    assert page.status_code == 200 and 'name="form_token"' in page.text
    token = page.text.split('name="form_token" value="', 1)[1].split('"', 1)[0]
    scan = png()
    bad = browser.post(
        "/public/apply",
        data=_page_form(id_number="110101199001061235") | {"form_token": token},
        files=[("id_scan", ("身份证.png", scan, "image/png"))],
    )
    assert bad.status_code == 422
    assert 'id="id_number-error"' in bad.text and "校验位" in bad.text
    assert 'value="李四"' in bad.text and "身份证.png" in bad.text  # typed values and the file kept
    assert applications(web) == [] and web.count(PortalPendingUpload) == 1
    kept_id = bad.text.split('name="kept" value="', 1)[1].split('"', 1)[0]
    # another form's token cannot take the kept file
    other = browser.post("/public/apply", data=_page_form() | {"form_token": uploads.new_token()})
    assert other.status_code == 200 and "files" not in applications(web)[-1].content
    good = browser.post("/public/apply", data=_page_form() | {"form_token": token, "kept": kept_id})
    assert good.status_code == 200, good.text
    row = applications(web)[-1]
    assert row.submission_no in good.text and "李四" not in good.text
    assert good.headers["referrer-policy"] == "no-referrer"
    assert [f["sha256"] for f in row.content["files"]] == [hashlib.sha256(scan).hexdigest()]
    assert web.count(PortalPendingUpload) == 0  # consumed with the submission


def test_public_form_refuses_a_wrong_file_beside_its_input_and_a_foreign_post(web: Web) -> None:
    browser = web.browser(None)
    token = uploads.new_token()
    refused = browser.post(
        "/public/apply",
        data=_page_form() | {"form_token": token},
        files=[("attachments", ("表格.pdf", HTML, "application/pdf"))],
    )
    assert refused.status_code == 422 and 'id="attachments-error"' in refused.text
    beside = refused.text.split('id="attachments-error"', 1)[1].split("</div>", 1)[0]
    assert "表格.pdf" in beside and applications(web) == [] and web.count(PortalPendingUpload) == 0
    foreign = browser.post(
        "/public/apply", data=_page_form() | {"form_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403 and applications(web) == []
