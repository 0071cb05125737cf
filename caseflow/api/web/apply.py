"""The public online application form (网上申请, issue 18 / A): ``/public/apply``, no account.

The form asks for the Art. 29 content as clerk intake does (checked by the same rules: ID check
digits, at least one contact), the agency, the ID document scan and attachments
(``caseflow.portal.uploads``: checked by content, size-limited). A refused post answers the form
again (422) with each error beside its field, the typed values, and the files already chosen kept
for the form's random token (a hidden field): listed by name and size, never served back. A
successful post answers with the submission number and the access code, shown once.

CSRF: there is no session to bind a token to; as for ``/public/status``, a post that a browser says
comes from another site is refused (``cross_site_origin``).

Clerks of the chosen agency download an application's files at
``/applications/{id}/files/{sha256}``: always as attachments, with ``nosniff``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from caseflow import law
from caseflow.api.deps import Authorized, Id, SessionDep, actor_of, authorize, cross_site_origin
from caseflow.api.downloads import disposition_headers
from caseflow.api.limits import MAX_BODY
from caseflow.api.ratelimits import check_submit, client_address
from caseflow.api.uploads import chosen_files
from caseflow.api.web.forms import APPLICATION_LABELS, zh_error
from caseflow.api.web.rendering import render
from caseflow.cases.pending_uploads import size_text
from caseflow.dates import today
from caseflow.errors import FactsError
from caseflow.models import Agency, PortalPendingUpload
from caseflow.portal import application_status, uploads
from caseflow.portal import applications as portal

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)

#: The form's text fields (those of ``portal.OnlineForm``).
FIELDS = tuple(portal.OnlineForm.model_fields)
LABELS: dict[str, str] = {
    "agency": "受理机关",
    **APPLICATION_LABELS,
    "id_scan": "身份证明扫描件",
    "attachments": "附件",
    "files": "已上传的文件",
}
GONE = (
    f"已上传的文件超过{int(uploads.PENDING_MAX_AGE.total_seconds() // 3600)}小时未提交，已被清理，请重新选择"
)


def _options(session: Session) -> dict[str, list[tuple[str, str]]]:
    """The choices of the form's lists: the agencies (by their place in the tree), the law's names."""
    agencies = session.exec(select(Agency).order_by(col(Agency.path), col(Agency.code)))
    return {
        "agency": [("", "请选择受理机关"), *((a.code, a.name) for a in agencies)],
        "applicant_type": [(t.value, name) for t, name in law.APPLICANT_TYPE_NAMES.items()],
        "id_type": [(t.value, name) for t, name in law.ID_TYPE_NAMES.items()],
        "kind": [(k.value, name) for k, name in law.REQUEST_KIND_NAMES.items()],
        "provision_form": [(f.value, name) for f, name in law.PROVISION_FORM_NAMES.items()],
    }


def _periods() -> dict[str, Any]:
    return application_status.online_periods(today())


def _page(
    request: Request,
    session: Session,
    status: int,
    *,
    form: dict[str, str],
    errors: dict[str, str],
    token: str,
    kept: list[PortalPendingUpload],
    **more: Any,
) -> HTMLResponse:
    return render(
        request,
        "apply.html",
        status,
        form=form,
        errors=errors,
        labels=LABELS,
        token=token,
        kept=[{"id": r.id, "kind": r.kind, "filename": r.filename, "size": size_text(r.size)} for r in kept],
        options=_options(session),
        periods=_periods(),
        accept=uploads.ACCEPT,
        allowed_text=uploads.ALLOWED_TEXT,
        max_file_mb=uploads.MAX_FILE_BYTES // uploads.MB,
        max_total_mb=uploads.MAX_TOTAL_BYTES // uploads.MB,
        max_attachments=uploads.MAX_ATTACHMENTS,
        max_body=MAX_BODY,
        **more,
    )


@router.get("/public/apply", name="page_public_apply")
def page_public_apply(request: Request, session: SessionDep) -> HTMLResponse:
    """The empty form, with a new token for the files it may keep."""
    return _page(request, session, 200, form={}, errors={}, token=uploads.new_token(), kept=[])


def _new_files(raw: FormData, errors: dict[str, str]) -> list[uploads.Checked]:
    """The files chosen now, each checked; a refused one's message goes beside its input."""
    found = []
    for kind, filename, data in chosen_files(raw):
        try:
            found.append(uploads.check(kind, filename, data))
        except FactsError as exc:
            for name, message in exc.errors:
                errors.setdefault(name, message)
    return found


def _apply(request: Request, session: Session, raw: FormData) -> Response:
    """Check everything; submit, or answer the form again keeping the files."""
    form = {k: v for k, v in raw.items() if isinstance(v, str) and k in (*FIELDS, "form_token")}
    fields = {k: v.strip() for k, v in form.items() if k in FIELDS and v.strip()}
    token = form.get("form_token", "")
    if not uploads.valid_token(token):
        token = uploads.new_token()
    errors: dict[str, str] = {}
    kept = uploads.pending_of(session, token)
    carried = {v for v in raw.getlist("kept") if isinstance(v, str)}
    if carried - {str(r.id) for r in kept}:
        errors["files"] = GONE
    removed = {v for v in raw.getlist("kept_remove") if isinstance(v, str)}
    new = _new_files(raw, errors)
    replaced = uploads.ID_SCAN in {f.kind for f in new}
    dropped = [r for r in kept if str(r.id) in removed or (replaced and r.kind == uploads.ID_SCAN)]
    kept = [r for r in kept if r not in dropped]
    files = [*uploads.pending_as_checked(session, kept), *new]
    try:
        uploads.check_all(files)
    except FactsError as exc:
        errors.update({k: v for k, v in exc.errors if k not in errors})
        new = []  # over the count or total: none of the new files is kept
    try:
        portal.check(session, fields)
    except FactsError as exc:
        errors.update({k: zh_error(v) for k, v in exc.errors if k not in errors})
    if not errors:
        try:
            done = portal.submit(
                session,
                fields,
                client_address=client_address(request),
                files=files,
                consumed=[*kept, *dropped],
            )
        except FactsError as exc:
            errors.update({k: zh_error(v) for k, v in exc.errors})
        else:
            response = render(request, "apply_done.html", 200, done=done, periods=_periods())
            response.headers["Referrer-Policy"] = "no-referrer"
            return response
    for row in dropped:
        session.delete(row)
    uploads.keep_pending(session, token, new)
    kept_now = uploads.pending_of(session, token)
    session.commit()
    return _page(request, session, 422, form=form, errors=errors, token=token, kept=kept_now)


@router.post("/public/apply", name="page_public_apply_submit")
async def page_public_apply_submit(request: Request, session: SessionDep) -> Response:
    """Submit the application (the form again, with the errors beside their fields, if refused)."""
    if cross_site_origin(request) is not None:  # no session to bind a token to: the Origin check
        raise HTTPException(403, "请从本系统的网上申请页面提交")
    await run_in_threadpool(check_submit, request)
    raw = await request.form(max_files=uploads.MAX_ATTACHMENTS + 2, max_fields=200)
    return await run_in_threadpool(_apply, request, session, raw)


def apply_too_large(request: Request) -> Response | None:
    """The form again (413) for a post over the body limit, else None: nothing was read or stored;
    the typed text comes back from the browser (the forms' script, ``data-restore``)."""
    if request.url.path != "/public/apply" or request.method != "POST":
        return None
    from caseflow.db import get_engine

    too_large = (
        f"上传的内容超过 {MAX_BODY // uploads.MB} MB 的上限，本次提交未被接收，申请未保存，文件也未上传。"
        f"每个文件不超过 {uploads.MAX_FILE_BYTES // uploads.MB} MB，请压缩或减少文件后重新选择；"
        "已填写的文字已尽量恢复，请核对。"
    )
    with Session(get_engine()) as session:
        return _page(
            request, session, 413, form={}, errors={}, token=uploads.new_token(), kept=[], too_large=too_large
        )


@router.get("/applications/{application_id}/files/{sha256}", name="page_application_file")
def page_application_file(
    application_id: Id, sha256: str, caller: Authorized, session: SessionDep
) -> Response:
    """A file of an online application to the clerk's agency: always downloaded, never shown."""
    row, data = portal.application_file(session, actor_of(caller), application_id, sha256)
    headers = disposition_headers(row.filename or f"{row.kind}-{row.sha256[:12]}") | {
        "X-Content-Type-Options": "nosniff"
    }
    return Response(data, media_type=row.media_type, headers=headers)
