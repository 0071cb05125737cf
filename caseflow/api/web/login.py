"""Signing in and out: the sign-in page refuses a form posted from another site (login CSRF), counts
failures in the database and answers "try again at …" (429) instead of slowing down; never blocks the
event loop. Signing out revokes the session; the home page sends each role to its own start."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from caseflow import signin
from caseflow.api.deps import Authorized, SessionDep, authorize, check_csrf, cross_site_origin
from caseflow.api.ratelimits import client_address
from caseflow.api.session_cookie import SESSION_COOKIE
from caseflow.api.web.rendering import render
from caseflow.errors import TooManyAttempts
from caseflow.scheduled.links import own_path
from caseflow.sessions import revoke

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)

#: Where each role starts: the home page sends a caller to the first of its roles' pages.
HOME = {
    "clerk": "/cases",
    "reviewer": "/review",
    "supervisor": "/dashboard",
    "auditor": "/search",
    "admin": "/admin",
}


def _target(next: str) -> str:
    """Back to the page asked for, on this site only."""
    return own_path(next) or "/"


async def _page(request: Request, status: int, **context: object) -> HTMLResponse:
    """The login page again (rendered in a thread: a signed-in caller's header reads the database)."""
    return await run_in_threadpool(render, request, "login.html", status, **context)


@router.get("/login", name="page_login")
def page_login(request: Request, next: str = "/", expired: bool = False) -> HTMLResponse:
    """The sign-in form; ``expired``: the session had ended (the page says so: web.formkeeping)."""
    return render(request, "login.html", next=_target(next), error=None, expired=expired)


@router.post("/login", name="page_login_submit")
async def page_login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    target = _target(next)
    if cross_site_origin(request) is not None:
        return await _page(
            request, 403, next="/", error="登录请求来自其他网站，已拒绝。请直接打开本系统的登录页面登录。"
        )
    try:
        token = await signin.sign_in(username, password, client_address(request), kind="web")
    except TooManyAttempts as exc:
        page = await _page(request, 429, next=target, error=exc.message, username=username)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if token is None:
        return await _page(request, 401, next=target, error="用户名或密码错误", username=username)
    response = RedirectResponse(target, 303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=12 * 3600,
    )
    return response


@router.post("/logout", name="page_logout")
async def page_logout(request: Request, caller: Authorized, session: SessionDep) -> Response:
    await check_csrf(request, caller)
    if caller.token:
        await run_in_threadpool(revoke, session, caller.token)  # (no database work on the event loop)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", name="page_home")
def page_home(caller: Authorized) -> Response:
    for role in ("clerk", "reviewer", "supervisor", "auditor", "admin"):
        if role in caller.roles:
            return RedirectResponse(HOME[role], 303)
    return RedirectResponse("/login", 303)
