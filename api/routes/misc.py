"""JSON API v1: sign-in tokens, the dashboard, the applicant's public status (rate-limited)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request

from api.deps import API_ERRORS, Authorized, ErrorBody, SessionDep, actor_of, authorize
from caseflow import queries
from caseflow.dates import today
from caseflow.sessions import THROTTLE, issue_token, revoke, sign_in

router = APIRouter(prefix="/api/v1", dependencies=[Depends(authorize)], responses=API_ERRORS)


@router.post("/auth/token", name="auth_token", tags=["auth"])
async def auth_token(
    username: Annotated[str, Form(min_length=1, max_length=80)],
    password: Annotated[str, Form(min_length=1, max_length=200)],
    session: SessionDep,
) -> dict[str, str]:
    """Exchange a user name and password for an opaque bearer token (stored hashed, revocable)."""
    await asyncio.sleep(THROTTLE.delay(username))
    user = sign_in(session, username, password)
    if user is None:
        raise HTTPException(401, "wrong user name or password", {"WWW-Authenticate": "Bearer"})
    return {"access_token": issue_token(session, user, "api"), "token_type": "bearer"}


@router.delete("/auth/token", name="revoke_token", tags=["auth"], status_code=204)
def revoke_token(caller: Authorized, session: SessionDep) -> None:
    """Revoke the token this call was made with."""
    if caller.token is not None:
        revoke(session, caller.token)


@router.get("/dashboard", name="dashboard", tags=["supervision"])
def dashboard(caller: Authorized, session: SessionDep) -> dict[str, Any]:
    """Overdue, due soon, waiting, by state, handler and agency, open requests by working days left."""
    from caseflow.reports.lock import changed_locks

    actor = actor_of(caller)
    # finalized annual reports whose figures have changed since (the period lock)
    board = queries.dashboard(session, actor, today=today())
    return {**board, "changed_reports": changed_locks(session, actor)}


class RateLimit:
    """At most ``limit`` calls per ``window`` seconds per client address (per process)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        moment = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(client, deque())
            while calls and moment - calls[0] > self.window:
                calls.popleft()
            if len(calls) >= self.limit:
                raise HTTPException(
                    429,
                    "too many status queries; try again in a minute",
                    {"Retry-After": str(int(self.window))},
                )
            calls.append(moment)


PUBLIC_LIMIT = RateLimit(limit=20, window=60.0)


@router.get(
    "/public/status",
    name="public_status",
    tags=["public"],
    responses={429: {"model": ErrorBody, "description": "Too many status queries from this address"}},
)
def public_status(
    request: Request,
    session: SessionDep,
    tracking_no: Annotated[str, Query(min_length=1, max_length=60)],
    code: Annotated[str, Query(min_length=1, max_length=20)],
) -> dict[str, Any]:
    """What an applicant may see with the tracking number and query code: no personal data."""
    PUBLIC_LIMIT.check(request.client.host if request.client else "?")
    status = queries.public_status(session, tracking_no, code)
    if status is None:
        raise HTTPException(404, "no request with this tracking number and query code")
    return status
