"""Nothing typed is lost: the forms' script (upload size checked in the browser, typed values kept
across a sign-in), the page a request returns to after signing in, the intake form answering a 413.

A page asked for without a live session leads to the sign-in page with ``next``: a GET to the same
address; a form posted (a POST target has no page of its own) to the page it belongs to, the
nearest address above it that a page is served at (``/cases/7/actions/extend`` → ``/cases/7``), with
``restore=1`` so that the script fills the form in again. A session cookie that no longer maps to a
live session (expired, revoked) adds ``expired=1``: the sign-in page says the session ended.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from sqlmodel import Session
from starlette.routing import compile_path

from caseflow.api.deps import _caller, authorize
from caseflow.api.limits import MAX_BODY
from caseflow.api.session_cookie import SESSION_COOKIE
from caseflow.api.web.rendering import render, templates
from caseflow.db import get_engine
from caseflow.scheduled.links import own_path

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)
templates.env.globals["max_upload_mb"] = MAX_BODY // (1024 * 1024)  # the intake form's limit, shown
SCRIPT = Path(__file__).parent / "static" / "forms.js"
MB = MAX_BODY // (1024 * 1024)
TOO_LARGE_FORM = (
    f"上传的内容超过 {MB} MB 的上限，本次提交未被接收，申请未保存，已选择的文件也未上传。"
    "请压缩或拆分文件后重新选择；已填写的文字已尽量恢复，请核对。"
)


@router.get("/static/forms.js", name="page_forms_script")
def page_forms_script() -> FileResponse:
    return FileResponse(SCRIPT, media_type="text/javascript; charset=utf-8")


def _page_served_at(request: Request, path: str) -> bool:
    for context in iter_route_contexts(request.app.router.routes):
        methods = getattr(context.original_route, "methods", None) or set()
        if context.path and "GET" in methods and compile_path(context.path)[0].fullmatch(path):
            return True
    return False


def page_of(request: Request) -> str:
    """Where to come back to after signing in: the same address for a GET, else the page the posted
    form belongs to (never a POST target, which would answer 405), marked for the form's restoring."""
    path = request.url.path
    if request.method in ("GET", "HEAD"):
        return path + (f"?{request.url.query}" if request.url.query else "")
    page = path.rstrip("/")
    while page and not _page_served_at(request, page):
        page = page.rsplit("/", 1)[0]
    if page in ("", "/login", "/logout"):
        return "/"
    return f"{page}?restore=1"


def sign_in_redirect(request: Request) -> RedirectResponse:
    """To the sign-in page, back here afterwards; saying the session ended when there was one."""
    target = own_path(page_of(request)) or "/"
    location = f"/login?next={quote(target, safe='/')}"
    if request.cookies.get(SESSION_COOKIE):
        location += "&expired=1"
    response = RedirectResponse(location, 303)
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE)
    return response


def intake_too_large(request: Request) -> Response | None:
    """The intake form again (413) for a clerk whose upload was over the limit, else None. The body
    was not read: the form's text comes back from the browser (the script's kept values)."""
    if request.url.path != "/intake" or request.method != "POST":
        return None
    from caseflow.dates import now

    with Session(get_engine(), expire_on_commit=False) as session:
        caller = _caller(request, session)
    if caller.user is None or "clerk" not in caller.roles:
        return None
    request.state.caller = caller
    return render(
        request,
        "intake.html",
        413,
        form={"arrived_at": now().strftime("%Y-%m-%dT%H:%M")},
        errors={},
        computed=None,
        pending={},
        too_large=TOO_LARGE_FORM,
    )
