"""The clerks' inbox of online applications (issue 18 / B): pending ones oldest first with how long
each has waited, confirm (registers the request, Art. 31(3)) or return with reasons (a return notice
for the applicant); tabs for those confirmed and returned. And the applicant's download of a return
notice (public, with the access code)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from caseflow.api.deps import Authorized, Id, SessionDep, actor_of, authorize, check_csrf
from caseflow.api.downloads import disposition_headers
from caseflow.api.ratelimits import check_lookup, looked_up
from caseflow.api.web.forms import zh_error
from caseflow.api.web.rendering import render
from caseflow.cases.actor import Actor
from caseflow.dates import now
from caseflow.errors import FactsError
from caseflow.models import OnlineApplication
from caseflow.portal import application_status, inbox_rules, return_notice
from caseflow.portal import applications as portal

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)

TABS = {"pending": portal.AWAITING, "confirmed": portal.CONFIRMED, "returned": portal.RETURNED}
TAB_NAMES = {"pending": "待确认", "confirmed": "已确认受理", "returned": "已退回"}
OTHER_MAX = 1000


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    tab: str,
    *,
    status: int = 200,
    errors: dict[int, dict[str, str]] | None = None,
    typed: dict[int, dict[str, Any]] | None = None,
) -> HTMLResponse:
    items = portal.inbox(session, actor, TABS[tab])
    moment = now()
    for item in items:
        submitted = dt.datetime.fromisoformat(item["submitted_at"])
        item["needs_reason"], item["confirm_hint"] = inbox_rules.confirm_hint(submitted, moment)
    return render(
        request,
        "inbox.html",
        status,
        tab=tab,
        tabs=TAB_NAMES,
        items=items,
        pending=portal.pending_count(session, actor.agency_id),
        closes=f"{inbox_rules.OFFICE_CLOSES:%H:%M}",
        reasons=return_notice.STANDARD_REASONS,
        errors=errors or {},
        typed=typed or {},
    )


@router.get("/applications", name="page_inbox")
def page_inbox(
    request: Request,
    caller: Authorized,
    session: SessionDep,
    tab: Annotated[str, Query(max_length=20)] = "pending",
) -> HTMLResponse:
    return _page(request, session, actor_of(caller), tab if tab in TABS else "pending")


async def _posted(request: Request, caller: Authorized) -> tuple[dict[str, list[str]], Actor]:
    """A clerk's post (its CSRF token checked): the form's text values by name, and the actor."""
    await check_csrf(request, caller)
    raw = await request.form()
    out: dict[str, list[str]] = {}
    for key, value in raw.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out, actor_of(caller)


def _text(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()[:OTHER_MAX]


def _refused(
    request: Request,
    session: Session,
    actor: Actor,
    application_id: int,
    errors: dict[str, str],
    typed: dict[str, Any],
) -> HTMLResponse:
    """The pending tab again (422), the errors and typed values beside the application."""
    return _page(
        request,
        session,
        actor,
        "pending",
        status=422,
        errors={application_id: errors},
        typed={application_id: typed},
    )


@router.post("/applications/{application_id}/confirm", name="page_inbox_confirm")
async def page_inbox_confirm(
    request: Request, application_id: Id, caller: Authorized, session: SessionDep
) -> Response:
    """Confirm: the request is registered (receipt date today); on to its page."""
    form, actor = await _posted(request, caller)
    reason = _text(form, "late_confirmation_reason")

    def confirm() -> Response:
        try:
            case = portal.confirm(session, actor, application_id, late_confirmation_reason=reason)
        except FactsError as exc:
            errors = {k: zh_error(v) for k, v in exc.errors}
            return _refused(
                request, session, actor, application_id, errors, {"late_confirmation_reason": reason}
            )
        return RedirectResponse(f"/cases/{case.id}", 303)

    return await run_in_threadpool(confirm)


@router.post("/applications/{application_id}/return", name="page_inbox_return")
async def page_inbox_return(
    request: Request, application_id: Id, caller: Authorized, session: SessionDep
) -> Response:
    """Return as not an application: the standard reasons ticked and the clerk's own words."""
    form, actor = await _posted(request, caller)
    codes = [c for c in form.get("reason", []) if c in return_notice.BY_CODE]
    other = _text(form, "other")
    reasons = [return_notice.BY_CODE[c].text for c in codes] + ([other] if other else [])

    def give_back() -> Response:
        typed = {"reason": codes, "other": other}
        if not reasons:
            errors = {"reasons": "请至少选择一项退回理由，或者在“其他理由”中写明"}
            return _refused(request, session, actor, application_id, errors, typed)
        try:
            portal.return_application(session, actor, application_id, {"reasons": reasons})
        except FactsError as exc:
            errors = {k.split(".")[0]: zh_error(v) for k, v in exc.errors}
            return _refused(request, session, actor, application_id, errors, typed)
        return RedirectResponse("/applications?tab=returned", 303)

    return await run_in_threadpool(give_back)


@router.get("/public/applications/{submission_no}/return-notice", name="public_return_notice")
def public_return_notice(
    request: Request,
    session: SessionDep,
    submission_no: str,
    code: Annotated[str, Query(min_length=1, max_length=40)],
) -> Response:
    """The return notice of a returned online application, to the applicant with the access code
    (the same check and the same 404 as the status look-up); always an attachment."""
    check_lookup(request, submission_no[:40])  # counted; refused after too many failures (F)
    found = looked_up(
        request, submission_no[:40], application_status.public_status(session, submission_no[:40], code)
    )
    row = None
    if found is not None and found.get("return_notice"):
        where = col(OnlineApplication.submission_no) == found["submission_no"]
        row = session.exec(select(OnlineApplication).where(where)).one()
    if row is None:
        raise HTTPException(404, "没有与该提交编号和查询码相符的退回告知书")
    data = return_notice.read(row, session)
    headers = disposition_headers(f"退回告知书-{row.submission_no}.html", inline=False)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    return Response(data, media_type=return_notice.MEDIA_TYPE, headers=headers)
