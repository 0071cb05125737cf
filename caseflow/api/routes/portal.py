"""JSON API v1: online applications (网上申请, issue 18): public submission and look-up, the clerks'
inbox, confirmation (Art. 31(3): registers the request) and return as not an application."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData

from caseflow import queries
from caseflow.api.deps import API_ERRORS, Authorized, ErrorBody, Id, SessionDep, actor_of, authorize
from caseflow.api.ratelimits import (
    LOOKUP_REFUSED,
    SUBMIT_REFUSED,
    check_lookup,
    check_submit,
    client_address,
    looked_up,
)
from caseflow.api.uploads import chosen_files
from caseflow.dates import today
from caseflow.portal import applications as portal
from caseflow.portal import uploads
from caseflow.portal.application_status import public_status
from caseflow.texts import Text

router = APIRouter(prefix="/api/v1", dependencies=[Depends(authorize)], responses=API_ERRORS)

_SUBMIT_THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": SUBMIT_REFUSED}
}
_LOOKUP_THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": LOOKUP_REFUSED}
}


class Submitted(BaseModel):
    submission_no: str
    access_code: str = Field(description="Shown once; stored only as its hash")
    status: str


class ConfirmBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    late_confirmation_reason: Text = Field(
        default="",
        max_length=1000,
        description="Why the confirmation is later than the day the application arrived (Art. 31)",
    )


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its ``$defs`` references replaced by the definitions (the route
    declares its body in ``openapi_extra``, where no component is registered for it)."""
    defs = schema.pop("$defs", {})

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {k: walk(v) for k, v in item.items() if k != "$ref"}
                return walk(defs[ref.rsplit("/", 1)[1]]) | rest
            return {k: walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    inlined: dict[str, Any] = walk(schema)
    return inlined


def _submit_body() -> dict[str, Any]:
    """The request body of ``POST /public/applications`` as the OpenAPI description gives it."""
    json_schema = _inlined(portal.OnlineForm.model_json_schema())
    binary = {"type": "string", "format": "binary"}
    multipart = {
        "type": "object",
        "properties": {
            **json_schema["properties"],
            "id_scan": binary | {"description": "The ID document scan (optional; one file)"},
            "attachments": {
                "type": "array",
                "items": binary,
                "maxItems": uploads.MAX_ATTACHMENTS,
                "description": f"Attachments (at most {uploads.MAX_ATTACHMENTS})",
            },
        },
        "required": json_schema.get("required", []),
    }
    return {
        "required": True,
        "description": (
            "JSON, or multipart/form-data with the same fields and the files `id_scan` (the ID document "
            f"scan, optional) and `attachments` (up to {uploads.MAX_ATTACHMENTS}). Files are checked by "
            "their content: PDF, JPEG, PNG, WebP, HEIC, Word, Excel, PowerPoint, OpenDocument; each at "
            f"most {uploads.MAX_FILE_BYTES // uploads.MB} MB, together at most "
            f"{uploads.MAX_TOTAL_BYTES // uploads.MB} MB; anything else is 422 naming the file (field "
            "`id_scan` or `attachments`) and nothing is stored."
        ),
        "content": {
            "application/json": {"schema": json_schema},
            "multipart/form-data": {"schema": multipart},
        },
    }


def checked_files(raw: FormData) -> list[uploads.Checked]:
    """The files of a posted form (``id_scan``, ``attachments``), each checked by its content; an
    empty file input (no file chosen) is no file. ``FactsError`` naming the first file refused."""
    found = [uploads.check(kind, filename, data) for kind, filename, data in chosen_files(raw)]
    uploads.check_all(found)
    return found


async def _submission(request: Request) -> tuple[dict[str, Any], list[uploads.Checked]]:
    """The posted application's fields and its checked files (JSON: no files)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raw = await request.form(max_files=uploads.MAX_ATTACHMENTS + 2, max_fields=100)
        fields = {k: v for k, v in raw.multi_items() if isinstance(v, str) and v != ""}
        return fields, await run_in_threadpool(checked_files, raw)
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise HTTPException(400, "请求内容应为 JSON 对象，或 multipart/form-data 表单")
    return body, []


@router.post(
    "/public/applications",
    status_code=201,
    name="public_submit_application",
    tags=["public"],
    responses=_SUBMIT_THROTTLED,
    openapi_extra={"requestBody": _submit_body()},
)
async def submit_application(request: Request, session: SessionDep) -> Submitted:
    """Apply online, without an account: the Art. 29 content as for clerk intake (less channel and
    receipt details) plus ``agency``; as JSON, or as multipart/form-data with the ID document scan
    and attachments. It waits for a clerk's confirmation; keep the access code. One transaction: the
    application and its files are stored together or not at all."""
    address = client_address(request)
    await run_in_threadpool(check_submit, request)
    fields, files = await _submission(request)
    done = await run_in_threadpool(portal.submit, session, fields, client_address=address, files=files)
    return Submitted(submission_no=done.submission_no, access_code=done.access_code, status=done.status)


@router.get(
    "/public/applications/{submission_no}",
    name="public_application_status",
    tags=["public"],
    responses=_LOOKUP_THROTTLED,
)
def application_status(
    request: Request,
    session: SessionDep,
    submission_no: str,
    code: Annotated[str, Query(min_length=1, max_length=40)],
) -> dict[str, Any]:
    """An online application's status with its access code; once confirmed its ``tracking_no``,
    ``query_code``, ``receipt_date``, ``reply_due`` and the letters issued. Nothing personal."""
    check_lookup(request, submission_no[:40])
    found = looked_up(request, submission_no[:40], public_status(session, submission_no[:40], code))
    if found is None:
        raise HTTPException(404, "没有与该提交编号和查询码相符的网上申请")
    return found


@router.get("/applications", name="list_online_applications", tags=["applications"])
def list_applications(
    caller: Authorized,
    session: SessionDep,
    status: Literal["pending", "awaiting_confirmation", "confirmed", "returned"] = "pending",
) -> list[dict[str, Any]]:
    """The caller's agency's online applications (``pending``: awaiting confirmation), oldest first,
    with how long each has waited."""
    wanted = portal.AWAITING if status == "pending" else status
    return portal.inbox(session, actor_of(caller), wanted)


@router.post(
    "/applications/{application_id}/confirm",
    status_code=201,
    name="confirm_online_application",
    tags=["applications"],
)
def confirm_application(
    application_id: Id, caller: Authorized, session: SessionDep, body: ConfirmBody | None = None
) -> dict[str, Any]:
    """Confirm (Art. 31(3)): the request is registered, channel 网络, receipt date today; 201 with it."""
    reason = body.late_confirmation_reason if body else ""
    case = portal.confirm(session, actor_of(caller), application_id, late_confirmation_reason=reason)
    return queries.case_detail(session, case, today=today(), full_identity=False)


@router.post("/applications/{application_id}/return", name="return_online_application", tags=["applications"])
def return_application(
    application_id: Id, caller: Authorized, session: SessionDep, body: portal.ReturnForm
) -> dict[str, Any]:
    """Return it as not an application for government information (e.g. 信访 content), with reasons."""
    row = portal.return_application(session, actor_of(caller), application_id, body)
    return {"id": row.id, "submission_no": row.submission_no, "status": row.status, "reasons": body.reasons}
