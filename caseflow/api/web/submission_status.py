"""The applicant's page of an online application (issue 18 / H), before and after confirmation.

``/public/applications``: the look-up form (submission number + access code, posted: the code never
travels in a URL). A match redirects (303) to ``/public/applications/view/{token}``, a link signed for
the look-up's working time (``caseflow.portal.access.sign_submission_link``); anything else, an unknown
number or a wrong code alike, answers the form again with the same words. Look-ups are counted and
slowed by the shared limits exactly as the JSON route counts them (``caseflow.api.ratelimits``).

The page says in plain words where the application stands:

- 待确认: what happens next; the receipt date will be the day of confirmation (Art. 31(3));
- 已确认受理: the tracking number, query code (needed for later look-ups: the applicant proved the
  access code), receipt date, reply due, and a link to the request's page (``/public/r/{token}``);
- 已退回: the reasons and the return notice (``/public/applications/view/{token}/return-notice``,
  always an attachment, under the same token: no code in the URL).

Pages whose URL carries a token send ``Referrer-Policy: no-referrer`` and ``Cache-Control: no-store``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from caseflow.api.deps import SessionDep, authorize
from caseflow.api.downloads import disposition_headers
from caseflow.api.ratelimits import check_lookup, looked_up
from caseflow.api.web.public_token import (
    TOKEN_HEADERS,
    link_refusal_status,
    refuse_cross_site,
    to_token_page,
    token_page,
)
from caseflow.api.web.rendering import render
from caseflow.dates import SHANGHAI, legal_date, now
from caseflow.models import Agency, OnlineApplication
from caseflow.portal import access, application_status, inbox_rules, return_notice
from caseflow.portal import applications as portal

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)

NOT_FOUND = "未找到：请核对提交编号和访问码（访问码在提交成功的页面上显示）。"
CHANGED = "链接无效，请使用提交编号和访问码重新查询"
MAX_NUMBER = 40


def _lookup_form(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    """The look-up form (with why a look-up found nothing, or why a link does not work)."""
    context.setdefault("submission_no", "")
    context.setdefault("problem", None)
    return token_page(render(request, "submission_lookup.html", status, **context))


@router.get("/public/applications", name="page_submission_lookup")
def page_submission_lookup(
    request: Request, no: Annotated[str, Query(max_length=MAX_NUMBER)] = ""
) -> HTMLResponse:
    """The look-up form (the number may be filled in by a link; nothing about any application)."""
    return _lookup_form(request, submission_no=no.strip())


@router.post("/public/applications", name="page_submission_lookup_submit")
def page_submission_lookup_submit(
    request: Request,
    session: SessionDep,
    submission_no: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    """The look-up, posted: a match goes to the application's page (a signed short-lived link)."""
    refuse_cross_site(request)  # as for the request look-up (caseflow.api.web.public_token)
    number = submission_no.strip().upper()[:MAX_NUMBER]
    check_lookup(request, number)
    row = looked_up(request, number, application_status.public_row(session, number, code[:MAX_NUMBER]))
    if row is None:
        return _lookup_form(request, submission_no=number, problem=NOT_FOUND)
    token = access.sign_submission_link(row.submission_no, row.access_code_hash)
    return to_token_page(f"/public/applications/view/{token}")


def _opened(request: Request, session: Session, token: str) -> OnlineApplication | HTMLResponse:
    """The application a link names, or the form saying why the link does not work."""
    try:
        number, tag = access.open_submission_link(token)
    except access.LinkError as exc:
        return _lookup_form(request, link_refusal_status(exc), problem=str(exc))
    row = application_status.by_number(session, number)
    if row is None or not access.submission_code_matches(tag, row.access_code_hash):
        return _lookup_form(request, 403, problem=CHANGED)
    return row


def _context(session: Session, row: OnlineApplication, token: str) -> dict[str, Any]:
    view = application_status.public_view(session, row)
    agency = session.get(Agency, row.agency_id)
    submitted = row.submitted_at.astimezone(SHANGHAI)
    context: dict[str, Any] = {
        "view": view,
        "token": token,
        "agency_name": agency.name if agency else view.get("agency", ""),
        "submitted_at": submitted,
        "decided_on": legal_date(row.decided_at) if row.decided_at else None,
        "periods": application_status.online_periods(legal_date(row.submitted_at)),
        "confirmed": row.status == portal.CONFIRMED,
        "returned": row.status == portal.RETURNED,
        "awaiting": row.status == portal.AWAITING,
        "link_hours": access.LOOKUP_LINK_SECONDS // 3600,
    }
    if row.status == portal.AWAITING:
        waited = inbox_rules.waiting(row.submitted_at, now())
        context.update(confirm_by=waited.confirm_by, overdue=waited.overdue)
    for key in ("receipt_date", "reply_due"):
        if view.get(key):
            context[key] = dt.date.fromisoformat(view[key])
    return context


@router.get("/public/applications/view/{token}", name="page_submission_status")
def page_submission_status(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    """The application's page: where it stands, and what comes next."""
    check_lookup(request, None)  # a signed link cannot be a guess: counted only
    row = _opened(request, session, token)
    if isinstance(row, HTMLResponse):
        return row
    return token_page(render(request, "submission_status.html", **_context(session, row, token)))


@router.get("/public/applications/view/{token}/return-notice", name="page_submission_return_notice")
def page_submission_return_notice(request: Request, session: SessionDep, token: str) -> Response:
    """The return notice of a returned application: always an attachment, never shown inline."""
    check_lookup(request, None)
    row = _opened(request, session, token)
    if isinstance(row, HTMLResponse):
        return row
    if row.status != portal.RETURNED or not row.return_notice_sha256:
        return _lookup_form(request, 404, problem="该网上申请没有退回告知书")
    data = return_notice.read(row, session)
    headers = disposition_headers(f"退回告知书-{row.submission_no}.html", inline=False)
    headers.update(TOKEN_HEADERS)
    headers["X-Content-Type-Options"] = "nosniff"
    return Response(data, media_type=return_notice.MEDIA_TYPE, headers=headers)
