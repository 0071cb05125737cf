"""JSON API v1: sign-in tokens, the dashboard, the applicant's public status (rate-limited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from caseflow import queries, signin
from caseflow.api.deps import (
    API_ERRORS,
    Authorized,
    ErrorBody,
    SessionDep,
    actor_of,
    authorize,
    cross_site_origin,
)
from caseflow.api.ratelimits import LOOKUP_REFUSED, check_lookup, client_address, looked_up
from caseflow.dates import today
from caseflow.sessions import revoke
from caseflow.texts import Line

router = APIRouter(prefix="/api/v1", dependencies=[Depends(authorize)], responses=API_ERRORS)


@router.post(
    "/auth/token",
    name="auth_token",
    tags=["auth"],
    responses={
        429: {
            "model": ErrorBody,
            "description": "Too many failed sign-ins for this user name or from this address "
            "(code sign_in_throttled; Retry-After says when to try again)",
        }
    },
)
async def auth_token(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=80)],
    password: Annotated[str, Form(min_length=1, max_length=200)],
) -> dict[str, str]:
    """Exchange a user name and password for an opaque bearer token (stored hashed, revocable).

    Failed attempts are limited per user name and per address (429 with Retry-After); a call a
    browser makes from another site is refused (403). Nothing here blocks the event loop: the
    database work and the password check run in threads (``caseflow.signin``)."""
    if cross_site_origin(request) is not None:
        raise HTTPException(403, "拒绝来自其他网站的登录请求")
    token = await signin.sign_in(username, password, client_address(request), kind="api")
    if token is None:
        raise HTTPException(401, "用户名或密码错误", {"WWW-Authenticate": "Bearer"})
    return {"access_token": token, "token_type": "bearer"}


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


@router.get(
    "/public/status",
    name="public_status",
    tags=["public"],
    deprecated=True,
    responses={429: {"model": ErrorBody, "description": LOOKUP_REFUSED}},
)
def public_status(
    request: Request,
    session: SessionDep,
    tracking_no: Annotated[str, Query(min_length=1, max_length=60)],
    code: Annotated[str, Query(min_length=1, max_length=20)],
) -> dict[str, Any]:
    """Deprecated: use ``POST /api/v1/public/status`` (a query code in a URL ends up in browser
    histories and proxies' logs). Answers as the POST does."""
    return _public_status(request, session, tracking_no, code)


class StatusQuery(BaseModel):
    """A look-up of one request's progress by its tracking number and query code."""

    model_config = ConfigDict(extra="forbid")

    tracking_no: Line = Field(min_length=1, max_length=60)
    code: Line = Field(min_length=1, max_length=20)


@router.post(
    "/public/status",
    name="public_status_lookup",
    tags=["public"],
    responses={429: {"model": ErrorBody, "description": LOOKUP_REFUSED}},
)
def public_status_lookup(request: Request, session: SessionDep, query: StatusQuery) -> dict[str, Any]:
    """What an applicant may see with the tracking number and query code, sent in the JSON body: no
    personal data. Rate-limited per address and for everyone; after too many failed look-ups from
    the address or of the number, refused even with the right code until the hour ends (429)."""
    return _public_status(request, session, query.tracking_no.strip(), query.code)


def _public_status(request: Request, session: SessionDep, tracking_no: str, code: str) -> dict[str, Any]:
    check_lookup(request, tracking_no)
    status = looked_up(request, tracking_no, queries.public_status(session, tracking_no, code))
    if status is None:
        raise HTTPException(404, "没有与该受理编号和查询码相符的申请")
    return status
