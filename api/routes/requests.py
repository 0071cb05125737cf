"""JSON API v1: requests, their actions, deadline, evidence events and letters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.deps import API_ERRORS, Authorized, CurrentCase, Id, IsoDate, SessionDep, actor_of, authorize
from caseflow import clock, queries, service
from caseflow.dates import today
from caseflow.errors import NotFound
from caseflow.models import Letter
from caseflow.replies.issue import issued_files, preview
from caseflow.states.machine import ACTIONS

router = APIRouter(
    prefix="/api/v1", tags=["requests"], dependencies=[Depends(authorize)], responses=API_ERRORS
)


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facts: dict[str, Any] = Field(default_factory=dict, description="The facts the action needs")
    expected_version: int | None = Field(default=None, description="The version you saw (stale: 409)")


class Page(BaseModel):
    total: int
    page: int
    size: int
    items: list[dict[str, Any]]


@router.post("/requests", status_code=201, name="create_request")
def create_request(
    application: service.Application,
    caller: Authorized,
    session: SessionDep,
    agency: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    """Register a request (Art. 29 content; Art. 31 receipt date by channel). Clerks only."""
    actor = actor_of(caller)
    code = agency
    if code is None:
        from caseflow.models import Agency

        home = session.get(Agency, actor.agency_id)
        assert home is not None
        code = home.code
    case = service.register(session=session, actor=actor, agency_code=code, application=application)
    return queries.case_detail(session, case, today=today(), full_identity=False)


@router.get("/requests", name="list_requests")
def list_requests(
    caller: Authorized,
    session: SessionDep,
    state: Annotated[str | None, Query(max_length=30)] = None,
    overdue: bool | None = None,
    due_within: Annotated[int | None, Query(ge=0, le=60)] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    outcome: Annotated[str | None, Query(max_length=40)] = None,
    received_from: IsoDate | None = None,
    received_to: IsoDate | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page:
    """Requests the caller may see, soonest deadline first (identity numbers masked)."""
    flt = queries.CaseFilter(
        state=state,
        overdue=overdue,
        due_within=due_within,
        agency=agency,
        q=q,
        outcome=outcome,
        received_from=received_from,
        received_to=received_to,
    )
    total, items = queries.list_cases(session, actor_of(caller), flt, today=today(), page=page, size=size)
    return Page(total=total, page=page, size=size, items=items)


@router.get("/requests/{case_id}", name="get_request")
def get_request(
    case: CurrentCase, caller: Authorized, session: SessionDep, full_identity: bool = False
) -> dict[str, Any]:
    """One request. ``full_identity=true`` shows the identity number whole and records that view."""
    if full_identity:
        assert case.id is not None
        case = service.perform(
            session=session, case_id=case.id, actor=actor_of(caller), action="view_identity"
        )
    return queries.case_detail(session, case, today=today(), full_identity=full_identity)


@router.get("/requests/{case_id}/actions", name="request_actions")
def request_actions(case: CurrentCase, caller: Authorized, session: SessionDep) -> list[dict[str, Any]]:
    """The actions the caller may take now, with the facts each needs (JSON Schema)."""
    names = service.actions_for(session, actor_of(caller), case)
    return [
        {"action": n, "label": ACTIONS[n].label, "facts": ACTIONS[n].facts.model_json_schema()} for n in names
    ]


@router.post("/requests/{case_id}/actions/{action}", name="perform_action")
def perform_action(
    case: CurrentCase, action: str, body: ActionBody, caller: Authorized, session: SessionDep
) -> dict[str, Any]:
    """Take an action: 200 with the new state; 409 illegal now or stale; 403 role; 422 facts."""
    assert case.id is not None
    updated = service.perform(
        session=session,
        case_id=case.id,
        actor=actor_of(caller),
        action=action,
        facts=body.facts,
        expected_version=body.expected_version,
    )
    return queries.case_detail(session, updated, today=today(), full_identity=False)


@router.get("/requests/{case_id}/deadline", name="request_deadline")
def request_deadline(case: CurrentCase, caller: Authorized) -> dict[str, Any]:
    """The clock's answer with its explanation (the same as ``caseflow deadline`` on the ledger)."""
    result = clock.compute(
        clock.Timeline.from_json({"received": case.receipt_date.isoformat(), "events": case.ledger})
    )
    return {
        "id": case.id,
        "tracking_no": case.tracking_no,
        **result.to_json(),
        "working_days_left": result.working_days_left(today()),
    }


@router.get("/requests/{case_id}/events", name="request_events")
def request_events(case: CurrentCase, caller: Authorized, session: SessionDep) -> list[dict[str, Any]]:
    """The evidence events in order with their hashes (recompute them as the README says)."""
    assert case.id is not None
    return queries.events(session, case.id)


@router.get("/requests/{case_id}/letters", name="request_letters")
def request_letters(case: CurrentCase, caller: Authorized, session: SessionDep) -> list[dict[str, Any]]:
    assert case.id is not None
    return queries.letters(session, case.id)


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reasons: str | None = Field(default=None, max_length=8000)
    where_to_obtain: str | None = Field(default=None, max_length=2000)
    responsible_agency: str | None = Field(default=None, max_length=200)
    provided: str | None = Field(default=None, max_length=8000)


@router.post(
    "/requests/{case_id}/letters/preview",
    name="preview_letter",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "The reply as it would be issued"}},
)
def preview_letter(case: CurrentCase, body: PreviewBody, caller: Authorized, session: SessionDep) -> Response:
    """The drafted reply as HTML, unnumbered, with edits to its free-text parts; nothing is stored."""
    html = preview(
        session,
        case,
        "reply",
        today=today(),
        overrides={k: v for k, v in body.model_dump().items() if v is not None},
    )
    return Response(html, media_type="text/html; charset=utf-8")


@router.get(
    "/letters/{letter_id}",
    name="get_letter",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "text/html": {}}, "description": "The letter"}},
)
def get_letter(
    letter_id: Id,
    caller: Authorized,
    session: SessionDep,
    format: Annotated[str, Query(pattern="^(pdf|html)$")] = "pdf",
) -> Response:
    """A letter exactly as issued (PDF or HTML)."""
    letter = session.get(Letter, letter_id)
    if letter is None:
        raise NotFound(f"no letter {letter_id}")
    service.load_visible(session, actor_of(caller), letter.case_id, lock=False)  # 404 for other agencies
    files = issued_files(letter)
    if format not in files:
        raise NotFound(f"letter {letter_id} has no {format.upper()} (issued without one)")
    media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
    filename = f"letter-{letter.id}.{format}"
    return Response(
        files[format], media_type=media, headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )


@router.get(
    "/requests/{case_id}/evidence",
    name="request_evidence",
    responses={200: {"content": {"application/zip": {}}}},
)
def request_evidence(case: CurrentCase, caller: Authorized, session: SessionDep) -> Response:
    """The request's evidence package: a signed BagIt zip that verifies without caseflow
    (``caseflow evidence verify FILE.zip``). The export itself is recorded as an evidence event."""
    return evidence_download(session, actor_of(caller), case.tracking_no)


def evidence_download(session: Session, actor: service.Actor, tracking_no: str) -> Response:
    """One request's evidence package as a zip download (for the API and the case page)."""
    from caseflow.evidence.export import export_case_zip

    data = export_case_zip(session, actor, tracking_no)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{tracking_no}-evidence.zip"'},
    )


@router.get(
    "/evidence/public-key",
    name="evidence_public_key",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}}},
)
def evidence_public_key(caller: Authorized) -> Response:
    """The installation's Ed25519 public key (PEM) that signs evidence packages."""
    from caseflow.evidence.keys import key_paths

    return Response(key_paths()[1].read_bytes(), media_type="application/x-pem-file")
