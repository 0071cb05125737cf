"""Admin pages: users and roles (deactivation, password reset, role changes, revoking sign-ins,
each recorded; separation of duties), agencies and their letter settings, State Council calendar notices."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from caseflow import account_admin, agency_settings, law
from caseflow.accounts import check_agency_kind, create_agency
from caseflow.api.deps import Authorized, Caller, SessionDep, authorize, check_csrf
from caseflow.api.web import calendar_form
from caseflow.api.web.rendering import render
from caseflow.calendar import CalendarError, default_calendar
from caseflow.errors import CaseflowError, FactsError, NotFound, RuleViolation
from caseflow.models import Agency, User
from caseflow.replies.remedy_bodies import court_level, court_problem, derived_review_body, review_body
from caseflow.states.roles import ROLES

router = APIRouter(prefix="/admin", dependencies=[Depends(authorize)], include_in_schema=False)
#: A user name in the path (no control characters: a NUL is 422, never a database error).
Username = Annotated[str, PathParam(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$")]


def _page(request: Request, session: SessionDep, status: int = 200, **extra: object) -> HTMLResponse:
    users = list(session.exec(select(User).order_by(col(User.username))))
    agencies = list(session.exec(select(Agency).order_by(col(Agency.path))))
    names = {a.id: a.name for a in agencies}
    years = [default_calendar().year_info(y) for y in range(default_calendar().first.year, 2031)]
    extra = {**_agency_form(request, session, agencies, extra), **_calendar_form(extra), **extra}
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


def _agency_form(
    request: Request, session: Session, agencies: list[Agency], extra: dict[str, object]
) -> dict[str, object]:
    """The agency settings form: the agency chosen (``?agency=code``; the admin's own by default),
    its current values (or the values typed, after a refusal), what it lacks, what was saved."""
    code = str(extra.get("chosen_code") or request.query_params.get("agency", ""))
    caller = getattr(request.state, "caller", None)
    own = caller.user.agency_id if caller is not None and caller.user is not None else None
    chosen = next((a for a in agencies if a.code == code), None) or next(
        (a for a in agencies if a.id == own), agencies[0] if agencies else None
    )
    if chosen is None:
        return {"chosen": None}
    saved = request.query_params.get("saved")
    derived = derived_review_body(session, chosen)
    return {
        "chosen": chosen,
        "agency_form": {key: getattr(chosen, key) for key in agency_settings.LABELS},
        "chosen_missing": agency_settings.missing(session, chosen),
        "chosen_review_derived": derived,
        "chosen_review_required": not derived,
        "saved_labels": None
        if saved is None
        else [agency_settings.LABELS[k] for k in saved.split(",") if k in agency_settings.LABELS],
    }


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
    """Add an agency (intent=create, or a code not yet known), or save the settings of an existing
    one: only the fields that changed are written (``caseflow.agency_settings.update``)."""
    await check_csrf(request, caller)
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    code = form.get("code", "")
    existing = session.exec(select(Agency).where(col(Agency.code) == code)).first()
    if existing is not None and form.get("intent") != "create":
        return await run_in_threadpool(_update_agency, request, session, caller, form, code)
    settings = {k: form.get(k, "") for k in ("letter_prefix", "address", "review_body", "court")}
    # Art. 17: whether the handler's confirmation suffices for the review of published information.
    confirms = form.get("handler_confirms_published") == "on"
    # The kind (department or people's government): the review body and the court's level follow it.
    kind = form.get("kind") or law.AgencyKind.DEPARTMENT.value
    try:
        check_agency_kind(kind)
        problem = court_problem(law.AgencyKind(kind), settings["court"])
        if problem:
            raise FactsError([("court", problem)])
        created = create_agency(
            session,
            code=code,
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
    return RedirectResponse(f"/admin?agency={quote(code)}#agency-settings", 303)


def _update_agency(
    request: Request, session: Session, caller: Caller, form: dict[str, str], code: str
) -> Response:
    """Save what changed; a refusal answers the form as typed, each error beside its field."""
    values: dict[str, str | bool] = {
        k: form[k] for k in agency_settings.TEXT_FIELDS + ("kind",) if k in form and (k != "name" or form[k])
    }
    values["handler_confirms_published"] = form.get("handler_confirms_published") == "on"
    assert caller.user is not None
    try:
        changes = agency_settings.update(session, actor=caller.user, code=code, values=values)
        session.commit()
    except FactsError as exc:
        session.rollback()
        typed = {**{k: form.get(k, "") for k in agency_settings.TEXT_FIELDS}, **values}
        labels = agency_settings.LABELS
        return _page(
            request,
            session,
            422,
            error="机关设置未保存，请根据提示修改："
            + "；".join(f"{labels.get(f, f)}：{m}" for f, m in exc.errors),
            chosen_code=code,
            agency_form=typed,
            agency_errors=dict(exc.errors),
        )
    except CaseflowError as exc:
        session.rollback()
        return _page(request, session, 404 if isinstance(exc, NotFound) else 409, error=exc.message)
    saved = ",".join(c.field for c in changes)
    return RedirectResponse(f"/admin?agency={quote(code)}&saved={saved}#agency-settings", 303)


def _calendar_form(extra: dict[str, object]) -> dict[str, object]:
    """The notice form's values (blank, or as typed after a refusal) and its rows."""
    return {
        "cal_form": extra.get("cal_form") or calendar_form.blank_form(),
        "cal_errors": extra.get("cal_errors") or {},
        "cal_rows": range(calendar_form.ROWS),
        "cal_workday_slots": range(calendar_form.WORKDAYS_PER_ROW),
    }


@router.post("/calendar", name="page_admin_calendar")
async def page_admin_calendar(request: Request, caller: Authorized, session: SessionDep) -> Response:
    """Load a State Council holiday notice: typed in the form's fields, or (``notice``) as JSON, as
    ``caseflow calendar load`` takes it, for bulk."""
    await check_csrf(request, caller)
    form = {k: str(v) for k, v in (await request.form()).items()}
    if "cal_year" in form:  # the form with labelled fields
        data, errors = calendar_form.parse(form)
        if data is None:
            return _page(
                request,
                session,
                422,
                error="通知未载入，请根据提示修改：" + "；".join(errors.values()),
                cal_form=form,
                cal_errors=errors,
            )
    else:
        text = form.get("notice", "")
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return _page(request, session, 422, error="通知无法载入：不是有效的 JSON 文本")
    try:
        notice = await run_in_threadpool(calendar_form.install, data)
    except CalendarError as exc:
        kept = {"cal_form": form} if "cal_year" in form else {}
        problem = calendar_form.describe_error(exc)
        return _page(request, session, 422, error=f"通知无法载入：{problem}", **kept)
    return _page(request, session, message=f"已载入 {notice.title}")
