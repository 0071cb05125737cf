"""Pages for reviewers, supervisors and auditors, and the applicant's public status page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import Authorized, SessionDep, actor_of, authorize, check_csrf, cross_site_origin
from api.web.pages import render
from caseflow import notifications, queries
from caseflow.cases import disclosure_review
from caseflow.dates import today
from caseflow.models import Case
from caseflow.reports import lock as report_lock
from caseflow.states.machine import OPEN_STATES, State

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)


@router.get("/review", name="page_review")
def page_review(request: Request, caller: Authorized, session: SessionDep) -> HTMLResponse:
    actor = actor_of(caller)
    _, drafts = queries.list_cases(
        session, actor, queries.CaseFilter(state=State.LEGAL_REVIEW.value), today=today(), size=200
    )
    _, everything = queries.list_cases(session, actor, queries.CaseFilter(), today=today(), size=200)
    open_states = {s.value for s in OPEN_STATES}
    complex_cases = [r for r in everything if r["complex"] and r["state"] in open_states]
    # Art. 17: disclosing drafts awaiting the review before disclosure that this reviewer may give.
    _, ready = queries.list_cases(
        session, actor, queries.CaseFilter(state=State.READY.value), today=today(), size=200
    )
    to_review = [
        r
        for r in ready
        if (case := session.get(Case, r["id"])) is not None
        and disclosure_review.may_review(session, actor, case)
    ]
    return render(
        request, "review.html", drafts=drafts, complex_cases=complex_cases, disclosure_reviews=to_review
    )


@router.get("/dashboard", name="page_dashboard")
def page_dashboard(request: Request, caller: Authorized, session: SessionDep) -> HTMLResponse:
    actor = actor_of(caller)
    data = queries.dashboard(session, actor, today=today())
    _, overdue = queries.list_cases(session, actor, queries.CaseFilter(overdue=True), today=today(), size=100)
    _, soon = queries.list_cases(session, actor, queries.CaseFilter(due_within=3), today=today(), size=100)
    jobs = notifications.job_status(session, actor)
    changed = report_lock.changed_locks(session, actor)
    return render(
        request, "dashboard.html", data=data, overdue=overdue, soon=soon, jobs=jobs, changed_reports=changed
    )


@router.get("/search", name="page_search")
def page_search(
    request: Request,
    caller: Authorized,
    session: SessionDep,
    q: str = "",
    agency: str = "",
    state: str = "",
    outcome: str = "",
    received_from: str = "",
    received_to: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    def day(value: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(value) if value else None
        except ValueError:
            return None

    flt = queries.CaseFilter(
        q=q or None,
        agency=agency or None,
        state=state or None,
        outcome=outcome or None,
        received_from=day(received_from),
        received_to=day(received_to),
    )
    total, rows = queries.list_cases(
        session, actor_of(caller), flt, today=today(), page=max(page, 1), size=50
    )
    return render(
        request,
        "search.html",
        rows=rows,
        total=total,
        page=page,
        params={
            "q": q,
            "agency": agency,
            "state": state,
            "outcome": outcome,
            "received_from": received_from,
            "received_to": received_to,
        },
    )


@router.post("/search/verify", name="page_verify")
async def page_verify(request: Request, caller: Authorized, session: SessionDep) -> HTMLResponse:
    from caseflow.evidence.chain import verify_all

    await check_csrf(request, caller)
    checked, problem = verify_all(session)
    return render(request, "verify.html", checked=checked, problem=str(problem) if problem else None)


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
    from api.routes.misc import PUBLIC_LIMIT

    found = None
    if tracking_no or code:
        PUBLIC_LIMIT.check(request.client.host if request.client else "?")
        found = queries.public_status(session, tracking_no.strip()[:60], code.strip()[:20])
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
    return render(
        request, "verify.html", checked=summary.cases, problem=None, summary=summary, key_id=key_id
    )
