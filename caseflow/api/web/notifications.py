"""The notifications page: a user's reminders, escalations and digests, marked read here."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caseflow import notifications
from caseflow.api.deps import Authorized, SessionDep, authorize, check_csrf
from caseflow.api.web.rendering import render
from caseflow.dates import now

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)


@router.get("/notifications", name="page_notifications")
def page_notifications(request: Request, caller: Authorized, session: SessionDep) -> HTMLResponse:
    assert caller.user is not None and caller.user.id is not None
    rows = notifications.list_for(session, caller.user.id)
    return render(request, "notifications.html", items=[notifications.as_json(r) for r in rows])


@router.post("/notifications/read", name="page_notifications_read")
async def page_notifications_read(request: Request, caller: Authorized, session: SessionDep) -> Response:
    """Mark one notification (field ``id``) or, without it, all of them read."""
    await check_csrf(request, caller)
    assert caller.user is not None and caller.user.id is not None
    value = (await request.form()).get("id")
    target = int(value) if isinstance(value, str) and value.isdigit() and len(value) < 12 else None
    notifications.mark_read(session, caller.user.id, now(), target)
    return RedirectResponse("/notifications", 303)
