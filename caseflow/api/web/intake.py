"""The clerk's intake (zh-CN): the registration form, the deadline computed before registering, the
files kept across a refused submission, and the registration itself."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from caseflow import clock, law, service
from caseflow.api.deps import Authorized, Caller, SessionDep, actor_of, authorize, check_csrf
from caseflow.api.web.forms import zh_error, zh_validation
from caseflow.api.web.rendering import render
from caseflow.dates import now
from caseflow.errors import FactsError, RuleViolation

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)


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
