"""JSON API v1: requests, their actions, deadline, evidence events and letters."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.background import BackgroundTask

from caseflow import clock, law, queries, service
from caseflow.api.deps import (
    API_ERRORS,
    Authorized,
    CurrentCase,
    Id,
    IsoDate,
    SessionDep,
    actor_of,
    authorize,
)
from caseflow.api.downloads import disposition_headers
from caseflow.dates import today
from caseflow.errors import NotFound
from caseflow.models import Letter
from caseflow.release import copies
from caseflow.replies.issue import issued_files, preview
from caseflow.states.actions import ACTIONS, RECORD_ONLY

#: A page's place: rank~due~done~tie (``caseflow.case_list.Cursor``), or ``end`` for ``before``.
CURSOR = r"^(end|[0-2]~[0-9-]*~[0-9-]*~-?[0-9]+)$"

router = APIRouter(
    prefix="/api/v1", tags=["requests"], dependencies=[Depends(authorize)], responses=API_ERRORS
)


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facts: dict[str, Any] = Field(default_factory=dict, description="The facts the action needs")
    expected_version: int | None = Field(default=None, description="The version you saw (stale: 409)")


class Page(BaseModel):
    #: the number of matching requests, or the cap (1000) when there are more (``total_capped``)
    total: int
    total_capped: bool = False
    page: int
    size: int
    items: list[dict[str, Any]]
    #: the next page: ``after=<this>``; the previous: ``before=<previous>`` (None at either end)
    next: str | None = None
    previous: str | None = None


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
    kind: Annotated[law.RequestKind | None, Query()] = None,
    received_from: IsoDate | None = None,
    received_to: IsoDate | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[str | None, Query(max_length=60, pattern=CURSOR)] = None,
    before: Annotated[str | None, Query(max_length=60, pattern=CURSOR)] = None,
) -> Page:
    """Requests the caller may see (identity numbers masked): open requests by working days left
    (most overdue first), then those whose clock is stopped, then concluded ones, most recent first.
    Page with ``after`` (the ``next`` of a page) or ``before`` (its ``previous``; ``end``: the last
    page): an index seek however deep; ``page`` alone counts from the start (``page`` is then only
    echoed)."""
    flt = queries.CaseFilter(
        state=state,
        overdue=overdue,
        due_within=due_within,
        agency=agency,
        q=q,
        outcome=outcome,
        received_from=received_from,
        received_to=received_to,
        kind=kind.value if kind else None,
    )
    try:
        start = queries.Cursor.parse(after) if after else None
        end = None if not before else before if before == "end" else queries.Cursor.parse(before)
    except ValueError as exc:
        raise HTTPException(422, f"无效的分页位置：{after or before}") from exc
    found = queries.list_page(
        session, actor_of(caller), flt, today=today(), page=page, size=size, after=start, before=end
    )
    more_after = found.last is not None and found.more_after
    return Page(
        total=found.total,
        total_capped=found.capped,
        page=page,
        size=size,
        items=found.rows,
        next=found.last.token() if more_after and found.last else None,
        previous=found.first.token() if found.first and found.more_before else None,
    )


@router.get("/requests/{case_id}", name="get_request")
def get_request(case: CurrentCase, caller: Authorized, session: SessionDep) -> dict[str, Any]:
    """One request, the applicant's ID number masked (``POST .../identity`` shows it whole)."""
    return queries.case_detail(session, case, today=today(), full_identity=False)


@router.post("/requests/{case_id}/identity", name="request_identity")
def request_identity(case: CurrentCase, caller: Authorized, session: SessionDep) -> dict[str, Any]:
    """The request with the applicant's ID number in full. Every such view is first recorded as a
    ``view_identity`` evidence event (who, when); a browser session needs ``X-CSRF-Token``."""
    assert case.id is not None
    case = service.perform_grouped(
        session=session, case_id=case.id, actor=actor_of(caller), action="view_identity"
    )
    return queries.case_detail(session, case, today=today(), full_identity=True)


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
    """Take an action: 200 with the new state; 409 illegal now or stale; 403 role; 422 facts. Actions
    that only record something seen or done elsewhere (an export, a full identity view) are not
    taken here (404). On a request with records to release, draft_reply, approve_reply,
    confidentiality_review and issue_reply first make the released copies for the boxes as they are."""
    case_id = case.id
    assert case_id is not None
    if action in RECORD_ONLY:
        raise NotFound(f"没有该操作：{action}（该记录由相应功能自动产生，不能直接提交）")
    if action in copies.PREPARED_FOR and action in service.actions_for(session, actor_of(caller), case):
        # the released copies for the boxes as they are, burnt outside the engine's transaction
        copies.prepare_before_reply(session, case)
    updated = service.perform_grouped(
        session=session,
        case_id=case_id,
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
    responsible_contact: str | None = Field(default=None, max_length=500)
    search_description: str | None = Field(default=None, max_length=4000)
    query_law: str | None = Field(default=None, max_length=500)
    query_where: str | None = Field(default=None, max_length=2000)
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
    """A letter exactly as issued (PDF or HTML). A letter of a request the caller may not see is
    answered exactly as one that does not exist."""
    letter = session.get(Letter, letter_id)
    try:
        if letter is None:
            raise NotFound("")
        service.load_visible(session, actor_of(caller), letter.case_id, lock=False)
    except NotFound:
        raise NotFound("没有这份文书") from None  # the same answer whether it exists elsewhere or not
    files = issued_files(letter)
    if format == "pdf" and letter.pdf_pending:
        raise NotFound("该文书的PDF文本尚在生成中（PDF 生成中），请稍后再试", code="pdf_pending")
    if format not in files:
        raise NotFound(f"该文书签发时未生成{format.upper()}")
    media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
    return Response(
        files[format],
        media_type=media,
        headers=disposition_headers(
            f"{letter.letter_no}.{format}", inline=True, fallback=f"letter-{letter.id}.{format}"
        ),
    )


@router.get(
    "/requests/{case_id}/evidence",
    name="request_evidence",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
def request_evidence(
    case: CurrentCase, caller: Authorized, session: SessionDep, masked: bool = False
) -> Response:
    """The request's evidence package for API clients signed in with a bearer token: a signed BagIt
    zip that verifies without caseflow (``caseflow evidence verify FILE.zip``). The export is
    recorded as an evidence event once the package is complete. A browser session must use ``POST``
    with its CSRF token (an export is recorded: a link must not be able to cause one)."""
    if caller.via != "token":
        raise HTTPException(
            403, "浏览器会话下载证据包须用 POST 并附 X-CSRF-Token（或在案件页面点击“下载证据包”）"
        )
    return evidence_download(session, actor_of(caller), case.tracking_no, masked=masked)


@router.post(
    "/requests/{case_id}/evidence",
    name="request_evidence_download",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
def request_evidence_download(
    case: CurrentCase,
    caller: Authorized,
    session: SessionDep,
    masked: bool = False,
    include_originals: bool = False,
) -> Response:
    """The same package by ``POST`` (bearer token, or browser session with ``X-CSRF-Token``).
    ``masked=true``: the variant for external auditors (ID numbers masked, register events written
    before the identity commitment redacted with their hashes as recorded). ``include_originals=true``
    (auditors and supervisors): also the originals of released records, flagged internal."""
    return evidence_download(
        session, actor_of(caller), case.tracking_no, masked=masked, include_originals=include_originals
    )


def evidence_download(
    session: Session,
    actor: service.Actor,
    tracking_no: str,
    *,
    masked: bool = False,
    include_originals: bool = False,
) -> Response:
    """One request's evidence package as a zip download (for the API and the case page).

    The package is written completely to a temporary file, the export is recorded on the request
    (with the package's SHA-256), and then the file is sent; the temporary file is removed after
    the response. Recording before sending is deliberate: whether every byte reached the browser
    cannot be known reliably (a proxy buffers, a server drops what a gone client would have got),
    so the record errs towards an export that was made rather than one that went out unrecorded.
    A failed export sends nothing and records nothing."""
    from caseflow.evidence.export import Scope, export

    folder = Path(tempfile.mkdtemp(prefix="caseflow-download-"))
    out = folder / "evidence.zip"
    try:
        export(
            session=session,
            actor=actor,
            scope=Scope(tracking_no=tracking_no),
            out=out,
            masked=masked,
            include_originals=include_originals,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        out,
        media_type="application/zip",
        headers=disposition_headers(f"{tracking_no}-evidence{'-masked' if masked else ''}.zip"),
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
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
