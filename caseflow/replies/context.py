"""What a letter says, gathered from the request, its agency and the law (no rule is written here
that ``caseflow.law`` does not state)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from caseflow import law
from caseflow.dates import zh
from caseflow.errors import RuleViolation
from caseflow.models import Agency, Applicant, Case


def letter_number(agency: Agency, doc: law.DocumentType, year: int, number: int) -> str:
    """某政办公开〔2026〕12号 (with the series' mark after the prefix: 某政办公开告〔2026〕3号).

    GB/T 9704-2012 7.2.4: 机关代字、年份、发文顺序号; the year in full in 〔〕; the serial number
    without 第 and without padding zeros."""
    return f"{agency.letter_prefix}{doc.series_mark}〔{year}〕{number}号"


def you(applicant_type: str) -> str:
    """How a letter addresses its applicant: 您 for a natural person, 你单位 for an organisation
    (a legal person or other organisation of any kind), never 您（单位）."""
    return "您" if applicant_type == law.ApplicantType.NATURAL_PERSON else "你单位"


def until(day: dt.date | str) -> str:
    """The last day of a period as letters state it: 2026年12月17日（含当日）前 (a date, or a date
    already written as 2026年12月17日)."""
    return f"{zh(day) if isinstance(day, dt.date) else day}（含当日）前"


#: Punctuation a clause may end with that the template's own punctuation would double (。。 or 。”。).
_TRAILING = "。，；、：,.;:!！ \t\r\n\u3000"


def clause(value: Any) -> Any:
    """Free text as a clause the template punctuates: trailing 。，；、： and white space removed
    (in strings, and in the strings of lists and dicts), so that "理由：{{ reasons }}。" never reads
    "。。" and "申请获取“{{ description }}”。" never reads "。”。"."""
    if isinstance(value, str):
        return value.rstrip(_TRAILING)
    if isinstance(value, list | tuple):
        return [clause(v) for v in value]
    if isinstance(value, dict):
        return {k: clause(v) for k, v in value.items()}
    return value


def require_settings(
    agency: Agency, *, needs_remedies: bool, review_first: bool, review_body: str | None = None
) -> None:
    """Refuse before anything is numbered when the agency's letter settings are incomplete.

    ``review_body``: the review body the letter names (set, or derived from the agency tree:
    ``caseflow.replies.remedy_bodies``); none is missing only when neither gives one. The court is
    never missing: without it the letter says 依法向人民法院提起行政诉讼."""
    from caseflow.agency_settings import LABELS, missing_message

    missing = []
    if not agency.letter_prefix:
        missing.append(LABELS["letter_prefix"])
    if needs_remedies and not (agency.review_body if review_body is None else review_body):
        missing.append(
            f"{LABELS['review_body']}（机关树中没有可据以确定的本级或者上一级人民政府，"
            f"{law.REVIEW_BODY_BASIS.label}）"
        )
    if missing:
        raise RuleViolation(missing_message(missing, agency.name or "本机关"), code="letter_settings_missing")


def remedies(
    agency: Agency, *, review_first: bool, subject: str = "本答复", review_body: str | None = None
) -> dict[str, Any]:
    """The remedies clause: review within 60 days; litigation within 6 months unless review comes
    first (a refusal to disclose since 2024-01-01, Review Law Art. 23), in which case the letter says
    so, offers no direct litigation and states the 15 days to sue after the review decision
    (Litigation Law Art. 45). The court is the agency's setting, or none is named (依法向人民法院)."""
    body = agency.review_body if review_body is None else review_body
    review = (
        f"如对{subject}不服，可以自知道该行政行为之日起{law.REVIEW_DAYS}日内向{body}"
        f"申请行政复议（{law.REVIEW_BASIS.label}）"
    )
    if review_first:
        text = (
            f"{review}。根据{law.REVIEW_FIRST_BASIS.label}的规定，对{subject}不服的，应当先申请行政复议；"
            f"对行政复议决定不服的，可以自收到行政复议决定书之日起{law.LITIGATION_AFTER_REVIEW_DAYS}日内"
            f"{law.COURT_UNNAMED}提起行政诉讼（{law.LITIGATION_AFTER_REVIEW_BASIS.label}）。"
        )
    else:
        court = f"向{agency.court}" if agency.court else law.COURT_UNNAMED
        text = (
            f"{review}，也可以自知道该行政行为之日起{law.LITIGATION_MONTHS}个月内{court}"
            f"提起行政诉讼（{law.LITIGATION_BASIS.label}）。"
        )
    return {
        "text": text,
        "review_first": review_first,
        "review_body": body,
        "court": None if review_first else (agency.court or None),
    }


def letter_context(
    *,
    case: Case,
    agency: Agency,
    applicant: Applicant,
    doc: law.DocumentType,
    title: str,
    issue_date: dt.date,
    number: str | None,
    notice: dict[str, Any],
    outcome: law.Outcome | None,
    reply: dict[str, Any],
    remedies_clause: dict[str, Any] | None,
    rules: law.RuleSet,
) -> dict[str, Any]:
    assert law.FEE_PAYMENT.days is not None
    return {
        "letter": {
            "title": title,
            "number": number,
            "date": zh(issue_date),
            "draft": number is None,
            "doc_type": doc.code,
            "series": doc.series,  # receipts are set tighter, to fit on one page
        },
        "agency": {"name": agency.name, "short_name": "本机关", "address": agency.address},
        "applicant": {"name": applicant.name, "type": applicant.type},
        # 您 or 你单位: how every letter to the applicant addresses them (GB/T 9704 wording).
        "you": you(applicant.type),
        "case": {
            "tracking_no": case.tracking_no,
            "query_code": case.query_code,
            "receipt_date": zh(case.receipt_date),
            "description": clause(case.description),
            "document_no_sought": clause(case.document_no_sought),
            "channel": law.CHANNEL_NAMES[law.Channel(case.channel)],
            "receipt_rule": law.RECEIPT_DATE_RULES[law.Channel(case.channel)],
            "provision_form": law.PROVISION_FORM_NAMES[law.ProvisionForm(case.provision_form)],
            "reply_due": zh(case.reply_due) if case.reply_due else "（期限中止中）",
            # The last day as a letter states it: 2026年12月17日（含当日）前.
            "reply_due_until": until(case.reply_due) if case.reply_due else "（期限中止中）",
            "provisional": case.provisional,
        },
        "basis": {
            "receipt": law.RECEIPT_DATE_BASIS.label,
            "reply": rules.reply_basis.label,
            "extension": rules.extension_basis.label,
            # The rule set's own articles: a request received before 2019-05-15 cites the 2007 text.
            "supplement": rules.supplement_notice_basis.label,
            "third_party": rules.third_party_basis.label,
            "pause": rules.pause_basis.label,
            "agency": law.AGENCY_OPINION.basis.label,
            "co_producer": law.CO_PRODUCER_OPINION.basis.label,
            # Every fee letter: Regulation Art. 42 and the Fee Measures' method, scales, notice.
            "fee": law.FEE_LETTER_BASIS_LABEL,
            "fee_notice": law.FEE_NOTICE_BASIS.label,
            "art35": law.ART35_DELAY.basis.label,
        },
        "periods": {
            "reply_days": rules.reply_days,
            "fee_days": law.FEE_PAYMENT.days,
            # Whose consultation does not count in the reply period (2007: third parties only).
            # (a co-producer and another agency are both 其他机关 here: "第三方和其他机关").
            "pausing_parties": "和".join(
                dict.fromkeys(
                    law.CONSULTATION_PARTY_NAMES["agency" if k == "co_producer" else k]
                    for k in rules.pausing_consultations
                )
            ),
        },
        "third_party_rule": rules.third_party_rule,
        "notice": clause(notice),
        "outcome": {"code": outcome.code, "name": outcome.name, "basis_label": outcome.basis_label}
        if outcome
        else None,
        "reply": clause(reply),
        "remedies": remedies_clause,
    }
