"""The applicant's online supplement (补正) and withdrawal (issue 18 / D): the applicant's side.

On their request page (``/public/r/{token}``) an applicant may answer a supplement notice (text and
files) while the request is in the supplement-required state, and ask to withdraw the request (with a
reason) while it is open. Either is stored as an ``applicant_submission`` (pending): nothing about the
request changes until a clerk records it through the engine (``caseflow.portal.followup_record``),
dated the day it arrived. One submission of a kind is pending at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from caseflow.dates import SHANGHAI
from caseflow.dates import now as current_moment
from caseflow.db import lock_case, write_transaction
from caseflow.errors import FactsError, NotFound, RuleViolation
from caseflow.evidence.chain import canonical
from caseflow.evidence.store import DocumentStore
from caseflow.models import ApplicantSubmission, Case
from caseflow.portal import uploads
from caseflow.portal.access import LinkError, code_matches, open_link
from caseflow.states.machine import OPEN_STATES, STATE_NAMES, State

SUPPLEMENT = "supplement"
WITHDRAWAL = "withdrawal"
KIND_NAMES = {SUPPLEMENT: "补正材料", WITHDRAWAL: "撤回申请"}
STATUS_NAMES = {"pending": "等待机关登记", "recorded": "机关已登记", "declined": "机关未予登记"}
MAX_TEXT = 4000
MAX_FILES = uploads.MAX_ATTACHMENTS


@dataclass(frozen=True)
class File:
    filename: str
    data: bytes


def check_file(file: File) -> tuple[str, str]:
    """(the file's name as kept, its media type by content): the portal's own upload rule
    (``caseflow.portal.uploads``: PDF, images, Office documents, size limit), or FactsError on ``files``."""
    try:
        checked = uploads.check(uploads.ATTACHMENT, file.filename, file.data)
    except FactsError as exc:
        raise FactsError([("files", message) for _, message in exc.errors]) from None
    return checked.filename, checked.media_type


def resolve(session: Session, token: str) -> Case:
    """The request a page token (``caseflow.portal.access``) opens; NotFound for any bad token."""
    try:
        case_id, tag = open_link(token)
    except LinkError as exc:
        raise NotFound(str(exc), code="link_invalid") from None
    case = session.get(Case, case_id)
    if case is None or not code_matches(tag, case.query_code):
        raise NotFound("链接无效，请使用查询编号和查询码查询", code="link_invalid")
    return case


def submissions(session: Session, case_id: int, *, status: str | None = None) -> list[ApplicantSubmission]:
    query = select(ApplicantSubmission).where(col(ApplicantSubmission.case_id) == case_id)
    if status is not None:
        query = query.where(col(ApplicantSubmission.status) == status)
    return list(session.exec(query.order_by(col(ApplicantSubmission.id))))


def _pending(session: Session, case_id: int, kind: str) -> ApplicantSubmission | None:
    return next((s for s in submissions(session, case_id, status="pending") if s.kind == kind), None)


def supplement_refusal(session: Session, case: Case) -> str | None:
    """Why the supplement form is not offered now (None: it is)."""
    assert case.id is not None
    if case.state != State.SUPPLEMENT_REQUIRED.value:
        return "本申请当前不需要补正，无需在线提交补正材料"
    if _pending(session, case.id, SUPPLEMENT) is not None:
        return "您已提交的补正材料尚待机关登记，登记前不能再次提交"
    return None


def withdrawal_refusal(session: Session, case: Case) -> str | None:
    """Why the withdrawal form is not offered now (None: it is)."""
    assert case.id is not None
    if case.state not in {s.value for s in OPEN_STATES}:
        return "本申请已经答复或终止办理，不能再撤回"
    if _pending(session, case.id, WITHDRAWAL) is not None:
        return "您的撤回申请尚待机关确认"
    return None


def check_offered(session: Session, case: Case, kind: str) -> None:
    """RuleViolation (409) when the request does not take a submission of ``kind`` now."""
    if kind not in KIND_NAMES:
        raise NotFound(f"没有该类提交：{kind}")
    refusal = supplement_refusal(session, case) if kind == SUPPLEMENT else withdrawal_refusal(session, case)
    if refusal is not None:
        raise RuleViolation(refusal, code="submission_not_offered")


def state_name(case: Case) -> str:
    return STATE_NAMES.get(State(case.state), case.state)


def as_dict(row: ApplicantSubmission) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "kind_name": KIND_NAMES.get(row.kind, row.kind),
        "text": row.text,
        "files": row.files,
        "content_sha256": row.content_sha256,
        "submitted_at": row.submitted_at.astimezone(SHANGHAI),
        "client_address": row.client_address,
        "status": row.status,
        "status_name": STATUS_NAMES.get(row.status, row.status),
        "decided_at": row.decided_at.astimezone(SHANGHAI) if row.decided_at else None,
        "note": row.note,
    }


def applicant_view(session: Session, case: Case) -> dict[str, Any]:
    """What the applicant's request page shows of supplements and withdrawal (template
    ``_applicant_actions.html``): merged into that page's context."""
    assert case.id is not None
    rows = submissions(session, case.id)
    no_supplement = supplement_refusal(session, case)
    no_withdrawal = withdrawal_refusal(session, case)
    return {
        "followups": [as_dict(r) for r in rows if r.status != "recorded" or r.kind == SUPPLEMENT],
        "supplement_offered": no_supplement is None,
        "supplement_refusal": no_supplement,
        "withdrawal_offered": no_withdrawal is None,
        "withdrawal_refusal": no_withdrawal,
    }


def submit(
    session: Session,
    case: Case,
    kind: str,
    text: str,
    files: list[File] = [],  # noqa: B006 - never mutated
    *,
    client_address: str,
    now: dt.datetime | None = None,
) -> ApplicantSubmission:
    """Store the applicant's supplement or withdrawal (pending), all or nothing. Refusals:
    RuleViolation when the request does not take it now, FactsError naming the field."""
    assert case.id is not None
    check_offered(session, case, kind)
    text = text.strip()
    errors: list[tuple[str, str]] = []
    field = "text" if kind == SUPPLEMENT else "reason"
    if not text:
        errors.append((field, "请填写补正内容" if kind == SUPPLEMENT else "请填写撤回的理由"))
    elif len(text) > MAX_TEXT:
        errors.append((field, f"不能超过{MAX_TEXT}字"))
    if kind == WITHDRAWAL and files:
        errors.append(("files", "撤回申请不附文件"))
    if len(files) > MAX_FILES:
        errors.append(("files", f"最多上传{MAX_FILES}个文件"))
    checked: list[tuple[File, str, str]] = []
    for file in files:
        try:
            checked.append((file, *check_file(file)))
        except FactsError as exc:
            errors.extend(exc.errors)
            break
    if not errors and sum(len(f.data) for f in files) > uploads.MAX_TOTAL_BYTES:
        errors.append(("files", f"上传的文件合计超过 {uploads.MAX_TOTAL_BYTES // uploads.MB} MB 的上限"))
    if errors:
        raise FactsError(errors)
    moment = (now or current_moment()).astimezone(SHANGHAI)
    store = DocumentStore()
    stored = []
    with write_transaction(session):
        locked = lock_case(session, case.id)  # one pending of a kind: checked again under the lock
        assert locked is not None
        check_offered(session, locked, kind)
        for file, name, media in checked:
            digest = store.put(session, file.data, media_type=media, filename=name)
            assert digest == hashlib.sha256(file.data).hexdigest()
            stored.append({"sha256": digest, "filename": name, "media_type": media, "size": len(file.data)})
        content = {"kind": kind, "text": text, "files": stored, "case": case.tracking_no}
        row = ApplicantSubmission(
            case_id=case.id,
            kind=kind,
            text=text,
            files=stored,
            content_sha256=hashlib.sha256(canonical(content).encode()).hexdigest(),
            submitted_at=moment,
            client_address=client_address[:100],
        )
        session.add(row)
    session.refresh(row)
    return row
