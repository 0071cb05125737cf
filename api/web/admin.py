"""Admin pages: users and roles (deactivation, password reset, role changes, revoking sign-ins,
each recorded; separation of duties), agencies and their letter settings, State Council calendar notices."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from api.deps import Authorized, Caller, SessionDep, authorize, check_csrf
from api.web.pages import render
from caseflow import account_admin, law
from caseflow.accounts import check_agency_kind, create_agency
from caseflow.calendar import CalendarError, default_calendar, load_notice
from caseflow.errors import CaseflowError, FactsError, NotFound, RuleViolation
from caseflow.models import Agency, User
from caseflow.replies.remedy_bodies import court_level, court_problem, review_body
from caseflow.states.machine import ROLES

router = APIRouter(prefix="/admin", dependencies=[Depends(authorize)], include_in_schema=False)
#: A user name in the path (no control characters: a NUL is 422, never a database error).
Username = Annotated[str, PathParam(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$")]


def _page(request: Request, session: SessionDep, status: int = 200, **extra: object) -> HTMLResponse:
    users = list(session.exec(select(User).order_by(col(User.username))))
    agencies = list(session.exec(select(Agency).order_by(col(Agency.path))))
    names = {a.id: a.name for a in agencies}
    years = [default_calendar().year_info(y) for y in range(default_calendar().first.year, 2031)]
    return render(
        request,
        "admin.html",
        status,
        changes=account_admin.changes(session, limit=50),
        change_names=account_admin.ACTION_NAMES,
        exceptions=account_admin.exceptions(session),
        unrecorded=account_admin.unrecorded_conflicts(session),
        user_names={u.id: u.username for u in users},
        users=users,
        agencies=agencies,
        agency_names=names,
        # The review body each agency's letters name (its setting, or derived from the tree) and the
        # level of court the law gives its cases (Review Law Art. 24/27; Litigation Law Art. 14/15).
        agency_review={a.id: review_body(session, a) for a in agencies},
        agency_court_level={a.id: court_level(a)[0] for a in agencies},
        agency_kinds={k.value: name for k, name in law.AGENCY_KIND_NAMES.items()},
        roles=ROLES,
        years=[y for y in years if y.year >= 2024],
        **extra,
    )


@router.get("", name="page_admin")
def page_admin(request: Request, caller: Authorized, session: SessionDep) -> HTMLResponse:
    return _page(request, session)


STATUS = {FactsError: 422, NotFound: 404, RuleViolation: 409}


def _change(request: Request, session: Session, change: Callable[[], object]) -> Response:
    """Make an account change (in a worker thread); back to the page, or the page with the refusal."""
    try:
        change()
    except CaseflowError as exc:
        session.rollback()
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
        return _page(request, session, status, error=exc.message)
    return RedirectResponse("/admin", 303)


def _admin(caller: Caller) -> str:
    assert caller.user is not None
    return caller.user.username


@router.post("/users", name="page_admin_user")
async def page_admin_user(request: Request, caller: Authorized, session: SessionDep) -> Response:
    await check_csrf(request, caller)
    form = await request.form()
    username = str(form.get("username", "")).strip()

    def create() -> object:
        return account_admin.create(
            session,
            actor=_admin(caller),
            username=username,
            display_name=str(form.get("display_name", "")).strip() or username,
            password=str(form.get("password", "")),
            roles=[str(r) for r in form.getlist("roles")],
            agency_code=str(form.get("agency", "")),
            exception_reason=str(form.get("exception_reason", "")),
        )

    return await run_in_threadpool(_change, request, session, create)


@router.post("/users/{username}/active", name="page_admin_user_active")
async def page_admin_user_active(
    request: Request, username: Username, caller: Authorized, session: SessionDep
) -> Response:
    """Deactivate (active=0: every sign-in of the user ends at once) or reactivate (active=1)."""
    await check_csrf(request, caller)
    active = (await request.form()).get("active") == "1"
    return await run_in_threadpool(
        _change,
        request,
        session,
        lambda: account_admin.set_active(session, actor=_admin(caller), username=username, active=active),
    )


@router.post("/users/{username}/password", name="page_admin_user_password")
async def page_admin_user_password(
    request: Request, username: Username, caller: Authorized, session: SessionDep
) -> Response:
    await check_csrf(request, caller)
    password = str((await request.form()).get("password", ""))
    return await run_in_threadpool(
        _change,
        request,
        session,
        lambda: account_admin.reset_password(
            session, actor=_admin(caller), username=username, password=password
        ),
    )


@router.post("/users/{username}/roles", name="page_admin_user_roles")
async def page_admin_user_roles(
    request: Request, username: Username, caller: Authorized, session: SessionDep
) -> Response:
    await check_csrf(request, caller)
    form = await request.form()
    roles = [str(r) for r in form.getlist("roles")]
    reason = str(form.get("exception_reason", ""))
    return await run_in_threadpool(
        _change,
        request,
        session,
        lambda: account_admin.set_roles(
            session, actor=_admin(caller), username=username, roles=roles, exception_reason=reason
        ),
    )


@router.post("/users/{username}/revoke", name="page_admin_user_revoke")
async def page_admin_user_revoke(
    request: Request, username: Username, caller: Authorized, session: SessionDep
) -> Response:
    """End every browser session and API token of the user."""
    await check_csrf(request, caller)
    return await run_in_threadpool(
        _change,
        request,
        session,
        lambda: account_admin.revoke_tokens(session, actor=_admin(caller), username=username),
    )


@router.post("/agencies", name="page_admin_agency")
async def page_admin_agency(request: Request, caller: Authorized, session: SessionDep) -> Response:
    """Add an agency, or update an existing one's letter settings."""
    await check_csrf(request, caller)
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    settings = {k: form.get(k, "") for k in ("letter_prefix", "address", "review_body", "court")}
    existing = session.exec(select(Agency).where(col(Agency.code) == form.get("code", ""))).first()
    # Art. 17: whether the handler's confirmation suffices for the review of published information.
    confirms = form.get("handler_confirms_published") == "on"
    # The kind (department or people's government): the review body and the court's level follow it.
    kind = form.get("kind") or (existing.kind if existing is not None else law.AgencyKind.DEPARTMENT.value)
    try:
        check_agency_kind(kind)
        problem = court_problem(law.AgencyKind(kind), settings["court"])
        if problem:
            raise FactsError([("court", problem)])
        if existing is not None:
            for key, value in settings.items():
                setattr(existing, key, value)
            existing.kind = kind
            existing.handler_confirms_published = confirms
            if form.get("name"):
                existing.name = form["name"]
            session.add(existing)
        else:
            created = create_agency(
                session,
                code=form.get("code", ""),
                name=form.get("name", ""),
                parent_code=form.get("parent") or None,
                kind=kind,
                **settings,
            )
            created.handler_confirms_published = confirms
            session.add(created)
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
