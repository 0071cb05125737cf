"""The ``applicant_mail`` job: messages to applicants created once and sent at most once.

Each run first creates the messages (``caseflow.portal.messages.collect``) for the letters issued
and deliveries recorded since the last finished run (a few minutes' overlap; ``dedupe_key`` makes a
second creation a no-op), for the channels that are on: e-mail when ``CASEFLOW_SMTP_HOST`` is set,
SMS texts when ``CASEFLOW_SMS_GATEWAY`` is. A channel switched on later therefore never announces
old letters: the runs while it was off moved the starting point on (and a first run ever looks back
``FIRST_RUN_WITHIN`` only). Then it sends them exactly as staff mail is sent
(``caseflow.scheduled.mail``): each message is claimed in its own committed transaction before it is
handed over and marked sent after; a crash in between leaves it claimed, never resent; an outright
refusal (an SMTP 4xx/5xx answer, ``SmsRefused``) releases it for the next run. The Message-ID is
derived from the row. The address is read from the applicant at sending time and the signed link
to the applicant's page is added then.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import asdict
from email.message import EmailMessage
from email.utils import formataddr

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from caseflow.dates import SHANGHAI
from caseflow.models import Agency, Applicant, ApplicantMessage, Case
from caseflow.portal import messages
from caseflow.portal.access import sign_link
from caseflow.portal.sms import GatewayError, SmsGateway, SmsRefused, load_gateway
from caseflow.scheduled.runs import Failure, JobResult, last_finished
from caseflow.settings import Settings, get_settings

NAME = "applicant_mail"
#: Messages older than this are not sent any more (a channel repaired later must not flood anyone).
SEND_WITHIN = dt.timedelta(days=7)
#: How far back the first run ever looks (the day's letters; older ones are never announced).
FIRST_RUN_WITHIN = dt.timedelta(days=1)
#: Letters committed by transactions still open when the last run scanned are found by the next.
OVERLAP = dt.timedelta(minutes=10)


def link(settings: Settings, case: Case) -> str:
    assert case.id is not None
    return f"{settings.base_url.rstrip('/')}/public/r/{sign_link(case.id, case.query_code, sent=True)}"


def _since(engine: Engine, moment: dt.datetime) -> dt.datetime:
    with Session(engine) as session:
        last = last_finished(session, NAME)
    if last is None:
        return moment - FIRST_RUN_WITHIN
    return max(moment - SEND_WITHIN, min(last.as_of, moment) - OVERLAP)


def _create(engine: Engine, moment: dt.datetime, channels: frozenset[str]) -> list[str]:
    since = _since(engine, moment)
    with Session(engine) as session:
        drafts = messages.collect(session, since, channels)
        known = set(
            session.exec(
                select(ApplicantMessage.dedupe_key).where(
                    col(ApplicantMessage.dedupe_key).in_([d.dedupe_key for d in drafts])
                )
            )
        )
    created = []
    for draft in drafts:
        if draft.dedupe_key in known:
            continue
        with Session(engine) as session:
            session.add(ApplicantMessage(**asdict(draft), created_at=moment))
            try:
                session.commit()
            except IntegrityError:  # made meanwhile by another run
                session.rollback()
                continue
        created.append(draft.dedupe_key)
    return created


def _claim(engine: Engine, message_id: int, moment: dt.datetime) -> bool:
    with Session(engine) as session:
        claimed = session.execute(
            update(ApplicantMessage)
            .where(col(ApplicantMessage.id) == message_id, col(ApplicantMessage.claimed_at).is_(None))
            .values(claimed_at=moment)
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
        return bool(claimed)


def _finish(engine: Engine, message_id: int, *, release: bool, **values: object) -> None:
    with Session(engine) as session:
        if release:
            values["claimed_at"] = None
        if isinstance(values.get("error"), str):
            values["error"] = str(values["error"])[:500]
        session.execute(
            update(ApplicantMessage).where(col(ApplicantMessage.id) == message_id).values(**values)
        )
        session.commit()


Pending = list[tuple[ApplicantMessage, Case, Applicant, Agency]]


def _refused(
    engine: Engine,
    result: JobResult,
    row: ApplicantMessage,
    case: Case,
    job: str,
    exc: Exception,
    recipient: str,
) -> None:
    """An outright refusal (never handed over): released for the next run, and a failure of this one."""
    assert row.id is not None
    _finish(engine, row.id, release=True, error=f"refused: {exc}", recipient=recipient)
    result.failed.append(Failure(case.tracking_no, job, f"{row.dedupe_key}: {exc}"))


def _sent(
    engine: Engine,
    result: JobResult,
    row: ApplicantMessage,
    case: Case,
    moment: dt.datetime,
    *,
    recipient: str,
    provider_ref: str,
    channel: str,
) -> None:
    assert row.id is not None
    _finish(
        engine,
        row.id,
        release=False,
        sent_at=moment,
        error="",
        recipient=recipient,
        provider_ref=provider_ref,
    )
    result.done.append(f"{case.tracking_no} {channel} {row.dedupe_key}")


def _pending(engine: Engine, moment: dt.datetime, channel: str) -> Pending:
    with Session(engine, expire_on_commit=False) as session:
        rows = session.exec(
            messages.with_addressee(ApplicantMessage, col(ApplicantMessage.case_id))
            .where(
                col(ApplicantMessage.claimed_at).is_(None),
                col(ApplicantMessage.created_at) >= moment - SEND_WITHIN,
                col(ApplicantMessage.channel) == channel,
            )
            .order_by(col(ApplicantMessage.id))
        ).all()
    return [(m, c, a, g) for m, c, a, g in rows]


def _mail(
    settings: Settings, row: ApplicantMessage, case: Case, applicant: Applicant, address: str
) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = f"【政府信息公开】{row.subject}"
    mail["From"] = settings.smtp_from
    mail["To"] = formataddr((applicant.name, address))
    domain = settings.smtp_from.rpartition("@")[2] or "caseflow"
    mail["Message-ID"] = f"<applicant-message-{row.id}-{row.dedupe_key.replace(':', '.')}@{domain}>"
    mail.set_content(
        f"{row.body}\n\n{link(settings, case)}\n\n"
        "（本邮件由政府信息公开申请办理系统自动发送，请勿直接回复；链接请勿转发他人。）"
    )
    return mail


def _send_mail(engine: Engine, settings: Settings, moment: dt.datetime, result: JobResult) -> None:
    pending = _pending(engine, moment, messages.EMAIL)
    if not pending:
        return
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        for row, case, applicant, _agency in pending:
            assert row.id is not None
            address = messages.address_for(applicant, messages.EMAIL)
            if address is None or not _claim(engine, row.id, moment):
                continue  # the address was removed meanwhile, or another run has it
            mail = _mail(settings, row, case, applicant, address)
            recipient = messages.masked(address, messages.EMAIL)
            try:
                smtp.send_message(mail)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                _refused(engine, result, row, case, "applicant_mail", exc, recipient)
                continue
            _sent(
                engine,
                result,
                row,
                case,
                moment,
                recipient=recipient,
                provider_ref=str(mail["Message-ID"]),
                channel="mail",
            )


def _send_sms(engine: Engine, gateway: SmsGateway, moment: dt.datetime, result: JobResult) -> None:
    settings = get_settings()
    for row, case, applicant, _agency in _pending(engine, moment, messages.SMS):
        assert row.id is not None
        phone = messages.address_for(applicant, messages.SMS)
        if phone is None or not _claim(engine, row.id, moment):
            continue
        recipient = messages.masked(phone, messages.SMS)
        try:
            ref = gateway.send(phone, f"{row.body}{link(settings, case)}")
        except SmsRefused as exc:
            _refused(engine, result, row, case, "applicant_sms", exc, recipient)
            continue
        except Exception as exc:  # handed over or not: uncertain, so never sent again
            _finish(engine, row.id, release=False, error=f"uncertain: {type(exc).__name__}: {exc}")
            result.failed.append(Failure(case.tracking_no, "applicant_sms", f"{row.dedupe_key}: {exc}"))
            continue
        _sent(engine, result, row, case, moment, recipient=recipient, provider_ref=ref[:200], channel="sms")


def notify_applicants(engine: Engine, now: dt.datetime) -> JobResult:
    """Create the applicants' messages since the last run and send every unsent one."""
    settings = get_settings()
    moment = now.astimezone(SHANGHAI)
    result = JobResult()
    try:
        gateway = load_gateway(settings.sms_gateway)
    except GatewayError as exc:  # misconfigured: no texts (reported on every run), mail still goes
        gateway = None
        result.failed.append(Failure("", "applicant_sms", str(exc)))
    channels = frozenset(
        name
        for name, on in ((messages.EMAIL, bool(settings.smtp_host)), (messages.SMS, gateway is not None))
        if on
    )
    _create(engine, moment, channels)
    if messages.EMAIL in channels:
        try:
            _send_mail(engine, settings, moment, result)
        except (OSError, smtplib.SMTPException) as exc:  # the server is unreachable or went away
            result.failed.append(Failure("", "applicant_mail", f"{type(exc).__name__}: {exc}"))
    if gateway is not None:
        _send_sms(engine, gateway, moment, result)
    return result


def sent_for_case(session: Session, case_id: int) -> list[ApplicantMessage]:
    """The messages sent to the applicant of a request, newest first (for the case page)."""
    return list(
        session.exec(
            select(ApplicantMessage)
            .where(col(ApplicantMessage.case_id) == case_id, col(ApplicantMessage.sent_at).is_not(None))
            .order_by(col(ApplicantMessage.id).desc())
        )
    )
