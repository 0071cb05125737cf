"""Rendering a page (zh-CN): the templates and their filters, the context every page shares (the
signed-in user, the CSRF token, the header's counts) and the error page. Every page module renders
through this one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from caseflow import law, notifications
from caseflow.api.deps import Caller
from caseflow.api.errors import TITLES, TITLES_BY_CODE, http_code, http_detail
from caseflow.api.web.forms import label_of, zh_date
from caseflow.dates import today, zh_moment
from caseflow.db import get_engine
from caseflow.sessions import csrf_token
from caseflow.states.machine import STATE_NAMES
from caseflow.states.roles import ROLE_NAMES

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["zh"] = zh_date
templates.env.filters["moment"] = zh_moment  # 2026年11月28日 20:11 (Asia/Shanghai), every moment shown
templates.env.filters["label"] = label_of  # a field's Chinese name in an error summary


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    caller: Caller | None = getattr(request.state, "caller", None)
    context.setdefault("unread", _unread(caller))
    context.setdefault("online_pending", _online_pending(caller))
    context.update(
        request=request,
        caller=caller,
        user=caller.user if caller else None,
        csrf=csrf_token(caller.token) if caller and caller.via == "cookie" and caller.token else "",
        role_names=ROLE_NAMES,
        state_names={s.value: n for s, n in STATE_NAMES.items()},
        today=today(),
        law=law,
    )
    return templates.TemplateResponse(request, name, context, status_code=status)


def _unread(caller: Caller | None) -> int:
    """The signed-in user's unread notifications, for the header."""
    if caller is None or caller.user is None or caller.user.id is None:
        return 0
    with Session(get_engine()) as session:
        return notifications.unread_count(session, caller.user.id)


def _online_pending(caller: Caller | None) -> int:
    """A clerk's agency's online applications awaiting confirmation, for the header (issue 18 / B)."""
    if caller is None or caller.user is None or "clerk" not in caller.roles:
        return 0
    from caseflow.portal.applications import pending_count

    with Session(get_engine()) as session:
        return pending_count(session, caller.user.agency_id)


def error_page(request: Request, status: int, message: str, code: str | None = None) -> HTMLResponse:
    """The error page: a Chinese title by status (or by the refusal's code), the message, the way back
    (the page the person came from, when it is one of ours, and the home page)."""
    from caseflow.validation_zh import has_cjk

    return render(
        request,
        "error.html",
        status,
        status_code=status,
        title=TITLES_BY_CODE.get(code or "") or TITLES.get(status, "出错了"),
        message=message if has_cjk(message) else http_detail(status, message),
        code=code or http_code(status),
        back=_back_to(request),
    )


def _back_to(request: Request) -> str | None:
    """The page this request came from (its Referer), if it is a page of this site other than this one."""
    from urllib.parse import urlsplit

    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path.startswith("/"):
        return None
    target = referer.path + (f"?{referer.query}" if referer.query else "")
    return None if target == request.url.path or referer.path.startswith("//") else target
