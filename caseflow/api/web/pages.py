"""The pages (zh-CN, server-rendered): thin handlers that parse, authorize and call the services."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from caseflow import clock, law, notifications, queries, service
from caseflow.api.deps import (
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
from caseflow.api.downloads import disposition_headers
from caseflow.api.web import cards, listing, story
from caseflow.api.web.forms import (
    facts_from_form,
    fields_for,
    for_kind,
    label_of,
    with_choices,
    zh_date,
    zh_error,
    zh_validation,
)
from caseflow.cases.consultations import consultation_choices
from caseflow.dates import now, today, zh_moment
from caseflow.db import get_engine
from caseflow.errors import CaseflowError, FactsError, NotFound, RuleViolation
from caseflow.release.copies import PREPARED_FOR
from caseflow.sessions import csrf_token, revoke
from caseflow.states.machine import ACTIONS, OPEN_STATES, RECORD_ONLY, ROLE_NAMES, STATE_NAMES

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["zh"] = zh_date
templates.env.filters["moment"] = zh_moment  # 2026年11月28日 20:11 (Asia/Shanghai), every moment shown
templates.env.filters["label"] = label_of  # a field's Chinese name in an error summary
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
    from caseflow.api.errors import TITLES, TITLES_BY_CODE, http_code, http_detail
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
def page_intake(request: Request, caller: Authorized, session: SessionDep) -> HTMLResponse:
    from caseflow.agency_settings import explain_missing

    return render(
        request,
        "intake.html",
        form={"arrived_at": now().strftime("%Y-%m-%dT%H:%M")},
        errors={},
        computed=None,
        settings_missing=explain_missing(session, actor_of(caller).agency_id or 0),
    )


@router.post("/intake", name="page_intake_submit")
async def page_intake_submit(request: Request, caller: Authorized, session: SessionDep) -> Response:
    await check_csrf(request, caller)
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    from caseflow.api.web.pending_form import keep_files

    try:  # the files chosen now and those kept from before: pending until the request is registered
        kept = await run_in_threadpool(keep_files, session, caller, request, raw)
    except FactsError as exc:
        errors = {k: zh_error(v) for k, v in exc.errors}
        return render(request, "intake.html", 422, form=form, errors=errors, computed=None)
    app = _application(form)
    try:
        parsed = service.Application.model_validate(app)
    except ValidationError as exc:
        zh_errors = dict(_intake_error(e) for e in exc.errors())
        return render(request, "intake.html", 422, form=form, errors=zh_errors, computed=None)
    if form.get("intent") == "compute":
        try:
            service.check_when(parsed, now())  # refused exactly as 登记 refuses it (a future arrival, ...)
        except FactsError as exc:
            errors = {k: zh_error(v) for k, v in exc.errors}
            return render(request, "intake.html", 422, form=form, errors=errors, computed=None)
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
            uploads=kept.uploads(),
            consumed=kept.rows,  # deleted with the registration's commit
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
    except RuleViolation as exc:
        if exc.code != "letter_settings_missing":
            raise
        # The agency lacks letter settings: what to set and who may set it, the form as typed.
        return render(
            request, "intake.html", 409, form=form, errors={}, computed=None, settings_missing=exc.message
        )
    return RedirectResponse(f"/cases/{case.id}", 303)


def _intake_error(error: Any) -> tuple[str, str]:
    """(field, Chinese message) of a registration form error; a whole-form check names its field
    in its message ("phone: ...")."""
    where = ".".join(str(p) for p in error["loc"])
    if not where:
        name, _, rest = str(error["msg"]).removeprefix("Value error, ").partition(": ")
        return (name, zh_error(rest)) if rest and name.isidentifier() else ("form", zh_validation(error))
    return where, zh_validation(error)


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
    state: Annotated[str, Query(max_length=30)] = "",
    agency: Annotated[str, Query(max_length=40)] = "",
    due: listing.Due = "",
    overdue: bool | None = None,
    q: Annotated[str, Query(max_length=200)] = "",
    mine: bool = True,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = listing.DEFAULT_SIZE,
    card: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    """The clerk's list (我的案件, or the agency's): open work first by working days left, paged."""
    actor = actor_of(caller)
    flt = queries.CaseFilter(
        state=state or None,
        agency=agency or None,
        q=q.strip() or None,
        handler=actor.username if mine and "clerk" in caller.roles else None,
        **listing.deadline_filter(due, overdue),
    )
    flt = dataclasses.replace(flt, **cards.card_filter(card))  # a dashboard card's list: what it counts
    rows, pager = listing.page_of(request, session, actor, flt, page=page, size=size)
    return render(
        request,
        "cases.html",
        rows=rows,
        pager=pager,
        total=pager.total,
        state=state,
        agency=agency,
        agencies=queries.agency_choices(session, actor),
        due="overdue" if overdue and not due else due,
        due_choices=listing.DUE_CHOICES,
        card=cards.CARDS_BY_KEY.get(card),
        q=q,
        mine=mine,
    )


@router.get("/cases/{case_id}", name="page_case")
def page_case(
    request: Request, case: CurrentCase, caller: Authorized, session: SessionDep, done: str | None = None
) -> HTMLResponse:
    return _workspace(request, session, case, caller, done=done)  # done: the action just done (notice)


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
        viewed = service.perform_grouped(
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
    verification: Any = None,
    done: str | None = None,
) -> HTMLResponse:
    from caseflow.api.web import release_view, returned_draft
    from caseflow.portal import followup_record
    from caseflow.scheduled import applicant_mail

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
                fields_for(
                    ACTIONS[n].facts, n, values if n == failed_action else returned_draft.values(case, n)
                ),
                case.kind,
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
        verification=verification,
        left=deadline.working_days_left(today()) if case.state in {x.value for x in OPEN_STATES} else None,
        **story.context(session, case.id, case.draft, done),  # documents, deliveries, timeline, drafts
        **returned_draft.context(session, case),  # the reviewer's comments beside the returned draft
        applicant_submissions=followup_record.pending(session, actor, case.id),  # online 补正 / 撤回
        applicant_messages=applicant_mail.sent_for_case(session, case.id),  # 已通知申请人 (issue 18 / E)
        release_records=release_view.case_summary(session, case.id),  # 公开材料 (issue 19 / C)
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
    from caseflow.api.web.release import prepare_released  # (it imports this module)

    # The released copies for the boxes as they are, made outside the engine's transaction (issue 19),
    # when the caller may take the action (a refused caller makes nothing)
    prepare = action in PREPARED_FOR and action in service.actions_for(session, actor_of(caller), case)
    problem = await run_in_threadpool(prepare_released, session, case) if prepare else None
    if problem:
        return _workspace(
            request,
            session,
            case,
            caller,
            failed_action=action,
            values=form,
            status=409,
            message=f"未办理：{problem}",
        )
    try:
        await run_in_threadpool(  # waits for the writer's commit: never on the event loop
            service.perform_grouped,
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
            message=(
                "未办理，请根据提示修改："
                + "；".join(f"{label_of(k, action)}：{zh_error(v)}" for k, v in exc.errors)
                if isinstance(exc, FactsError)
                else exc.message
            ),
        )
    return RedirectResponse(f"/cases/{case.id}?done={action}", 303)  # the page says what was done


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
    if format == "pdf" and letter.pdf_pending:
        raise NotFound("该文书的PDF文本尚在生成中（PDF 生成中），请稍后再试", code="pdf_pending")
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
    from caseflow.api.routes.requests import evidence_download

    await check_csrf(request, caller)
    form = await request.form()
    masked = form.get("masked") == "1"  # the variant for external auditors
    originals = form.get("include_originals") == "1"  # released records' originals, for audit only
    return await run_in_threadpool(
        lambda: evidence_download(
            session, actor_of(caller), case.tracking_no, masked=masked, include_originals=originals
        )
    )


@router.get("/cases/{case_id}/preview", name="page_letter_preview")
def page_letter_preview(case: CurrentCase, caller: Authorized, session: SessionDep) -> Response:
    """The drafted reply as it would be issued (unnumbered, marked 预览稿); nothing is stored."""
    from caseflow.replies.issue import preview

    return HTMLResponse(preview(session, case, "reply", today=today()))
