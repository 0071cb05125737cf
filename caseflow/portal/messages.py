"""Messages to applicants (e-mail, SMS text): what is sent, to whom, and its words.

Who is messaged: an applicant who can be reached electronically and has agreed to it, that is

- the request came in online (channel 网络): the applicant chose the electronic route and gave their
  contacts on a form that says they are used for the request; or
- the applicant asked for the information in an electronic form (电子数据, 电子邮件; Art. 29 para. 2
  item 3, Art. 40): they asked to be answered electronically.

Then an e-mail goes to the applicant's e-mail address, when there is one, and an SMS text to their
phone, when it is a mainland mobile number. An applicant who applied on paper for paper is not
messaged: they did not ask for it, and the office's letters reach them by post.

What is sent: (a) the registration (the receipt letter: tracking number, receipt date, reply due),
(b) every letter issued to the applicant (``law.APPLICANT_DOCUMENTS``: never a consultation letter or
decision notice to a third party), (c) what is awaited and until when, once the notice's delivery is
recorded (the period runs from then): the supplement and its last day, the fee and its pay-by day.
No message names the applicant's ID number; the stored ``recipient`` is masked (the full address is
read from the applicant when the message is sent) and the signed link to the applicant's page
(``caseflow.portal.access``) is added when the message is sent, never stored.

``collect`` reads what happened since a moment: letters issued and deliveries recorded then. Every
transition that issues a letter or records a delivery sets the request's ``updated_at`` to its
moment, so the scan starts from the requests changed since (an indexed column) and the transitions'
write path is untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import or_
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import Select

from caseflow import law
from caseflow.dates import zh
from caseflow.models import Agency, Applicant, Case, EvidenceEvent, FeeAssessment, Letter, NoticeDelivery

EMAIL = "email"
SMS = "sms"
CHANNELS = (EMAIL, SMS)
CHANNEL_NAMES = {EMAIL: "邮件", SMS: "短信"}
#: The provision forms that ask for an electronic answer.
ELECTRONIC_FORMS = frozenset({law.ProvisionForm.ELECTRONIC.value, law.ProvisionForm.EMAIL.value})
#: The notices whose recorded delivery starts a period in which the office awaits the applicant.
AWAITED_DOCUMENTS = frozenset({"supplement_notice", "fee_notice"})
R = TypeVar("R", bound=SQLModel)
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


@dataclass(frozen=True)
class Draft:
    """A message to create (``applicant_message``), not yet stored."""

    dedupe_key: str
    case_id: int
    kind: str  # receipt | letter | awaited
    letter_id: int | None
    channel: str
    recipient: str  # masked
    subject: str
    body: str


def mobile(phone: str) -> str | None:
    """The mainland mobile number in ``phone`` (spaces, dashes and +86 allowed), else None."""
    match = _MOBILE.fullmatch(re.sub(r"[\s\-()]", "", phone))
    return match.group(1) if match else None


def email_address(text: str) -> str | None:
    text = text.strip()
    return text if _EMAIL.fullmatch(text) else None


def address_for(applicant: Applicant, channel: str) -> str | None:
    """Where a message by ``channel`` goes, read from the applicant row when it is sent."""
    return email_address(applicant.email) if channel == EMAIL else mobile(applicant.phone)


def masked(address: str, channel: str) -> str:
    """What the office sees of the address: z***@example.cn, 139****5678."""
    if channel == EMAIL:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:3]}****{address[-4:]}"


def reachable(case: Case) -> bool:
    """The rule above: an online request, or one that asked for an electronic answer."""
    return case.channel == law.Channel.INTERNET.value or case.provision_form in ELECTRONIC_FORMS


def _reachable_sql() -> Any:
    return or_(
        col(Case.channel) == law.Channel.INTERNET.value, col(Case.provision_form).in_(ELECTRONIC_FORMS)
    )


# --- Words ----------------------------------------------------------------------------------------


def _event_facts(session: Session, case_id: int, seq: int) -> dict[str, Any]:
    payload = session.exec(
        select(EvidenceEvent.payload).where(
            col(EvidenceEvent.case_id) == case_id, col(EvidenceEvent.seq) == seq
        )
    ).first()
    facts = json.loads(payload).get("facts", {}) if payload else {}
    return facts if isinstance(facts, dict) else {}


def _items(session: Session, letter: Letter) -> list[str]:
    items = _event_facts(session, letter.case_id, letter.event_seq).get("items") or []
    return [str(item) for item in items]


def _fee(session: Session, case_id: int) -> FeeAssessment | None:
    return session.exec(
        select(FeeAssessment)
        .where(col(FeeAssessment.case_id) == case_id)
        .order_by(col(FeeAssessment.id).desc())
    ).first()


def _numbered(items: list[str]) -> str:
    return "\n".join(f"{n}. {item}" for n, item in enumerate(items, 1))


def _receipt(case: Case, agency: Agency) -> tuple[str, str, str]:
    due = f"\n答复期限：{zh(case.reply_due)}前" if case.reply_due else ""
    body = (
        f"您好：\n\n{agency.name}已登记您提出的政府信息公开申请。\n"
        f"查询编号：{case.tracking_no}\n收到申请日期：{zh(case.receipt_date)}{due}\n\n"
        "您可通过下方链接查看办理情况、下载登记回执等文书。"
    )
    due_sms = f"，答复期限{zh(case.reply_due)}" if case.reply_due else ""
    sms = f"【{agency.name}】您的政府信息公开申请已登记，查询编号{case.tracking_no}{due_sms}。查看："
    return "您的政府信息公开申请已登记", body, sms


def _letter(session: Session, letter: Letter, case: Case, agency: Agency) -> tuple[str, str, str]:
    lines = [
        "您好：",
        "",
        f"{agency.name}就您的政府信息公开申请（查询编号：{case.tracking_no}）出具了《{letter.title}》"
        f"（{letter.letter_no}），发文日期：{zh(letter.issued_on)}。",
    ]
    if letter.doc_type == "supplement_notice":
        items = _items(session, letter)
        if items:
            lines += ["", "需要您补正的内容：", _numbered(items)]
        if case.supplement_days:
            lines.append(f"补正期限：自您收到本告知书之日的次日起{case.supplement_days}个工作日内。")
    elif letter.doc_type == "fee_notice":
        fee = _fee(session, case.id or 0)
        if fee is not None:
            lines += [
                "",
                f"应缴纳信息处理费：{fee.amount_yuan}元，缴费期限自您收到本通知书之日的次日起计算。",
            ]
    lines += ["", "请通过下方链接查看和下载文书。"]
    sms = (
        f"【{agency.name}】您的政府信息公开申请（查询编号{case.tracking_no}）"
        f"有新文书《{letter.title}》。查看："
    )
    return f"{letter.title}（查询编号{case.tracking_no}）", "\n".join(lines), sms


def _awaited(
    session: Session, delivery: NoticeDelivery, case: Case, agency: Agency
) -> tuple[str, str, str] | None:
    """What the office awaits now that the notice reached the applicant; None once it is no longer awaited."""
    head = f"您好：\n\n您的政府信息公开申请（查询编号：{case.tracking_no}）"
    if delivery.doc_type == "supplement_notice":
        if case.supplement_due is None:
            return None  # answered (or closed) before this run
        letter = session.get(Letter, delivery.letter_id)
        items = _items(session, letter) if letter is not None else []
        what = f"\n需要补正的内容：\n{_numbered(items)}\n" if items else "\n"
        body = (
            f"{head}正在等待您补正。{what}"
            f"请于{zh(case.supplement_due)}前向{agency.name}补正（可在下方链接的页面上在线补正）。"
            "无正当理由逾期不补正的，视为放弃申请（《中华人民共和国政府信息公开条例》第三十条）。"
        )
        sms = (
            f"【{agency.name}】您的政府信息公开申请（查询编号{case.tracking_no}）"
            f"请于{zh(case.supplement_due)}前补正。查看："
        )
        return f"请于{zh(case.supplement_due)}前补正（查询编号{case.tracking_no}）", body, sms
    fee = _fee(session, case.id or 0)
    if fee is None or fee.status != "pending" or fee.pay_by is None:
        return None
    body = (
        f"{head}需要您缴纳信息处理费{fee.amount_yuan}元。\n"
        f"请于{zh(fee.pay_by)}前缴纳；逾期未缴纳的，{agency.name}不再处理该申请。"
    )
    sms = (
        f"【{agency.name}】您的政府信息公开申请（查询编号{case.tracking_no}）"
        f"请于{zh(fee.pay_by)}前缴纳信息处理费{fee.amount_yuan}元。查看："
    )
    return f"请于{zh(fee.pay_by)}前缴纳信息处理费（查询编号{case.tracking_no}）", body, sms


# --- Collecting -----------------------------------------------------------------------------------


def _drafts(
    key: str,
    case: Case,
    applicant: Applicant,
    kind: str,
    letter_id: int | None,
    words: tuple[str, str, str],
    channels: frozenset[str],
) -> list[Draft]:
    subject, body, sms = words
    out = []
    for channel in CHANNELS:
        address = address_for(applicant, channel) if channel in channels else None
        if address is None:
            continue
        assert case.id is not None
        out.append(
            Draft(
                f"{key}:{channel}",
                case.id,
                kind,
                letter_id,
                channel,
                masked(address, channel),
                subject,
                body if channel == EMAIL else sms,
            )
        )
    return out


def with_addressee(row: type[R], case_id: Any) -> Select[R, Case, Applicant, Agency]:
    """``row`` (a table with a case's id in ``case_id``) with its case, the applicant and the agency."""
    return (
        select(row, Case, Applicant, Agency)
        .join(Case, col(Case.id) == case_id)
        .join(Applicant, col(Applicant.id) == col(Case.applicant_id))
        .join(Agency, col(Agency.id) == col(Case.agency_id))
    )


def collect(session: Session, since: dt.datetime, channels: frozenset[str]) -> list[Draft]:
    """The messages for letters issued and deliveries recorded at or after ``since``, by ``channels``."""
    if not channels:
        return []
    changed = (col(Case.updated_at) >= since) & _reachable_sql()
    out: list[Draft] = []
    letters = session.exec(
        with_addressee(Letter, col(Letter.case_id))
        .where(changed, col(Letter.issued_at) >= since, col(Letter.doc_type).in_(law.APPLICANT_DOCUMENTS))
        .order_by(col(Letter.id))
    ).all()
    for letter, case, applicant, agency in letters:
        receipt = letter.doc_type == "receipt"
        words = _receipt(case, agency) if receipt else _letter(session, letter, case, agency)
        kind = "receipt" if receipt else "letter"
        out += _drafts(f"letter:{letter.id}", case, applicant, kind, letter.id, words, channels)
    deliveries = session.exec(
        with_addressee(NoticeDelivery, col(NoticeDelivery.case_id))
        .where(
            changed,
            col(NoticeDelivery.recorded_at) >= since,
            col(NoticeDelivery.doc_type).in_(AWAITED_DOCUMENTS),
        )
        .order_by(col(NoticeDelivery.id))
    ).all()
    for delivery, case, applicant, agency in deliveries:
        awaited = _awaited(session, delivery, case, agency)
        if awaited is not None:
            key = f"awaited:{delivery.id}"
            out += _drafts(key, case, applicant, "awaited", delivery.letter_id, awaited, channels)
    return out
