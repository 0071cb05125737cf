"""Registering a request (Art. 29 content, Art. 31 receipt date), its tracking number and query code."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlmodel import Session, col, select

from caseflow import identity, law
from caseflow.calendar import WorkingCalendar, default_calendar
from caseflow.cases import applicant_checks
from caseflow.cases.actor import Actor
from caseflow.cases.engine import apply_deadline, parse_facts
from caseflow.cases.upload import Upload
from caseflow.dates import SHANGHAI, legal_date, zh
from caseflow.dates import now as current_moment
from caseflow.db import begin_write
from caseflow.errors import FactsError, Forbidden, NotFound
from caseflow.evidence import chain
from caseflow.evidence.store import DocumentStore
from caseflow.models import Agency, Applicant, Case, CaseDocument, PendingUpload
from caseflow.numbering import next_number
from caseflow.replies.issue import issue
from caseflow.states.machine import State
from caseflow.states.roles import CLERK, ROLE_NAMES
from caseflow.texts import Line, Text, refuse_controls

QUERY_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
QUERY_CODE_LENGTH = 8


class Application(BaseModel):
    """What an application must carry (Art. 29) and how it arrived (Art. 31). Stored as given."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    #: A disclosure request, or a correction request (Art. 41: ``description`` says which record
    #: about the applicant is inaccurate and how; the uploads are the applicant's proof).
    kind: law.RequestKind = law.RequestKind.DISCLOSURE
    applicant_type: law.ApplicantType
    applicant_name: Line = Field(min_length=1, max_length=200)
    id_type: law.IdType = Field(description="A code of law.IdType, or its Chinese name (居民身份证, ...)")
    id_number: Line = Field(min_length=1, max_length=80)
    phone: Line = Field(default="", max_length=60)
    email: Line = Field(default="", max_length=200)
    address: Line = Field(default="", max_length=300)
    description: Text = Field(min_length=1, max_length=8000, description="The information sought")
    document_no_sought: Line = Field(default="", max_length=200)
    provision_form: law.ProvisionForm
    channel: law.Channel
    arrived_at: AwareDatetime
    confirmed_on: dt.date | None = Field(
        default=None, description="Post: the day signed for; letter, internet, fax: the day confirmed"
    )
    receipt_proof: Line = Field(
        default="", max_length=500, description="Tracking number, confirmation record, ..."
    )
    late_confirmation_reason: Text = Field(
        default="",
        max_length=1000,
        description="Internet, fax: why the confirmation is later than the day the application arrived "
        "(required then, recorded and stated on the receipt letter; Art. 31)",
    )

    @field_validator("*", mode="after")
    @classmethod
    def _no_controls(cls, value: object) -> object:
        return refuse_controls(value)

    # The applicant's particulars (caseflow.cases.applicant_checks): each refusal names its field.
    @field_validator("id_type", mode="before")
    @classmethod
    def _id_type_code(cls, value: object) -> object:
        return applicant_checks.id_type(value)

    @field_validator("id_type")
    @classmethod
    def _id_type_fits(cls, value: law.IdType, info: ValidationInfo) -> law.IdType:
        if isinstance(info.data.get("applicant_type"), law.ApplicantType):
            applicant_checks.check_id_type_for(info.data["applicant_type"], value)
        return value

    @field_validator("id_number")
    @classmethod
    def _id_number_valid(cls, value: str, info: ValidationInfo) -> str:
        if isinstance(info.data.get("id_type"), law.IdType):
            applicant_checks.check_id_number(info.data["id_type"], value)
        return value

    @field_validator("phone")
    @classmethod
    def _phone_valid(cls, value: str) -> str:
        applicant_checks.check_phone(value)
        return value

    @field_validator("email")
    @classmethod
    def _email_valid(cls, value: str) -> str:
        applicant_checks.check_email(value)
        return value

    @property
    def id_type_name(self) -> str:
        """What the applicant row and the register event hold: the document's Chinese name."""
        return law.ID_TYPE_NAMES[self.id_type]

    @model_validator(mode="after")
    def _art29_and_31(self) -> Application:
        if not (self.phone or self.email or self.address):
            raise ValueError(
                "phone: 至少填写一种联系方式（电话、电子邮箱或通信地址）"
                f"（{law.APPLICATION_CONTENT_BASIS.label}）"
            )
        if self.channel is not law.Channel.IN_PERSON:
            if self.confirmed_on is None:
                raise ValueError(
                    f"confirmed_on: {law.CHANNEL_NAMES[self.channel]}的申请须填写签收或确认日期："
                    f"{law.RECEIPT_DATE_RULES[self.channel]}（{law.RECEIPT_DATE_BASIS.label}）"
                )
            if not self.receipt_proof:
                raise ValueError(
                    f"receipt_proof: {law.CHANNEL_NAMES[self.channel]}的申请须填写收到凭证"
                    "（签收单、邮件号码或确认记录）"
                )
            if self.confirmed_on < legal_date(self.arrived_at):
                raise ValueError("confirmed_on: 签收或确认日期不能早于申请到达之日")
        self._receipt_rule()
        return self

    def _receipt_rule(self) -> None:
        """The channel's Art. 31 rule (law.RECEIPT_RULES): may the receipt date follow the arrival day?"""
        rule = law.RECEIPT_RULES[self.channel]
        name = law.CHANNEL_NAMES[self.channel]
        arrived = legal_date(self.arrived_at)
        confirmed = self.confirmed_on or arrived
        said = f"{name}的申请{rule.text}（{rule.basis.label}）"
        if confirmed < arrived:
            raise ValueError("confirmed_on: 签收或确认日期不能早于申请到达之日")
        if confirmed > arrived and rule.later is law.LaterReceipt.NEVER:
            what = "提交" if self.channel is law.Channel.IN_PERSON else "到达"
            raise ValueError(
                f"confirmed_on: {said}：申请于{zh(arrived)}{what}，{zh(confirmed)}晚于{what}之日，"
                f"不能作为收到申请之日；收到申请之日为{zh(arrived)}"
            )
        late = confirmed > arrived and rule.later is law.LaterReceipt.WITH_REASON
        if late and not self.late_confirmation_reason:
            raise ValueError(
                f"late_confirmation_reason: {said}：申请于{zh(arrived)}到达，{zh(confirmed)}才确认，"
                "须写明确认晚于到达之日的理由（记入登记记录并载明于登记回执）"
            )
        if self.late_confirmation_reason and not late:
            raise ValueError(
                "late_confirmation_reason: 仅网络、传真申请的确认日期晚于到达之日时填写"
                f"（{law.RECEIPT_DATE_BASIS.label}）；本申请的收到申请之日为{zh(confirmed)}，无需说明理由"
            )

    def receipt_date(self) -> dt.date:
        """Art. 31: in person, the day submitted; otherwise the day signed for or confirmed."""
        if self.channel is law.Channel.IN_PERSON:
            return legal_date(self.arrived_at)
        assert self.confirmed_on is not None
        return self.confirmed_on


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def register(
    *,
    session: Session,
    actor: Actor,
    agency_code: str,
    application: Application | dict[str, object],
    uploads: tuple[Upload, ...] = (),
    consumed: tuple[PendingUpload, ...] = (),
    now: dt.datetime | None = None,
    calendar: WorkingCalendar | None = None,
    store: DocumentStore | None = None,
    extra_facts: Mapping[str, object] | None = None,
    before_commit: Callable[[Session, Case], None] | None = None,
) -> Case:
    """Register a request: the first evidence event, the clock started. One transaction.

    ``extra_facts`` join the register event's facts (an online application's submission:
    ``caseflow.portal``); ``before_commit`` writes what must commit with the request (or not at all)."""
    app = parse_facts(Application, application)
    moment = (now or current_moment()).astimezone(SHANGHAI)
    today = legal_date(moment)
    receipt = app.receipt_date()
    check_when(app, moment)
    if app.kind is law.RequestKind.CORRECTION and receipt < law.CORRECTION_IN_FORCE:
        raise FactsError(
            [
                (
                    "kind",
                    f"更正申请依据{law.CORRECTION_BASIS.label}办理，该条自{zh(law.CORRECTION_IN_FORCE)}起施行；"
                    f"收到申请之日{zh(receipt)}早于该日，本系统不按更正申请登记",
                )
            ]
        )
    cal = calendar or default_calendar()
    begin_write(session)
    try:
        check_register_role(actor)
        role = CLERK
        agency = session.exec(select(Agency).where(col(Agency.code) == agency_code)).one_or_none()
        if agency is None or not actor.sees(agency.path):
            raise NotFound(f"没有代码为 {agency_code} 的机关")
        assert agency.id is not None
        sealed = identity.seal(app.id_type_name, app.id_number)
        applicant = Applicant(
            type=app.applicant_type.value,
            name=app.applicant_name,
            id_type=app.id_type_name,
            id_number_enc=sealed.enc,
            id_number_hmac=sealed.hmac,
            id_number_masked=sealed.masked,
            phone=app.phone,
            email=app.email,
            address=app.address,
        )
        session.add(applicant)
        session.flush()
        assert applicant.id is not None
        number = next_number(session, "tracking", f"{agency.code}:{receipt.year}")
        case = Case(
            tracking_no=f"{agency.code.upper()}-{receipt.year}-{number:05d}",
            query_code=new_query_code(),
            agency_id=agency.id,
            applicant_id=applicant.id,
            handler_id=actor.user_id,
            channel=app.channel.value,
            arrived_at=app.arrived_at,
            receipt_date=receipt,
            receipt_proof=app.receipt_proof,
            description=app.description,
            document_no_sought=app.document_no_sought,
            provision_form=app.provision_form.value,
            kind=app.kind.value,
            state=State.RECEIVED.value,
            ledger=[],
            created_at=moment,
            updated_at=moment,
        )
        apply_deadline(case, cal)
        session.add(case)
        session.flush()
        assert case.id is not None
        documents = []
        if uploads:
            docs = store or DocumentStore()
            for upload in uploads:
                digest = docs.put(
                    session, upload.data, media_type=upload.media_type, filename=upload.filename
                )
                session.add(CaseDocument(case_id=case.id, sha256=digest, kind=upload.kind, event_seq=1))
                documents.append((upload.kind, digest))
        for pending in consumed:  # the form's pending uploads became these documents: gone with the commit
            session.delete(pending)
        # The event commits to the number (keyed HMAC) and shows it masked, never in clear.
        # The reason for a late confirmation (Art. 31) is a fact only where there is one.
        hidden = {"id_number"} | (set() if app.late_confirmation_reason else {"late_confirmation_reason"})
        if app.kind is law.RequestKind.DISCLOSURE:  # the default: its events stay as they were
            hidden.add("kind")
        facts = app.model_dump(mode="json", exclude=hidden)
        facts.update(
            id_type=app.id_type_name,
            id_number_masked=sealed.masked,
            id_number_hmac=sealed.hmac,
            tracking_no=case.tracking_no,
            receipt_date=receipt.isoformat(),
            receipt_rule=law.RECEIPT_DATE_RULES[app.channel],
            agency=agency.code,
        )
        facts.update(extra_facts or {})
        late = (
            {
                "late_confirmation_reason": app.late_confirmation_reason,
                "arrived_on": zh(legal_date(app.arrived_at)),
            }
            if app.late_confirmation_reason
            else None
        )
        receipt = issue(session, case, "receipt", issue_date=today, moment=moment, notice=late)
        documents.extend(receipt.documents)
        facts.update(receipt.facts)
        chain.append(
            session,
            case,
            chain.EventRecord(
                actor=actor.username,
                role=role,
                action="register",
                from_state=None,
                to_state=case.state,
                facts=facts,
                basis=(law.APPLICATION_CONTENT_BASIS.label, law.RECEIPT_DATE_BASIS.label)
                + ((law.CORRECTION_BASIS.label,) if app.kind is law.RequestKind.CORRECTION else ()),
                documents=tuple(documents),
            ),
            moment,
        )
        if before_commit is not None:
            before_commit(session, case)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return case


def check_when(app: Application, moment: dt.datetime) -> None:
    """Refuse an application that has not arrived yet or arrived before the Regulation: the one check
    of registering and of computing the deadlines on the intake form before registering."""
    moment = moment.astimezone(SHANGHAI)
    arrived = app.arrived_at.astimezone(SHANGHAI)
    receipt = app.receipt_date()
    if arrived > moment:
        said = f"到达时间{_minute(arrived)}晚于现在（{_minute(moment)}），尚未到达的申请不能登记"
        raise FactsError([("arrived_at", said)])
    if receipt > legal_date(moment):
        raise FactsError(
            [("confirmed_on", f"签收或确认日期{zh(receipt)}晚于今天（{zh(legal_date(moment))}），不能登记")]
        )
    if receipt < law.REGULATION_2007_IN_FORCE:
        raise FactsError(
            [
                (
                    "arrived_at",
                    f"收到申请之日{zh(receipt)}早于{law.REGULATION}施行之日（{zh(law.REGULATION_2007_IN_FORCE)}）",
                )
            ]
        )


def _minute(moment: dt.datetime) -> str:
    return f"{zh(moment.date())} {moment:%H:%M}"


def check_register_role(actor: Actor) -> None:
    if CLERK not in actor.roles:
        has = "、".join(ROLE_NAMES.get(r, r) for r in sorted(actor.roles)) or "没有任何角色"
        raise Forbidden(f"登记申请须由{ROLE_NAMES[CLERK]}进行；{actor.username} 的角色是：{has}")
