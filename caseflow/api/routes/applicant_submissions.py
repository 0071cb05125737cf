"""JSON API v1: the applicant's online supplements and withdrawals waiting for the clerk (issue 18 / D).

- ``GET /api/v1/requests/{id}/applicant-submissions``: the request's pending submissions;
- ``POST /api/v1/requests/{id}/applicant-submissions/{sid}/record``: the one action recording it
  (``receive_supplement`` / ``withdraw``, dated the day it arrived) → the request's detail;
- ``POST /api/v1/requests/{id}/applicant-submissions/{sid}/decline`` with a ``note`` the applicant sees.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from caseflow import queries
from caseflow.api.deps import API_ERRORS, Authorized, CurrentCase, Id, SessionDep, actor_of, authorize
from caseflow.dates import today
from caseflow.portal import followup_record
from caseflow.portal.followups import as_dict

router = APIRouter(
    prefix="/api/v1", tags=["requests"], dependencies=[Depends(authorize)], responses=API_ERRORS
)


class RecordBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expected_version: int | None = Field(default=None, description="The version you saw (stale: 409)")


class DeclineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(max_length=2000, description="Why it is not recorded (the applicant sees it)")


@router.get("/requests/{case_id}/applicant-submissions", name="list_applicant_submissions")
def list_applicant_submissions(
    case: CurrentCase, caller: Authorized, session: SessionDep
) -> list[dict[str, Any]]:
    """The applicant's online supplements and withdrawals waiting to be recorded or declined."""
    assert case.id is not None
    return followup_record.pending(session, actor_of(caller), case.id)


@router.post(
    "/requests/{case_id}/applicant-submissions/{submission_id}/record", name="record_applicant_submission"
)
def record_applicant_submission(
    case: CurrentCase,
    submission_id: Id,
    caller: Authorized,
    session: SessionDep,
    body: RecordBody | None = None,
) -> dict[str, Any]:
    """Record it with one action: 200 with the request; 409 when the request does not allow the
    action now or the submission was decided already (it stays as it was); 403 not a clerk."""
    assert case.id is not None
    updated = followup_record.record(
        session,
        actor_of(caller),
        case.id,
        submission_id,
        expected_version=body.expected_version if body else None,
    )
    return queries.case_detail(session, updated, today=today(), full_identity=False)


@router.post(
    "/requests/{case_id}/applicant-submissions/{submission_id}/decline", name="decline_applicant_submission"
)
def decline_applicant_submission(
    case: CurrentCase, submission_id: Id, body: DeclineBody, caller: Authorized, session: SessionDep
) -> dict[str, Any]:
    """Decline it (e.g. spam) with a note the applicant sees: the request is unchanged; 422 no note."""
    assert case.id is not None
    row = followup_record.decline(session, actor_of(caller), case.id, submission_id, body.note)
    return as_dict(row)
