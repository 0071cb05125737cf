"""JSON API v1: online applications (网上申请, issue 18): public submission and look-up, the clerks'
inbox, confirmation (Art. 31(3): registers the request) and return as not an application."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import API_ERRORS, Authorized, ErrorBody, Id, SessionDep, actor_of, authorize
from api.routes.misc import PUBLIC_LIMIT, RateLimit, client_address
from caseflow import queries
from caseflow.dates import today
from caseflow.portal import applications as portal
from caseflow.texts import Text

router = APIRouter(prefix="/api/v1", dependencies=[Depends(authorize)], responses=API_ERRORS)

#: Submissions per client address (per process, for now; issue 18 item 7 wants them shared).
SUBMIT_LIMIT = RateLimit(limit=10, window=3600.0)
_THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "Too many calls from this address"}
}


class Submitted(BaseModel):
    submission_no: str
    access_code: str = Field(description="Shown once; stored only as its hash")
    status: str


class ConfirmBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    late_confirmation_reason: Text = Field(
        default="",
        max_length=1000,
        description="Why the confirmation is later than the day the application arrived (Art. 31)",
    )


@router.post(
    "/public/applications",
    status_code=201,
    name="public_submit_application",
    tags=["public"],
    responses=_THROTTLED,
)
def submit_application(request: Request, session: SessionDep, form: portal.OnlineForm) -> Submitted:
    """Apply online, without an account: the Art. 29 content as for clerk intake (less channel and
    receipt details) plus ``agency``. It waits for a clerk's confirmation; keep the access code."""
    address = client_address(request)
    SUBMIT_LIMIT.check(address)
    done = portal.submit(session, form, client_address=address)
    return Submitted(submission_no=done.submission_no, access_code=done.access_code, status=done.status)


@router.get(
    "/public/applications/{submission_no}",
    name="public_application_status",
    tags=["public"],
    responses=_THROTTLED,
)
def application_status(
    request: Request,
    session: SessionDep,
    submission_no: str,
    code: Annotated[str, Query(min_length=1, max_length=40)],
) -> dict[str, Any]:
    """An online application's status with its access code; once confirmed its ``tracking_no``,
    ``query_code``, ``receipt_date``, ``reply_due`` and the letters issued. Nothing personal."""
    PUBLIC_LIMIT.check(client_address(request))
    found = portal.public_status(session, submission_no[:40], code)
    if found is None:
        raise HTTPException(404, "没有与该提交编号和查询码相符的网上申请")
    return found


@router.get("/applications", name="list_online_applications", tags=["applications"])
def list_applications(
    caller: Authorized,
    session: SessionDep,
    status: Annotated[str, Query(max_length=30)] = "pending",
) -> list[dict[str, Any]]:
    """The caller's agency's online applications (``pending``: awaiting confirmation), oldest first,
    with how long each has waited."""
    wanted = portal.AWAITING if status == "pending" else status
    return portal.inbox(session, actor_of(caller), wanted)


@router.post(
    "/applications/{application_id}/confirm",
    status_code=201,
    name="confirm_online_application",
    tags=["applications"],
)
def confirm_application(
    application_id: Id, caller: Authorized, session: SessionDep, body: ConfirmBody | None = None
) -> dict[str, Any]:
    """Confirm (Art. 31(3)): the request is registered, channel 网络, receipt date today; 201 with it."""
    reason = body.late_confirmation_reason if body else ""
    case = portal.confirm(session, actor_of(caller), application_id, late_confirmation_reason=reason)
    return queries.case_detail(session, case, today=today(), full_identity=False)


@router.post("/applications/{application_id}/return", name="return_online_application", tags=["applications"])
def return_application(
    application_id: Id, caller: Authorized, session: SessionDep, body: portal.ReturnForm
) -> dict[str, Any]:
    """Return it as not an application for government information (e.g. 信访 content), with reasons."""
    row = portal.return_application(session, actor_of(caller), application_id, body)
    return {"id": row.id, "submission_no": row.submission_no, "status": row.status, "reasons": body.reasons}
