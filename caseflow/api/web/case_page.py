"""The list of requests and one request's page (zh-CN): the workspace with the actions the caller may
take, an action taken from its form, the full ID number viewed, the letters, the evidence package
downloaded and the reply's preview."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from caseflow import clock, queries, service
from caseflow.api.deps import Authorized, Caller, CurrentCase, Id, SessionDep, actor_of, authorize, check_csrf
from caseflow.api.downloads import disposition_headers
from caseflow.api.web import cards, listing, story
from caseflow.api.web.forms import facts_from_form, fields_for, for_kind, label_of, with_choices, zh_error
from caseflow.api.web.release import prepare_released
from caseflow.api.web.rendering import error_page, render
from caseflow.cases.consultations import consultation_choices
from caseflow.dates import today
from caseflow.errors import CaseflowError, FactsError, NotFound
from caseflow.release.copies import PREPARED_FOR
from caseflow.states.actions import ACTIONS, RECORD_ONLY
from caseflow.states.machine import OPEN_STATES

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)


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
