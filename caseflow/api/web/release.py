"""The records to release with a reply (issue 19, Art. 36(2), 37): upload, the redaction editor (page
images, boxes drawn with their ground, suggested boxes accepted or rejected), the released copies.

Pages (zh-CN): ``/cases/{id}/release`` lists the request's records with their redactions and the
status of each released copy, takes uploads and makes the released copies (生成公开文本);
``/cases/{id}/release/{rid}`` is the editor (``/assets/redact.js`` draws and saves the boxes; without
the script the page still shows the page images, the boxes and the suggestions, which are accepted
or rejected by plain forms). The request's handler and the reviewers of its agency change them;
supervisors and auditors look. After the reply everything is read-only.

The work is ``caseflow.release.records``'s, each change in one write transaction; a refusal
(``RedactionError``, ``FactsError``, ``RuleViolation``) is shown in Chinese and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from caseflow import service
from caseflow.api.deps import Authorized, Caller, CurrentCase, Id, SessionDep, actor_of, authorize, check_csrf
from caseflow.api.downloads import disposition_headers
from caseflow.api.limits import MAX_BODY
from caseflow.api.web import release_view as view
from caseflow.api.web import rendering
from caseflow.db import write_transaction
from caseflow.errors import CaseflowError, NotFound, RuleViolation
from caseflow.evidence.store import DocumentStore
from caseflow.models import Case, ReleaseRecord
from caseflow.release import copies, records, redact
from caseflow.release.redact import RedactionError

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)

#: The page images of the editor: 1.5 × 72 dpi (108 dpi: legible, a few hundred KB a page).
PAGE_SCALE = 1.5
REFUSALS = (RedactionError, CaseflowError)
MAX_TITLE = 200
UPLOAD_TYPES = ".pdf,.png,.jpg,.jpeg,.doc,.docx,.xls,.xlsx,.odt,.ods"


def error_page(request: Request, status: int, message: str) -> Response:
    return rendering.error_page(request, status, message)


def _render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    return rendering.render(request, name, status, **context)


def _record(session: Session, case: Case, record_id: int) -> ReleaseRecord:
    return records.record_of(session, case, record_id)


def _pdf(session: Session, record: ReleaseRecord) -> bytes:
    return DocumentStore().read(record.pdf_sha256, session)


def _locked(session: Session, caller: Caller, case: Case) -> Case:
    """The request again, its row locked, inside the write transaction (serialised with the engine's
    transitions: nothing changes under an issue_reply)."""
    assert case.id is not None
    return service.load_visible(session, actor_of(caller), case.id, lock=True)


def _status(exc: Exception) -> int:
    """A refusal's status; refusals are answered where they happen (a rolled-back session has expired
    the signed-in user the error page would show)."""
    return 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, RuleViolation) else 422


# --- the list -------------------------------------------------------------------------------


def _list_page(
    request: Request,
    session: Session,
    case: Case,
    caller: Caller,
    *,
    status: int = 200,
    message: str = "",
    upload_error: str = "",
    title: str = "",
    done: str = "",
) -> Response:
    assert case.id is not None
    rows = records.for_case(session, case.id)
    is_frozen = view.frozen(case, rows)
    return _render(
        request,
        "release_list.html",
        status,
        case=case,
        records=[view.summary(r) for r in rows],
        frozen=is_frozen,
        editable=not is_frozen and view.may_change(caller, case),
        message=message,
        upload_error=upload_error,
        typed_title=title,
        done=done,
        outcome=(case.draft or {}).get("outcome", ""),
        upload_types=UPLOAD_TYPES,
        max_bytes=MAX_BODY,
    )


DONE = {
    "uploaded": "已上传，已在文字层中查找身份证号码、电话号码和姓名，建议遮盖见编辑页",
    "prepared": "公开文本已生成",
    "removed": "已移除",
}


@router.get("/cases/{case_id}/release", name="page_release")
def page_release(
    request: Request,
    case: CurrentCase,
    caller: Authorized,
    session: SessionDep,
    done: str = Query("", max_length=20),
) -> Response:
    return _list_page(request, session, case, caller, done=DONE.get(done, ""))


@router.post("/cases/{case_id}/release", name="page_release_upload")
async def page_release_upload(
    request: Request, case: CurrentCase, caller: Authorized, session: SessionDep
) -> Response:
    """A record uploaded (multipart: ``file`` and ``title``); refused with the reason beside the form,
    the typed title kept, nothing stored."""
    await check_csrf(request, caller)
    view.check_may_change(caller, case)
    form = await request.form()
    title = str(form.get("title") or "").strip()[:MAX_TITLE]
    item = form.get("file")
    if not isinstance(item, UploadFile) or not item.filename:
        return _list_page(
            request, session, case, caller, status=422, upload_error="请选择要上传的文件", title=title
        )
    data = await item.read()
    filename = item.filename

    def add() -> Response | None:
        try:
            with write_transaction(session):
                locked = _locked(session, caller, case)
                records.add(
                    session,
                    locked,
                    actor=actor_of(caller).username,
                    filename=filename,
                    data=data,
                    title=title,
                )
        except REFUSALS as exc:
            session.expire_all()
            problem = f"未上传：{view.refusal(exc)}"
            return _list_page(
                request, session, case, caller, status=_status(exc), upload_error=problem, title=title
            )
        return None

    refused = await run_in_threadpool(add)
    return refused or RedirectResponse(f"/cases/{case.id}/release?done=uploaded", 303)


@router.post("/cases/{case_id}/release/prepare", name="page_release_prepare")
async def page_release_prepare(
    request: Request, case: CurrentCase, caller: Authorized, session: SessionDep
) -> Response:
    """生成公开文本: the released copy of every record for its boxes as they are."""
    await check_csrf(request, caller)
    view.check_may_change(caller, case)
    problem = await run_in_threadpool(prepare_released, session, case)
    if problem:
        return _list_page(request, session, case, caller, status=409, message=f"未生成：{problem}")
    return RedirectResponse(f"/cases/{case.id}/release?done=prepared", 303)


def prepare_released(session: Session, case: Case) -> str | None:
    """``copies.prepare_before_reply`` (the burn-in before the write lock, when the request has
    records), before the case page posts draft_reply, approve_reply, confidentiality_review or
    issue_reply; the refusal's Chinese text, or None."""
    try:
        copies.prepare_before_reply(session, case)
    except REFUSALS as exc:
        session.expire_all()
        return view.refusal(exc)
    return None


@router.post("/cases/{case_id}/release/{record_id}/remove", name="page_release_remove")
async def page_release_remove(
    request: Request, case: CurrentCase, record_id: Id, caller: Authorized, session: SessionDep
) -> Response:
    await check_csrf(request, caller)
    view.check_may_change(caller, case)

    def remove() -> Response:
        try:
            with write_transaction(session):
                _locked(session, caller, case)
                records.remove(session, _record(session, case, record_id), actor=actor_of(caller).username)
        except REFUSALS as exc:
            session.expire_all()
            if isinstance(exc, NotFound):
                return error_page(request, 404, exc.message)
            message = f"未移除：{view.refusal(exc)}"
            return _list_page(request, session, case, caller, status=_status(exc), message=message)
        return RedirectResponse(f"/cases/{case.id}/release?done=removed", 303)

    return await run_in_threadpool(remove)


@router.get("/cases/{case_id}/release/{record_id}/released.pdf", name="page_release_download")
def page_release_download(
    case: CurrentCase, record_id: Id, caller: Authorized, session: SessionDep
) -> Response:
    """The released copy (what the applicant receives), saved, never shown inline."""
    record = _record(session, case, record_id)
    if not record.released_sha256:
        raise NotFound("该材料尚未生成公开文本，请先点击“生成公开文本”")
    data = DocumentStore().read(record.released_sha256, session)
    name = f"{case.tracking_no}-{record.position}-{record.title}（公开文本）.pdf"
    headers = disposition_headers(name, fallback=f"released-{record.id}.pdf")
    headers["X-Content-Type-Options"] = "nosniff"
    return Response(data, media_type="application/pdf", headers=headers)


# --- the editor -----------------------------------------------------------------------------


@router.get("/cases/{case_id}/release/{record_id}", name="page_release_editor")
def page_release_editor(
    request: Request,
    case: CurrentCase,
    record_id: Id,
    caller: Authorized,
    session: SessionDep,
    page: int = Query(1, ge=1, le=redact.MAX_PAGES),
) -> Response:
    assert case.id is not None
    record = _record(session, case, record_id)
    info = records.pdf_info(session, record)
    page = min(page, info.pages)
    width, height = info.sizes[page - 1]
    editable = not view.frozen(case, records.for_case(session, case.id)) and view.may_change(caller, case)

    def placed(item: dict[str, Any]) -> dict[str, Any]:
        x0, y0, x1, y1 = (float(v) for v in item["box"])
        return {
            **item,
            "style": f"left:{x0 / width * 100:.3f}%;top:{y0 / height * 100:.3f}%;"
            f"width:{(x1 - x0) / width * 100:.3f}%;height:{(y1 - y0) / height * 100:.3f}%",
            "label": view.label_of(str(item.get("ground", ""))),
        }

    return _render(
        request,
        "release_edit.html",
        case=case,
        record=record,
        summary=view.summary(record),
        page=page,
        page_size=(width, height),
        page_boxes=[placed(b) for b in record.boxes if b.get("page") == page],
        page_suggestions=[
            placed(s) for s in record.suggestions if s.get("page") == page and s.get("status") == "open"
        ],
        suggestions=[{**s, "label": view.label_of(str(s.get("ground", "")))} for s in record.suggestions],
        boxes=[{**b, "label": view.label_of(str(b.get("ground", "")))} for b in record.boxes],
        grounds=view.ground_choices(),
        editable=editable,
        state=view.editor_state(record, info.sizes) | {"editable": editable, "page": page},
    )


@router.get("/cases/{case_id}/release/{record_id}/pages/{page}.png", name="page_release_page")
def page_release_page(
    case: CurrentCase, record_id: Id, page: Id, caller: Authorized, session: SessionDep
) -> Response:
    """One page of the record as the editor shows it (the original: staff only, never cached)."""
    record = _record(session, case, record_id)
    if page > record.pages:
        raise NotFound(f"该材料只有{record.pages}页")
    png = redact.render_page(_pdf(session, record), page, scale=PAGE_SCALE)
    return Response(png, media_type="image/png", headers={"X-Content-Type-Options": "nosniff"})


def _state(session: Session, record: ReleaseRecord) -> dict[str, Any]:
    session.refresh(record)
    return view.editor_state(record, records.pdf_info(session, record).sizes)


def _boxes_of(body: Any) -> list[dict[str, Any]] | None:
    """The boxes of the editor's JSON ``{"boxes": [{"page", "box", "ground"}, ...]}``, or None."""
    boxes = body.get("boxes") if isinstance(body, dict) else None
    if not isinstance(boxes, list) or len(boxes) > 20_000:
        return None
    out = []
    for b in boxes:
        if not isinstance(b, dict):
            return None
        page, rect, ground = b.get("page"), b.get("box"), b.get("ground")
        if (
            not isinstance(page, int)
            or not isinstance(ground, str)
            or not isinstance(rect, list)
            or len(rect) != 4
        ):
            return None
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in rect):
            return None
        out.append({"page": page, "box": [float(v) for v in rect], "ground": ground})
    return out


@router.post("/cases/{case_id}/release/{record_id}/boxes", name="page_release_boxes")
async def page_release_boxes(
    request: Request, case: CurrentCase, record_id: Id, caller: Authorized, session: SessionDep
) -> Response:
    """The editor saves the whole box list (JSON, the CSRF token in X-CSRF-Token); answers the new
    state, or the Chinese refusal (nothing changed)."""
    is_json = request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"
    raw = await request.body() if is_json else b""  # (read first: check_csrf may read a form)
    await check_csrf(request, caller)
    view.check_may_change(caller, case)
    try:
        body = json.loads(raw) if is_json else None
    except ValueError:
        body = None
    boxes = _boxes_of(body)
    if boxes is None:
        detail = "遮盖框的数据无法读取：应为 JSON，每个框有页码、矩形坐标（四个数）和理由"
        return JSONResponse({"detail": detail, "code": "invalid_request"}, 422)

    def save() -> JSONResponse:
        try:
            with write_transaction(session):
                _locked(session, caller, case)
                record = _record(session, case, record_id)
                records.set_boxes(session, record, boxes, actor=actor_of(caller).username)
        except REFUSALS as exc:
            session.expire_all()
            code = getattr(exc, "code", "invalid_boxes")
            return JSONResponse({"detail": f"未保存：{view.refusal(exc)}", "code": code}, _status(exc))
        return JSONResponse({"message": "已保存", "state": _state(session, record)})

    return await run_in_threadpool(save)


@router.post("/cases/{case_id}/release/{record_id}/suggestions/{suggestion_id}", name="page_release_decide")
async def page_release_decide(
    request: Request,
    case: CurrentCase,
    record_id: Id,
    suggestion_id: str,
    caller: Authorized,
    session: SessionDep,
) -> Response:
    """采纳 (accept=1: the suggestion becomes a box) or 不采纳 (accept=0) a suggested box; back to the
    same page of the editor (or the new state as JSON for the script)."""
    await check_csrf(request, caller)
    view.check_may_change(caller, case)
    form = await request.form()
    accept = form.get("accept") == "1"
    page = str(form.get("page") or "1")
    wants_json = "application/json" in request.headers.get("accept", "")

    def decide() -> Response:
        try:
            with write_transaction(session):
                _locked(session, caller, case)
                record = _record(session, case, record_id)
                records.decide(session, record, suggestion_id[:20], accept, actor=actor_of(caller).username)
        except REFUSALS as exc:
            session.expire_all()
            detail = f"未办理：{view.refusal(exc)}"
            if wants_json:
                return JSONResponse({"detail": detail, "code": getattr(exc, "code", "refused")}, _status(exc))
            return error_page(request, _status(exc), detail)
        if wants_json:
            return JSONResponse(
                {"message": "已采纳" if accept else "已不采纳", "state": _state(session, record)}
            )
        target = f"/cases/{case.id}/release/{record_id}?page={page if page.isdigit() else 1}"
        return RedirectResponse(target, 303)

    return await run_in_threadpool(decide)
