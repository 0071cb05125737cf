"""JSON API v1: the caller's notifications, and the scheduled jobs' latest runs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from caseflow import notifications
from caseflow.api.deps import API_ERRORS, Authorized, Id, SessionDep, actor_of, authorize
from caseflow.dates import now
from caseflow.scheduled import status

router = APIRouter(
    prefix="/api/v1", tags=["notifications"], dependencies=[Depends(authorize)], responses=API_ERRORS
)


@router.get("/notifications", name="list_notifications")
def list_notifications(caller: Authorized, session: SessionDep, unread: bool = False) -> dict[str, Any]:
    """The caller's reminders, escalations and digests, newest first (at most 100)."""
    assert caller.user is not None and caller.user.id is not None
    rows = notifications.list_for(session, caller.user.id, unread_only=unread)
    return {
        "unread": notifications.unread_count(session, caller.user.id),
        "items": [notifications.as_json(r) for r in rows],
    }


@router.post("/notifications/{notification_id}/read", name="read_notification")
def read_notification(notification_id: Id, caller: Authorized, session: SessionDep) -> dict[str, int]:
    """Mark one of the caller's notifications read (another user's is not found)."""
    assert caller.user is not None and caller.user.id is not None
    return {"marked": notifications.mark_read(session, caller.user.id, now(), notification_id)}


@router.post("/notifications/read-all", name="read_all_notifications")
def read_all_notifications(caller: Authorized, session: SessionDep) -> dict[str, int]:
    assert caller.user is not None and caller.user.id is not None
    return {"marked": notifications.mark_read(session, caller.user.id, now())}


@router.get("/jobs", name="job_status", tags=["supervision"])
def job_status(caller: Authorized, session: SessionDep) -> list[dict[str, Any]]:
    """The latest run of each scheduled job, with the caller's requests it had to skip."""
    return status.job_status(session, actor_of(caller))
