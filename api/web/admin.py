"""Admin pages: users and roles, agencies and their letter settings, State Council calendar notices."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select

from api.deps import Authorized, SessionDep, authorize, check_csrf
from api.web.pages import render
from caseflow.accounts import create_agency, create_user
from caseflow.calendar import CalendarError, default_calendar, load_notice
from caseflow.errors import CaseflowError
from caseflow.models import Agency, User
from caseflow.states.machine import ROLES

router = APIRouter(prefix="/admin", dependencies=[Depends(authorize)], include_in_schema=False)


def _page(request: Request, session: SessionDep, status: int = 200, **extra: object) -> HTMLResponse:
    users = list(session.exec(select(User).order_by(col(User.username))))
    agencies = list(session.exec(select(Agency).order_by(col(Agency.path))))
    names = {a.id: a.name for a in agencies}
    years = [default_calendar().year_info(y) for y in range(default_calendar().first.year, 2031)]
    return render(
        request,
        "admin.html",
        status,
        users=users,
        agencies=agencies,
        agency_names=names,
        roles=ROLES,
        years=[y for y in years if y.year >= 2024],
        **extra,
    )


@router.get("", name="page_admin")
def page_admin(request: Request, caller: Authorized, session: SessionDep) -> HTMLResponse:
    return _page(request, session)


@router.post("/users", name="page_admin_user")
async def page_admin_user(request: Request, caller: Authorized, session: SessionDep) -> Response:
    await check_csrf(request, caller)
    form = await request.form()
    roles = [str(r) for r in form.getlist("roles")]
    try:
        create_user(
            session,
            username=str(form.get("username", "")).strip(),
            display_name=str(form.get("display_name", "")).strip() or str(form.get("username", "")),
            password=str(form.get("password", "")),
            roles=roles,
            agency_code=str(form.get("agency", "")),
        )
        session.commit()
    except CaseflowError as exc:
        session.rollback()
        return _page(request, session, 422, error=exc.message)
    return RedirectResponse("/admin", 303)


@router.post("/agencies", name="page_admin_agency")
async def page_admin_agency(request: Request, caller: Authorized, session: SessionDep) -> Response:
    """Add an agency, or update an existing one's letter settings."""
    await check_csrf(request, caller)
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    settings = {k: form.get(k, "") for k in ("letter_prefix", "address", "review_body", "court")}
    existing = session.exec(select(Agency).where(col(Agency.code) == form.get("code", ""))).first()
    try:
        if existing is not None:
            for key, value in settings.items():
                setattr(existing, key, value)
            if form.get("name"):
                existing.name = form["name"]
            session.add(existing)
        else:
            create_agency(
                session,
                code=form.get("code", ""),
                name=form.get("name", ""),
                parent_code=form.get("parent") or None,
                **settings,
            )
        session.commit()
    except CaseflowError as exc:
        session.rollback()
        return _page(request, session, 422, error=exc.message)
    return RedirectResponse("/admin", 303)


@router.post("/calendar", name="page_admin_calendar")
async def page_admin_calendar(request: Request, caller: Authorized, session: SessionDep) -> Response:
    """Load a State Council holiday notice (JSON, as `caseflow calendar load` takes it)."""
    await check_csrf(request, caller)
    form = await request.form()
    text = str(form.get("notice", ""))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "notice.json"
        path.write_text(text, encoding="utf-8")
        try:
            json.loads(text)
            notice = load_notice(path)
        except (CalendarError, json.JSONDecodeError) as exc:
            return _page(request, session, 422, error=f"通知无法载入：{exc}")
    return _page(request, session, message=f"已载入 {notice.title}")
