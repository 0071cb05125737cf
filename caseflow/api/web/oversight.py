"""Pages for reviewers, supervisors and auditors, and the applicant's public status page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from caseflow import queries
from caseflow.api.deps import Authorized, SessionDep, actor_of, authorize, check_csrf, cross_site_origin
from caseflow.api.web import cards, listing
from caseflow.api.web.rendering import render
from caseflow.cases import disclosure_review
from caseflow.dates import today
from caseflow.models import Case
from caseflow.reports import lock as report_lock
from caseflow.scheduled.status import job_status
from caseflow.states.machine import State

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)


@router.get("/review", name="page_review")
def page_review(
    request: Request,
    caller: Authorized,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = listing.DEFAULT_SIZE,
    cpage: Annotated[int, Query(ge=1, le=100_000)] = 1,
    csize: Annotated[int, Query(ge=1, le=100)] = listing.DEFAULT_SIZE,
    rpage: Annotated[int, Query(ge=1, le=100_000)] = 1,
    rsize: Annotated[int, Query(ge=1, le=100)] = listing.DEFAULT_SIZE,
) -> HTMLResponse:
    """The reviewer's queue: drafts awaiting legal review, open complex requests, and disclosing
    drafts awaiting the review before disclosure; each list in the lists' order, paged."""
    actor = actor_of(caller)
    drafts, drafts_pager = listing.page_of(
        request, session, actor, queries.CaseFilter(state=State.LEGAL_REVIEW.value), page=page, size=size
    )
    complex_cases, complex_pager = listing.page_of(
        request,
        session,
        actor,
        queries.CaseFilter(open_only=True, complex_only=True),
        page=cpage,
        size=csize,
        param="cpage",
        size_param="csize",
    )
    # Art. 17: disclosing drafts awaiting the review before disclosure that this reviewer may give
    # (whether one may is decided per request, so this list is filtered after the query).
    _, ready = queries.list_cases(
        session, actor, queries.CaseFilter(state=State.READY.value), today=today(), size=1000
    )
    to_review = [
        r
        for r in ready
        if (case := session.get(Case, r["id"])) is not None
        and disclosure_review.may_review(session, actor, case)
    ]
    rsize = listing.page_size(rsize)
    rpage = listing.last_page(rpage, len(to_review), rsize)
    shown = to_review[(rpage - 1) * rsize : rpage * rsize]
    review_pager = listing.pager_for(
        request,
        total=len(to_review),
        page=rpage,
        size=rsize,
        shown=len(shown),
        param="rpage",
        size_param="rsize",
    )
    return render(
        request,
        "review.html",
        drafts=drafts,
        drafts_pager=drafts_pager,
        complex_cases=complex_cases,
        complex_pager=complex_pager,
        disclosure_reviews=shown,
        disclosure_pager=review_pager,
    )


@router.get("/dashboard", name="page_dashboard")
def page_dashboard(
    request: Request,
    caller: Authorized,
    session: SessionDep,
    opage: Annotated[int, Query(ge=1, le=100_000)] = 1,
    osize: Annotated[int, Query(ge=1, le=100)] = 20,
    spage: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ssize: Annotated[int, Query(ge=1, le=100)] = 20,
) -> HTMLResponse:
    actor = actor_of(caller)
    data = queries.dashboard(session, actor, today=today())
    # The tables: each in the lists' order (most overdue first), paged with its own links.
    overdue, overdue_pager = listing.page_of(
        request,
        session,
        actor,
        queries.CaseFilter(overdue=True),
        page=opage,
        size=osize,
        param="opage",
        size_param="osize",
    )
    soon, soon_pager = listing.page_of(
        request,
        session,
        actor,
        queries.CaseFilter(due_within=queries.DUE_SOON_DAYS),
        page=spage,
        size=ssize,
        param="spage",
        size_param="ssize",
    )
    jobs = job_status(session, actor)
    changed = report_lock.changed_locks(session, actor)
    return render(
        request,
        "dashboard.html",
        data=data,
        overdue=overdue,
        overdue_pager=overdue_pager,
        soon=soon,
        soon_pager=soon_pager,
        jobs=jobs,
        changed_reports=changed,
        cards=cards.CARDS,
        card_link=cards.card_link,
    )


@router.get("/search", name="page_search")
def page_search(
    request: Request,
    caller: Authorized,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    agency: Annotated[str, Query(max_length=40)] = "",
    state: Annotated[str, Query(max_length=30)] = "",
    outcome: Annotated[str, Query(max_length=40)] = "",
    due: listing.Due = "",
    overdue: bool | None = None,
    received_from: str = "",
    received_to: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = listing.DEFAULT_SIZE,
) -> HTMLResponse:
    def day(value: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(value) if value else None
        except ValueError:
            return None

    actor = actor_of(caller)
    flt = queries.CaseFilter(
        q=q.strip() or None,
        agency=agency or None,
        state=state or None,
        outcome=outcome or None,
        received_from=day(received_from),
        received_to=day(received_to),
        **listing.deadline_filter(due, overdue),
    )
    rows, pager = listing.page_of(request, session, actor, flt, page=page, size=size)
    return render(
        request,
        "search.html",
        rows=rows,
        pager=pager,
        total=pager.total,
        agencies=queries.agency_choices(session, actor),
        due_choices=listing.DUE_CHOICES,
        params={
            "q": q,
            "agency": agency,
            "state": state,
            "outcome": outcome,
            "due": "overdue" if overdue and not due else due,
            "received_from": received_from,
            "received_to": received_to,
        },
    )


@router.post("/search/verify", name="page_verify")
async def page_verify(request: Request, caller: Authorized, session: SessionDep) -> Response:
    """Checking every request is a background job (never inside one web request): start it."""
    from caseflow.api.web.verify import start_job

    await check_csrf(request, caller)
    return start_job(session, caller)


@router.get("/public/status", name="page_public_status")
def page_public_status(
    request: Request, session: SessionDep, tracking_no: str = "", code: str = ""
) -> HTMLResponse:
    """The look-up form. (A look-up by query string still answers, for links made before the form
    was posted; the access log never shows query strings.)"""
    return _public_status(request, session, tracking_no, code)


@router.post("/public/status", name="page_public_status_lookup")
def page_public_status_lookup(
    request: Request,
    session: SessionDep,
    tracking_no: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The look-up, posted: the query code travels in the body, never in a URL or a log."""
    if cross_site_origin(request) is not None:  # no session to bind a token to: the Origin check
        raise HTTPException(403, "请从本系统的查询页面提交")
    return _public_status(request, session, tracking_no, code)


def _public_status(request: Request, session: SessionDep, tracking_no: str, code: str) -> HTMLResponse:
    from caseflow.api.ratelimits import check_lookup, looked_up

    found = None
    if tracking_no or code:
        number = tracking_no.strip()[:60]
        check_lookup(request, number)
        found = looked_up(request, number, queries.public_status(session, number, code.strip()[:20]))
        if found is not None:  # the richer page (issue 18 / C): letters, what is awaited, a signed link
            from caseflow.portal.request_view import request_link

            found["request_link"] = request_link(session, number, code)
    return render(
        request, "public_status.html", tracking_no=tracking_no, found=found, asked=bool(tracking_no or code)
    )


@router.post("/search/verify-package", name="page_verify_package")
async def page_verify_package(request: Request, caller: Authorized) -> HTMLResponse:
    """Verify an uploaded evidence package, as `caseflow evidence verify` does, offline."""
    import tempfile
    from pathlib import Path

    from caseflow.evidence.keys import installation_public_pem
    from caseflow.evidence.trust import UntrustedSigner, verify_trusted
    from caseflow.evidence.verify import PackageProblem

    await check_csrf(request, caller)
    form = await request.form()
    upload = form.get("package")
    if upload is None or isinstance(upload, str):
        return render(
            request, "verify.html", 422, checked=0, problem="请选择要校验的证据包（.zip）", summary=None
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "package.zip"
        path.write_bytes(await upload.read())
        try:  # trusted by this installation's key only, never by the key the package carries
            summary, key_id = verify_trusted(path, installation_public_pem())
        except UntrustedSigner as exc:
            return render(request, "verify.html", checked=0, problem=str(exc), summary=None)
        except PackageProblem as exc:
            return render(request, "verify.html", checked=0, problem=f"证据包校验未通过：{exc}", summary=None)
    return render(request, "verify.html", checked=summary.cases, problem=None, summary=summary, key_id=key_id)
