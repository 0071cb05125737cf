"""Registering a request (Art. 29 content, Art. 31 receipt date), its tracking number and query code."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlmodel import Session, col, select

from caseflow import identity, law
from caseflow.calendar import WorkingCalendar, default_calendar
from caseflow.cases.engine import Actor, apply_deadline, parse_facts
from caseflow.dates import SHANGHAI, legal_date, zh
from caseflow.dates import now as current_moment
from caseflow.db import begin_write
from caseflow.errors import FactsError, Forbidden, NotFound
from caseflow.evidence import chain
from caseflow.evidence.store import DocumentStore
from caseflow.models import Agency, Applicant, Case, CaseDocument
from caseflow.numbering import next_number
from caseflow.states.machine import CLERK, State
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
    id_type: Line = Field(min_length=1, max_length=60, description="居民身份证, 统一社会信用代码, ...")
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

    @model_validator(mode="after")
    def _art29_and_31(self) -> Application:
        if not (self.phone or self.email or self.address):
            raise ValueError(
                "phone: the application must give at least one contact (phone, e-mail or address), Art. 29"
            )
        if self.channel is not law.Channel.IN_PERSON:
            if self.confirmed_on is None:
                raise ValueError(
                    f"confirmed_on: required for {self.channel.value}: "
                    f"{law.RECEIPT_DATE_RULES[self.channel]} (Art. 31)"
                )
            if not self.receipt_proof:
                raise ValueError(
                    f"receipt_proof: required for {self.channel.value} (the signed receipt, "
                    "tracking number or confirmation record)"
                )
            if self.confirmed_on < legal_date(self.arrived_at):
                raise ValueError("confirmed_on: cannot be before the application arrived")
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
            raise ValueError("confirmed_on: cannot be before the application arrived")
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


@dataclass(frozen=True)
class Upload:
    kind: str  # application, envelope, confirmation, identity, ...
    data: bytes
    media_type: str
    filename: str = ""


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def register(
    *,
    session: Session,
    actor: Actor,
    agency_code: str,
    application: Application | dict[str, object],
    uploads: tuple[Upload, ...] = (),
    now: dt.datetime | None = None,
    calendar: WorkingCalendar | None = None,
    store: DocumentStore | None = None,
) -> Case:
    """Register a request: the first evidence event, the clock started. One transaction."""
    app = parse_facts(Application, application)
    moment = (now or current_moment()).astimezone(SHANGHAI)
    today = legal_date(moment)
    receipt = app.receipt_date()
    if app.arrived_at > moment:
        raise FactsError([("arrived_at", f"{app.arrived_at.isoformat()} is in the future")])
    if receipt > today:
        raise FactsError([("confirmed_on", f"{receipt.isoformat()} is in the future")])
    if receipt < law.REGULATION_2007_IN_FORCE:
        raise FactsError([("arrived_at", "before the Regulation came into force")])
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
            raise NotFound(f"no agency {agency_code!r}")
        assert agency.id is not None
        sealed = identity.seal(app.id_type, app.id_number)
        applicant = Applicant(
            type=app.applicant_type.value,
            name=app.applicant_name,
            id_type=app.id_type,
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
        # The event commits to the number (keyed HMAC) and shows it masked, never in clear.
        # The reason for a late confirmation (Art. 31) is a fact only where there is one.
        hidden = {"id_number"} | (set() if app.late_confirmation_reason else {"late_confirmation_reason"})
        if app.kind is law.RequestKind.DISCLOSURE:  # the default: its events stay as they were
            hidden.add("kind")
        facts = app.model_dump(mode="json", exclude=hidden)
        facts.update(
            id_number_masked=sealed.masked,
            id_number_hmac=sealed.hmac,
            tracking_no=case.tracking_no,
            receipt_date=receipt.isoformat(),
            receipt_rule=law.RECEIPT_DATE_RULES[app.channel],
            agency=agency.code,
        )
        from caseflow.replies.issue import issue

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
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return case


def check_register_role(actor: Actor) -> None:
    if CLERK not in actor.roles:
        raise Forbidden(
            f"registering a request needs the role clerk; {actor.username} has "
            f"{', '.join(sorted(actor.roles)) or 'no role'}"
        )
