"""The applicant's online supplement and withdrawal, and the clerk's side of them (issue 18 / D).

Applicant (no account; the page token is the proof of access, ``caseflow.portal.access``):
``POST /public/r/{token}/supplement`` (text + files, multipart) and ``POST /public/r/{token}/withdraw``
(reason); on success back to the request page (303), on a refusal the forms again with the errors
beside their fields and the typed values kept. Clerk (the case page's 申请人在线提交 section):
record (one action: ``receive_supplement`` / ``withdraw`` dated the day it arrived) or decline, and
the submitted files as attachment downloads.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from caseflow.api.deps import (
    Authorized,
    CurrentCase,
    Id,
    SessionDep,
    actor_of,
    authorize,
    check_csrf,
)
from caseflow.api.downloads import disposition_headers
from caseflow.api.ratelimits import check_submit, client_address
from caseflow.api.web.public_token import refuse_cross_site, to_token_page, token_page
from caseflow.api.web.rendering import error_page, render
from caseflow.errors import CaseflowError, FactsError, NotFound
from caseflow.evidence.store import DocumentStore
from caseflow.models import ApplicantSubmission
from caseflow.portal import followup_record, followups

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)
Token = Annotated[str, Path(max_length=400)]


def _page(
    request: Request, session: SessionDep, token: str, case: Any, status: int, **extra: Any
) -> HTMLResponse:
    """The applicant's forms again (after a refusal), with the errors beside their fields."""
    response = render(
        request,
        "applicant_followups.html",
        status,
        token=token,
        case=case,
        state_name=followups.state_name(case),
        **followups.applicant_view(session, case),
        **extra,
    )
    return token_page(response)


async def _submit(request: Request, session: SessionDep, token: str, kind: str) -> Response:
    refuse_cross_site(request, "申请")
    check_submit(request)  # counted per address and for everyone (caseflow.ratelimit), before any write
    case = followups.resolve(session, token)
    address = client_address(request)
    form = await request.form()
    text_field = "text" if kind == followups.SUPPLEMENT else "reason"
    value = form.get(text_field)
    text = value if isinstance(value, str) else ""
    files = [
        followups.File(item.filename or "", await item.read())
        for item in form.getlist("files")
        if isinstance(item, UploadFile) and (item.filename or item.size)
    ]
    try:
        await run_in_threadpool(
            lambda: followups.submit(session, case, kind, text, files, client_address=address)
        )
    except CaseflowError as exc:
        session.rollback()
        session.expire_all()
        errors = dict(exc.errors) if isinstance(exc, FactsError) else {"form": exc.message}
        return _page(
            request,
            session,
            token,
            case,
            422 if isinstance(exc, FactsError) else 409,
            followup_kind=kind,
            followup_errors=errors,
            followup_values={text_field: text},
        )
    return to_token_page(f"/public/r/{token}?sent={kind}")


@router.post("/public/r/{token}/supplement", name="page_applicant_supplement")
async def page_applicant_supplement(request: Request, session: SessionDep, token: Token) -> Response:
    """The applicant's online supplement (补正): text and files; waits for the clerk to record it."""
    return await _submit(request, session, token, followups.SUPPLEMENT)


@router.post("/public/r/{token}/withdraw", name="page_applicant_withdraw")
async def page_applicant_withdraw(request: Request, session: SessionDep, token: Token) -> Response:
    """The applicant asks to withdraw the request (with a reason); the office confirms it."""
    return await _submit(request, session, token, followups.WITHDRAWAL)


@router.post(
    "/cases/{case_id}/applicant-submissions/{submission_id}/record", name="page_applicant_submission_record"
)
async def page_applicant_submission_record(
    request: Request, case: CurrentCase, submission_id: Id, caller: Authorized, session: SessionDep
) -> Response:
    """登记收到补正 / 确认撤回: the one action recording the applicant's submission."""
    await check_csrf(request, caller)
    version = (await request.form()).get("expected_version")
    assert case.id is not None
    case_id = case.id
    await run_in_threadpool(  # a refusal: the error page (409), the submission still pending
        lambda: followup_record.record(
            session,
            actor_of(caller),
            case_id,
            submission_id,
            expected_version=int(version) if isinstance(version, str) and version.isdigit() else None,
        )
    )
    return RedirectResponse(f"/cases/{case_id}#applicant-submissions", 303)


@router.post(
    "/cases/{case_id}/applicant-submissions/{submission_id}/decline", name="page_applicant_submission_decline"
)
async def page_applicant_submission_decline(
    request: Request,
    case: CurrentCase,
    submission_id: Id,
    caller: Authorized,
    session: SessionDep,
    note: Annotated[str, Form()] = "",
) -> Response:
    """Decline the applicant's submission (e.g. spam), with a note the applicant sees."""
    await check_csrf(request, caller)
    assert case.id is not None
    try:
        followup_record.decline(session, actor_of(caller), case.id, submission_id, note)
    except FactsError as exc:
        return error_page(request, 422, "未处理：" + "；".join(m for _, m in exc.errors), exc.code)
    return RedirectResponse(f"/cases/{case.id}#applicant-submissions", 303)


@router.get(
    "/cases/{case_id}/applicant-submissions/{submission_id}/files/{sha256}",
    name="page_applicant_submission_file",
)
def page_applicant_submission_file(
    case: CurrentCase,
    submission_id: Id,
    sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$")],
    session: SessionDep,
) -> Response:
    """A file the applicant submitted: always downloaded (attachment, nosniff), never shown inline."""
    row = session.get(ApplicantSubmission, submission_id)
    found = (
        next((f for f in row.files if f.get("sha256") == sha256), None)
        if row and row.case_id == case.id
        else None
    )
    if found is None:
        raise NotFound("没有这份文件")
    data = DocumentStore().read(sha256, session)
    headers = disposition_headers(
        str(found["filename"]), inline=False, fallback=f"submission-{submission_id}"
    )
    headers.update({"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store, private"})
    return Response(data, media_type="application/octet-stream", headers=headers)
