"""The pages (zh-CN, server-rendered): thin handlers that parse, authorize and call the services."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import (
    SESSION_COOKIE,
    Authorized,
    Caller,
    CurrentCase,
    Id,
    SessionDep,
    actor_of,
    authorize,
    check_csrf,
)
from api.downloads import disposition_headers
from api.web.forms import facts_from_form, fields_for, for_kind, with_choices, zh_date, zh_error
from caseflow import clock, law, notifications, queries, service
from caseflow.cases.consultations import consultation_choices
from caseflow.dates import now, today
from caseflow.db import get_engine
from caseflow.errors import CaseflowError, FactsError, NotFound
from caseflow.sessions import csrf_token, revoke
from caseflow.states.machine import ACTIONS, OPEN_STATES, RECORD_ONLY, ROLE_NAMES, STATE_NAMES

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["zh"] = zh_date
HOME = {
    "clerk": "/cases",
    "reviewer": "/review",
    "supervisor": "/dashboard",
    "auditor": "/search",
    "admin": "/admin",
}


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    caller: Caller | None = getattr(request.state, "caller", None)
    context.setdefault("unread", _unread(caller))
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


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    titles = {
        403: "无权访问",
        404: "未找到",
        409: "当前状态不允许该操作",
        413: "上传的内容过大",
        422: "填写有误",
        429: "请求过于频繁",
    }
    return render(
        request, "error.html", status, status_code=status, title=titles.get(status, "出错了"), message=message
    )


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


# --- Clerk: intake -----------------------------------------------------------------------


def _application(form: dict[str, str]) -> dict[str, Any]:
    fields = (
        "applicant_type",
        "applicant_name",
        "id_type",
        "id_number",
        "phone",
        "email",
        "address",
        "description",
        "document_no_sought",
        "provision_form",
        "channel",
        "receipt_proof",
        "late_confirmation_reason",
    )
    app: dict[str, Any] = {k: form.get(k, "") for k in fields}
    arrived = form.get("arrived_at", "")
    app["arrived_at"] = f"{arrived}:00+08:00" if len(arrived) == 16 else arrived
    app["confirmed_on"] = form.get("confirmed_on") or None
    app["kind"] = form.get("kind") or law.RequestKind.DISCLOSURE.value  # Art. 41: or a correction
    return app


@router.get("/intake", name="page_intake")
def page_intake(request: Request, caller: Authorized) -> HTMLResponse:
    return render(
        request,
        "intake.html",
        form={"arrived_at": now().strftime("%Y-%m-%dT%H:%M")},
        errors={},
        computed=None,
    )


@router.post("/intake", name="page_intake_submit")
async def page_intake_submit(request: Request, caller: Authorized, session: SessionDep) -> Response:
    await check_csrf(request, caller)
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    uploads = []
    for field, kind in (("application_scan", "application"), ("envelope", "envelope"), ("proof", "proof")):
        item = raw.get(field)
        if item is not None and not isinstance(item, str) and item.filename:
            data = await item.read()
            if data:
                uploads.append(
                    service.Upload(kind, data, item.content_type or "application/octet-stream", item.filename)
                )
    app = _application(form)
    try:
        parsed = service.Application.model_validate(app)
    except ValidationError as exc:
        errors = {
            ".".join(str(p) for p in e["loc"]) or "form": e["msg"].removeprefix("Value error, ")
            for e in exc.errors()
        }
        zh_errors = {k: zh_error(v) for k, v in _field_errors(errors).items()}
        return render(request, "intake.html", 422, form=form, errors=zh_errors, computed=None)
    if form.get("intent") == "compute":
        deadline = clock.compute(clock.Timeline(parsed.receipt_date()))
        return render(
            request,
            "intake.html",
            form=form,
            errors={},
            computed={"receipt_date": parsed.receipt_date(), "deadline": deadline},
        )
    try:
        case = service.register(
            session=session,
            actor=actor_of(caller),
            agency_code=_home(session, caller),
            application=parsed,
            uploads=tuple(uploads),
        )
    except FactsError as exc:
        return render(
            request,
            "intake.html",
            422,
            form=form,
            errors={k: zh_error(v) for k, v in exc.errors},
            computed=None,
        )
    return RedirectResponse(f"/cases/{case.id}", 303)


def _field_errors(errors: dict[str, str]) -> dict[str, str]:
    out = {}
    for key, message in errors.items():
        field, _, rest = message.partition(": ")
        out[field if key in ("form", "") and rest else key] = (
            rest if key in ("form", "") and rest else message
        )
    return out


def _home(session: SessionDep, caller: Caller) -> str:
    from caseflow.models import Agency

    agency = session.get(Agency, actor_of(caller).agency_id)
    assert agency is not None
    return agency.code


# --- Lists and the case workspace ----------------------------------------------------------


@router.get("/cases", name="page_cases")
def page_cases(
    request: Request,
    caller: Authorized,
    session: SessionDep,
    state: str | None = None,
    overdue: bool | None = None,
    q: str | None = None,
    mine: bool = True,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    actor = actor_of(caller)
    flt = queries.CaseFilter(
        state=state or None,
        overdue=overdue,
        q=q or None,
        handler=actor.username if mine and "clerk" in caller.roles else None,
    )
    total, rows = queries.list_cases(session, actor, flt, today=today(), page=max(page, 1), size=50)
    return render(
        request,
        "cases.html",
        rows=rows,
        total=total,
        page=page,
        state=state,
        q=q or "",
        mine=mine,
        overdue=overdue,
    )


@router.get("/cases/{case_id}", name="page_case")
def page_case(request: Request, case: CurrentCase, caller: Authorized, session: SessionDep) -> HTMLResponse:
    return _workspace(request, session, case, caller)


@router.post("/cases/{case_id}/identity", name="page_case_identity")
async def page_case_identity(
    request: Request, case: CurrentCase, caller: Authorized, session: SessionDep
) -> HTMLResponse:
    """The workspace with the applicant's ID number whole: a form with the CSRF token, the view
    recorded as a ``view_identity`` evidence event before the number is shown."""
    await check_csrf(request, caller)
    assert case.id is not None

    def view() -> HTMLResponse:
        assert case.id is not None
        viewed = service.perform(
            session=session, case_id=case.id, actor=actor_of(caller), action="view_identity"
        )
        return _workspace(request, session, viewed, caller, full_identity=True)

    return await run_in_threadpool(view)


def _workspace(
    request: Request,
    session: SessionDep,
    case: Any,
    caller: Caller,
    *,
    full_identity: bool = False,
    errors: dict[str, str] | None = None,
    failed_action: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    message: str | None = None,
) -> HTMLResponse:
    actor = actor_of(caller)
    detail = queries.case_detail(session, case, today=today(), full_identity=full_identity)
    deadline = clock.compute(
        clock.Timeline.from_json({"received": case.receipt_date.isoformat(), "events": case.ledger})
    )
    names = service.actions_for(session, actor, case)
    actions = [
        {
            "name": n,
            "label": ACTIONS[n].label,
            "fields": for_kind(
                fields_for(ACTIONS[n].facts, n, values if n == failed_action else None), case.kind
            ),
        }
        for n in names
    ]
    for a in actions:  # which consultation: a choice among the request's own (several may be open)
        a["fields"] = with_choices(
            a["fields"], "consultation_id", consultation_choices(detail["consultations"], str(a["name"]))
        )
    return render(
        request,
        "case.html",
        status,
        case=detail,
        full_identity=full_identity,
        deadline=deadline,
        actions=actions,
        events=queries.events(session, case.id),
        letters=queries.letters(session, case.id),
        errors=errors or {},
        failed_action=failed_action,
        message=message,
        left=deadline.working_days_left(today()) if case.state in {x.value for x in OPEN_STATES} else None,
    )


@router.post("/cases/{case_id}/actions/{action}", name="page_case_action")
async def page_case_action(
    request: Request, case: CurrentCase, action: str, caller: Authorized, session: SessionDep
) -> Response:
    await check_csrf(request, caller)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if action not in ACTIONS or action in RECORD_ONLY:  # exports and identity views are recorded elsewhere
        return error_page(request, 404, f"没有该操作：{action}")
    facts = facts_from_form(ACTIONS[action].facts, form)
    version = form.get("expected_version")
    assert case.id is not None
    try:
        service.perform(
            session=session,
            case_id=case.id,
            actor=actor_of(caller),
            action=action,
            facts=facts,
            expected_version=int(version) if version and version.isdigit() else None,
        )
    except CaseflowError as exc:  # re-render the workspace as it now is, with the form as entered
        session.expire_all()
        fresh = service.load_visible(session, actor_of(caller), case.id, lock=False)
        facts_error = isinstance(exc, FactsError)
        return _workspace(
            request,
            session,
            fresh,
            caller,
            errors={k: zh_error(v) for k, v in exc.errors} if isinstance(exc, FactsError) else None,
            failed_action=action,
            values=form,
            status=422 if facts_error else 409,
            message=None if facts_error else exc.message,
        )
    return RedirectResponse(f"/cases/{case.id}", 303)


@router.get("/cases/{case_id}/letters/{letter_id}", name="page_letter")
def page_letter(
    case: CurrentCase, letter_id: Id, caller: Authorized, session: SessionDep, format: str = "html"
) -> Response:
    from caseflow.models import Letter
    from caseflow.replies.issue import issued_files

    letter = session.get(Letter, letter_id)
    if letter is None or letter.case_id != case.id or format not in ("html", "pdf"):
        raise NotFound("没有这份文书")
    files = issued_files(letter)
    if format not in files:
        raise NotFound("该文书签发时未生成PDF")
    media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
    return Response(
        files[format],
        media_type=media,
        headers=disposition_headers(  # a PDF is saved, the HTML shown
            f"{letter.letter_no}.{format}", inline=format != "pdf", fallback=f"letter-{letter.id}.{format}"
        ),
    )


@router.post("/cases/{case_id}/evidence", name="page_case_evidence")
async def page_case_evidence(
    request: Request, case: CurrentCase, caller: Authorized, session: SessionDep
) -> Response:
    """Download the request's signed evidence package (a form with the CSRF token: the export is
    recorded as evidence, so no link may cause one)."""
    from api.routes.requests import evidence_download

    await check_csrf(request, caller)
    masked = (await request.form()).get("masked") == "1"  # the variant for external auditors
    return await run_in_threadpool(
        lambda: evidence_download(session, actor_of(caller), case.tracking_no, masked=masked)
    )


@router.get("/cases/{case_id}/preview", name="page_letter_preview")
def page_letter_preview(case: CurrentCase, caller: Authorized, session: SessionDep) -> Response:
    """The drafted reply as it would be issued (unnumbered, marked 预览稿); nothing is stored."""
    from caseflow.replies.issue import preview

    return HTMLResponse(preview(session, case, "reply", today=today()))
