"""Evidence checks from the pages: every request as a background job (/verify), or one request from
its own page. The work is ``caseflow.evidence.verify_jobs``; these routes start it and show it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caseflow.api.deps import Authorized, CurrentCase, SessionDep, authorize, check_csrf
from caseflow.api.web.case_page import _workspace
from caseflow.api.web.rendering import render
from caseflow.db import get_engine
from caseflow.evidence import verify_jobs
from caseflow.models import User, VerifyJob

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)


#: Seconds between two looks at a running job (the browser reloads the page: HTTP ``Refresh``).
REFRESH_SECONDS = 2


def _starter(session: SessionDep, job: VerifyJob | None) -> str:
    user = session.get(User, job.started_by) if job is not None else None
    return user.display_name if user is not None else ""


@router.get("/verify", name="page_verify_jobs")
def page_verify_jobs(request: Request, caller: Authorized, session: SessionDep) -> HTMLResponse:
    """The latest check of every request: its progress while it runs, its problems when done."""
    job = verify_jobs.latest(get_engine())
    response = render(
        request,
        "verify_jobs.html",
        job=job,
        starter=_starter(session, job),
        status_names=verify_jobs.STATUS_NAMES,
        started=request.query_params.get("started"),
        refresh=REFRESH_SECONDS,
    )
    if job is not None and job.status == "running":
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@router.post("/verify", name="page_verify_start")
async def page_verify_start(request: Request, caller: Authorized, session: SessionDep) -> Response:
    """Start checking every request (or show the check already running)."""
    await check_csrf(request, caller)
    return start_job(session, caller)


def start_job(session: SessionDep, caller: Authorized) -> Response:
    """Start the check of every request (or find the running one) and show it on /verify."""
    assert caller.user is not None and caller.user.id is not None
    job, started = verify_jobs.start(get_engine(), caller.user.id)
    assert job.id is not None
    if started:
        verify_jobs.launch(get_engine(), job.id)
    return RedirectResponse(f"/verify?started={'new' if started else 'running'}", status_code=303)


@router.post("/verify/{job_id}/resume", name="page_verify_resume")
async def page_verify_resume(
    request: Request, job_id: int, caller: Authorized, session: SessionDep
) -> Response:
    """Continue an interrupted check from the request after the last one it checked."""
    await check_csrf(request, caller)
    job, resumed = verify_jobs.resume(get_engine(), job_id)
    if resumed and job is not None and job.id is not None:
        verify_jobs.launch(get_engine(), job.id)
    return RedirectResponse(f"/verify?started={'resumed' if resumed else 'running'}", status_code=303)


@router.post("/cases/{case_id}/verify", name="page_case_verify")
async def page_case_verify(
    request: Request, case: CurrentCase, caller: Authorized, session: SessionDep
) -> HTMLResponse:
    """Check this request's evidence (chain, record, files, letters) and show the result on its page."""
    await check_csrf(request, caller)
    tracking_no = case.tracking_no
    result = await run_in_threadpool(verify_jobs.check_request, get_engine(), tracking_no)
    return _workspace(request, session, case, caller, verification=result)
