"""JSON API v1 and the auditor's page: the signed checkpoints of the evidence chains."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlmodel import col, select

from caseflow.api.deps import API_ERRORS, Authorized, Id, SessionDep, authorize
from caseflow.api.downloads import disposition_headers
from caseflow.evidence import anchor
from caseflow.models import Checkpoint

router = APIRouter(
    prefix="/api/v1", tags=["evidence"], dependencies=[Depends(authorize)], responses=API_ERRORS
)
pages = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)
LIMIT = 1000


def _rows(session: SessionDep) -> list[Checkpoint]:
    return list(session.exec(select(Checkpoint).order_by(col(Checkpoint.number).desc()).limit(LIMIT)))


def _row(session: SessionDep, checkpoint_id: int) -> Checkpoint:
    row = session.get(Checkpoint, checkpoint_id)
    if row is None:
        raise HTTPException(404, "没有这个检查点")
    return row


@router.get("/checkpoints", name="list_checkpoints")
def list_checkpoints(caller: Authorized, session: SessionDep) -> dict[str, Any]:
    """The checkpoint log, newest first (at most 1000): number, moment, size, root, predecessor."""
    return {"items": anchor.summary_of(_rows(session))}


@router.get(
    "/checkpoints/key",
    name="checkpoint_public_key",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}}},
)
def checkpoint_public_key(caller: Authorized) -> Response:
    """The public key (PEM) that signs checkpoints, to keep and verify them with."""
    from caseflow.evidence.checkpoint import configured_public_pem

    pem = configured_public_pem()
    if pem is None:
        raise HTTPException(404, "尚未签发检查点，还没有检查点密钥")
    return Response(pem, media_type="application/x-pem-file")


@router.get(
    "/checkpoints/{checkpoint_id}",
    name="get_checkpoint",
    response_class=FileResponse,
    responses={200: {"content": {"application/json": {}}}},
)
def get_checkpoint(checkpoint_id: Id, caller: Authorized, session: SessionDep) -> FileResponse:
    """The checkpoint file (JSON: the signed statement and every request's leaf)."""
    row = _row(session, checkpoint_id)
    path = anchor.directory() / row.file_name
    if not path.is_file():
        raise HTTPException(404, "检查点文件不在本机的数据目录中")
    return FileResponse(path, media_type="application/json", headers=disposition_headers(row.file_name))


@router.get(
    "/checkpoints/{checkpoint_id}/timestamp",
    name="get_checkpoint_timestamp",
    response_class=Response,
    responses={200: {"content": {"application/timestamp-reply": {}}}},
)
def get_checkpoint_timestamp(checkpoint_id: Id, caller: Authorized, session: SessionDep) -> Response:
    """The checkpoint's RFC 3161 time-stamp (DER TimeStampResp) over its statement."""
    row = _row(session, checkpoint_id)
    if row.tsa_token is None:
        raise HTTPException(404, "这个检查点没有时间戳")
    name = row.file_name.removesuffix(".json") + ".tsr"
    return Response(
        row.tsa_token,
        media_type="application/timestamp-reply",
        headers=disposition_headers(name),
    )


@pages.get("/checkpoints", name="page_checkpoints")
def page_checkpoints(request: Request, caller: Authorized, session: SessionDep) -> HTMLResponse:
    from caseflow.api.web.rendering import render

    return render(request, "checkpoints.html", rows=_rows(session))
