"""Online applications (网上申请): submitted without an account, confirmed or returned by a clerk.

An application submitted online is not yet a registered request: Art. 31(3) of the Regulation takes
the day both sides confirm it as the receipt date. ``submit`` keeps the Art. 29 content as submitted
(checked as clerk intake checks it: ``caseflow.cases.intake.Application``; the ID number sealed as an
applicant's is), its SHA-256, the client's address and the hash of the access code the applicant gets
back, in one transaction. A clerk of the chosen agency ``confirm``s it, which registers the request
through the intake path (channel 网络, receipt date = the confirmation day; the register event records
the submission) in the same transaction as the application's new status, or ``return_application``s it
as not an application, with reasons.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from caseflow import identity, law
from caseflow.cases.actor import Actor
from caseflow.cases.engine import parse_facts
from caseflow.cases.intake import QUERY_CODE_ALPHABET, Application, check_register_role, register
from caseflow.dates import SHANGHAI, legal_date, zh
from caseflow.dates import now as current_moment
from caseflow.db import write_transaction
from caseflow.errors import FactsError, NotFound, RuleViolation
from caseflow.evidence.chain import canonical
from caseflow.evidence.store import DocumentStore
from caseflow.models import (
    Agency,
    Case,
    OnlineApplication,
    OnlineApplicationFile,
    PortalPendingUpload,
)
from caseflow.portal import inbox_rules, return_notice, uploads
from caseflow.texts import Line, Text

AWAITING = "awaiting_confirmation"
CONFIRMED = "confirmed"
RETURNED = "returned"
STATUS_NAMES = {AWAITING: "待确认", CONFIRMED: "已确认受理", RETURNED: "已退回（不作为政府信息公开申请处理）"}
ACCESS_CODE_LENGTH = 12
#: The intake fields an applicant does not give online: how and when it arrived is the system's to say.
NOT_ONLINE = frozenset({"channel", "arrived_at", "confirmed_on", "receipt_proof", "late_confirmation_reason"})


class OnlineForm(BaseModel):
    """The online application: the Art. 29 content as for clerk intake, less channel and receipt
    details, plus the agency applied to. Checked further as intake checks it (``Application``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    agency: Line = Field(min_length=1, max_length=40, description="The agency's code")
    kind: law.RequestKind = law.RequestKind.DISCLOSURE
    applicant_type: law.ApplicantType
    applicant_name: Line = Field(min_length=1, max_length=200)
    id_type: str = Field(min_length=1, max_length=40, description="A code of law.IdType, or its Chinese name")
    id_number: Line = Field(min_length=1, max_length=80)
    phone: Line = Field(default="", max_length=60)
    email: Line = Field(default="", max_length=200)
    address: Line = Field(default="", max_length=300)
    description: Text = Field(min_length=1, max_length=8000, description="The information sought")
    document_no_sought: Line = Field(default="", max_length=200)
    provision_form: law.ProvisionForm


class ReturnForm(BaseModel):
    """Why an online application is returned as not an application (e.g. 信访 content, no contact)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reasons: list[Text] = Field(min_length=1, max_length=10)


@dataclass(frozen=True)
class Submitted:
    submission_no: str
    access_code: str
    status: str


def hash_code(code: str) -> str:
    """The stored form of an access code (case and surrounding blanks do not count)."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def random_code(length: int) -> str:
    """A random code of ``length`` letters and digits that cannot be confused."""
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(length))


def _application(form: OnlineForm, arrived: dt.datetime, confirmed: dt.date, **more: Any) -> Application:
    """The intake ``Application`` the form makes: channel 网络, confirmed on ``confirmed``."""
    data = form.model_dump(exclude={"agency"}) | {
        "channel": law.Channel.INTERNET.value,
        "arrived_at": arrived,
        "confirmed_on": confirmed,
        "receipt_proof": more.pop("receipt_proof", "网上申请"),
    }
    app: Application = parse_facts(Application, data | more)
    return app


def submit(
    session: Session,
    form: OnlineForm | dict[str, Any],
    *,
    client_address: str,
    now: dt.datetime | None = None,
    files: Sequence[uploads.Checked] = (),
    consumed: Sequence[PortalPendingUpload] = (),
) -> Submitted:
    """Check and keep an online application: all of it in one transaction, or nothing. ``files``
    (checked by ``uploads.check``) are stored with it and named in its hashed content; ``consumed``
    (the public form's kept files, now submitted) are deleted in the same transaction."""
    uploads.check_all(files)
    moment = (now or current_moment()).astimezone(SHANGHAI)
    app, agency = check(session, form, now=moment)
    assert agency.id is not None
    sealed = identity.seal(app.id_type_name, app.id_number)
    content = app.model_dump(mode="json", exclude=set(NOT_ONLINE) | {"id_number"})
    content.update(
        agency=agency.code,
        id_type=app.id_type.value,
        id_number_masked=sealed.masked,
        id_number_hmac=sealed.hmac,
        submitted_at=moment.isoformat(),
    )
    if files:  # their hashes, names and sizes are covered by the content's hash
        content["files"] = [f.described() for f in files]
    code = random_code(ACCESS_CODE_LENGTH)
    row = OnlineApplication(
        submission_no=f"W{moment:%Y%m%d}-{random_code(8)}",
        access_code_hash=hash_code(code),
        agency_id=agency.id,
        status=AWAITING,
        content=content,
        id_number_enc=sealed.enc,
        id_number_masked=sealed.masked,
        content_sha256=content_hash(content),
        client_address=client_address[:100],
        submitted_at=moment,
    )
    with write_transaction(session):
        session.add(row)
        session.flush()
        assert row.id is not None
        uploads.store(session, row.id, files)
        for kept in consumed:
            session.delete(kept)
    return Submitted(row.submission_no, code, row.status)


def check(
    session: Session, form: OnlineForm | dict[str, Any], *, now: dt.datetime | None = None
) -> tuple[Application, Agency]:
    """The application as intake reads it and the agency applied to, or ``FactsError`` naming the
    fields (what ``submit`` checks before storing anything; the public form also checks it alone)."""
    online: OnlineForm = parse_facts(OnlineForm, form)
    moment = (now or current_moment()).astimezone(SHANGHAI)
    app = _application(online, moment, legal_date(moment))
    agency = session.exec(select(Agency).where(col(Agency.code) == online.agency)).one_or_none()
    if agency is None:
        raise FactsError([("agency", f"没有代码为“{online.agency}”的机关，请从列表中选择受理机关")])
    return app, agency


def application_file(
    session: Session, actor: Actor, application_id: int, sha256: str
) -> tuple[OnlineApplicationFile, bytes]:
    """One file uploaded with an application to the actor's agency, and its bytes (checked against
    their hash); 404 for another agency's application or a hash it has no file of."""
    row, _ = _own(session, actor, application_id)
    assert row.id is not None
    found = uploads.file_of(session, row.id, sha256)
    return found, DocumentStore().read(found.sha256, session)


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the content's canonical JSON (the ID number only by its keyed commitment)."""
    return hashlib.sha256(canonical(content).encode()).hexdigest()


def _own(session: Session, actor: Actor, application_id: int) -> tuple[OnlineApplication, Agency]:
    """The application, if it was made to the actor's agency (others are not told it exists)."""
    check_register_role(actor)
    row = session.get(OnlineApplication, application_id)
    agency = session.get(Agency, row.agency_id) if row is not None else None
    if row is None or agency is None or not actor.sees(agency.path):
        raise NotFound(f"没有编号为 {application_id} 的网上申请")
    return row, agency


def _undecided(row: OnlineApplication, action: str) -> None:
    if row.status != AWAITING:
        when = zh(legal_date(row.decided_at)) if row.decided_at else ""
        raise RuleViolation(
            f"网上申请 {row.submission_no} 已于{when}{STATUS_NAMES[row.status]}，不能再{action}",
            code="application_decided",
        )


def _decide(session: Session, row: OnlineApplication, **values: Any) -> None:
    """Set the outcome only if nobody decided it meanwhile (the guard against two clerks at once)."""
    done = session.execute(
        update(OnlineApplication)
        .where(col(OnlineApplication.id) == row.id, col(OnlineApplication.status) == AWAITING)
        .values(**values)
    )
    if getattr(done, "rowcount", 1) != 1:
        raise RuleViolation(
            f"网上申请 {row.submission_no} 已由他人处理，请刷新后查看", code="application_decided"
        )


def confirm(
    session: Session,
    actor: Actor,
    application_id: int,
    *,
    late_confirmation_reason: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """Confirm the application (Art. 31(3)): the request is registered with today as its receipt date."""
    row, agency = _own(session, actor, application_id)
    _undecided(row, "确认")
    moment = (now or current_moment()).astimezone(SHANGHAI)
    content = dict(row.content)
    form = OnlineForm.model_validate(
        {k: v for k, v in content.items() if k in OnlineForm.model_fields}
        | {"id_number": identity.decrypt(row.id_number_enc)}
    )
    more: dict[str, Any] = {"receipt_proof": f"网上申请 {row.submission_no}，{zh(legal_date(moment))}确认"}
    # Arrived while the office was closed, confirmed on the first working day after: caseflow says why.
    automatic = inbox_rules.automatic_late_reason(row.submitted_at, legal_date(moment))
    if late_confirmation_reason or automatic:
        more["late_confirmation_reason"] = late_confirmation_reason or automatic
    app = _application(form, row.submitted_at, legal_date(moment), **more)
    submission: dict[str, Any] = {
        "online_submission_no": row.submission_no,
        "online_content_sha256": row.content_sha256,
        "online_submitted_at": row.submitted_at.isoformat(),
        "online_client_address": row.client_address,
        "online_confirmed_at": moment.isoformat(),
    }
    if automatic and not late_confirmation_reason:
        submission["online_late_reason_automatic"] = True

    def mark(session: Session, case: Case) -> None:
        _decide(session, row, status=CONFIRMED, case_id=case.id, decided_at=moment, decided_by=actor.username)

    return register(
        session=session,
        actor=actor,
        agency_code=agency.code,
        application=app,
        uploads=uploads.as_uploads(session, application_id),  # the ID scan, attachments: its documents
        now=moment,
        extra_facts=submission,
        before_commit=mark,
    )


def return_application(
    session: Session,
    actor: Actor,
    application_id: int,
    reasons: ReturnForm | dict[str, Any],
    *,
    now: dt.datetime | None = None,
) -> OnlineApplication:
    """Return the application as not an application for government information, with reasons."""
    form: ReturnForm = parse_facts(ReturnForm, reasons)
    row, agency = _own(session, actor, application_id)
    _undecided(row, "退回")
    moment = (now or current_moment()).astimezone(SHANGHAI)
    with write_transaction(session):
        notice = return_notice.store(session, row, agency, list(form.reasons), moment)
        _decide(
            session,
            row,
            status=RETURNED,
            return_reasons="\n".join(form.reasons),
            decided_at=moment,
            decided_by=actor.username,
            return_notice_sha256=notice,
        )
    session.refresh(row)
    return row


def inbox(
    session: Session, actor: Actor, status: str = AWAITING, *, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The actor's agency's online applications in ``status``, oldest first, with how long each waited."""
    check_register_role(actor)
    if status not in STATUS_NAMES:
        raise FactsError([("status", f"状态应为：{'、'.join(STATUS_NAMES)}")])
    moment = (now or current_moment()).astimezone(SHANGHAI)
    rows = session.exec(
        select(OnlineApplication)
        .where(col(OnlineApplication.agency_id) == actor.agency_id, col(OnlineApplication.status) == status)
        .order_by(col(OnlineApplication.submitted_at), col(OnlineApplication.id))
        .limit(500)
    )
    return [_staff_view(row, moment) for row in rows]


def pending_count(session: Session, agency_id: int | None) -> int:
    """The agency's online applications awaiting confirmation (the clerks' header link shows it)."""
    found = session.exec(
        select(func.count())
        .select_from(OnlineApplication)
        .where(col(OnlineApplication.agency_id) == agency_id, col(OnlineApplication.status) == AWAITING)
    ).one()
    return int(found)


def _staff_view(row: OnlineApplication, moment: dt.datetime) -> dict[str, Any]:
    shown = {k: v for k, v in row.content.items() if k != "id_number_hmac"}
    return {
        "id": row.id,
        "submission_no": row.submission_no,
        "status": row.status,
        "status_name": STATUS_NAMES[row.status],
        "submitted_at": row.submitted_at.isoformat(),
        **inbox_rules.waiting(row.submitted_at, moment).as_json(),
        "content": shown,
        "content_sha256": row.content_sha256,
        "client_address": row.client_address,
        "case_id": row.case_id,
        "return_reasons": row.return_reasons.split("\n") if row.return_reasons else [],
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "decided_by": row.decided_by,
        "return_notice_sha256": row.return_notice_sha256,
    }
