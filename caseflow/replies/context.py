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
    """某政办公开〔2026〕第12号 (with the series' mark after the prefix: 某政办公开告〔2026〕第3号)."""
    return f"{agency.letter_prefix}{doc.series_mark}〔{year}〕第{number}号"


def require_settings(agency: Agency, *, needs_remedies: bool, review_first: bool) -> None:
    """Refuse before anything is numbered when the agency's letter settings are incomplete."""
    missing = []
    if not agency.letter_prefix:
        missing.append("letter_prefix (文号前缀)")
    if needs_remedies and not agency.review_body:
        missing.append("review_body (行政复议机关)")
    if needs_remedies and not review_first and not agency.court:
        missing.append("court (管辖法院)")
    if missing:
        raise RuleViolation(
            f"agency {agency.code} lacks letter settings: {', '.join(missing)}; an admin must set "
            "them before this letter can be issued (nothing was issued, no number was used)"
        )


def remedies(agency: Agency, *, review_first: bool, subject: str = "本答复") -> dict[str, Any]:
    """The remedies clause: review within 60 days; litigation within 6 months unless review comes
    first (a refusal to disclose since 2024-01-01, Review Law Art. 23), in which case the letter says
    so and offers no direct litigation."""
    review = (
        f"如对{subject}不服，可以自知道该行政行为之日起{law.REVIEW_DAYS}日内向{agency.review_body}"
        f"申请行政复议（{law.REVIEW_BASIS.label}）"
    )
    if review_first:
        text = (
            f"{review}。根据{law.REVIEW_FIRST_BASIS.label}的规定，对{subject}不服的，应当先申请行政复议；"
            "对行政复议决定不服的，可以依法提起行政诉讼。"
        )
    else:
        text = (
            f"{review}，也可以自知道该行政行为之日起{law.LITIGATION_MONTHS}个月内向{agency.court}"
            f"提起行政诉讼（{law.LITIGATION_BASIS.label}）。"
        )
    return {
        "text": text,
        "review_first": review_first,
        "review_body": agency.review_body,
        "court": None if review_first else agency.court,
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
        },
        "agency": {"name": agency.name, "short_name": "本机关", "address": agency.address},
        "applicant": {"name": applicant.name},
        "case": {
            "tracking_no": case.tracking_no,
            "query_code": case.query_code,
            "receipt_date": zh(case.receipt_date),
            "description": case.description,
            "document_no_sought": case.document_no_sought,
            "channel": law.CHANNEL_NAMES[law.Channel(case.channel)],
            "receipt_rule": law.RECEIPT_DATE_RULES[law.Channel(case.channel)],
            "provision_form": law.PROVISION_FORM_NAMES[law.ProvisionForm(case.provision_form)],
            "reply_due": zh(case.reply_due) if case.reply_due else "（期限中止中）",
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
            # Every fee letter: Regulation Art. 42 and the Fee Measures' method, scales, notice.
            "fee": law.FEE_LETTER_BASIS_LABEL,
            "fee_notice": law.FEE_NOTICE_BASIS.label,
            "art35": law.ART35_DELAY.basis.label,
        },
        "periods": {
            "reply_days": rules.reply_days,
            "fee_days": law.FEE_PAYMENT.days,
            # Whose consultation does not count in the reply period (2007: third parties only).
            "pausing_parties": "和".join(
                law.CONSULTATION_PARTY_NAMES[k] for k in rules.pausing_consultations
            ),
        },
        "third_party_rule": rules.third_party_rule,
        "notice": notice,
        "outcome": {"code": outcome.code, "name": outcome.name, "basis_label": outcome.basis_label}
        if outcome
        else None,
        "reply": reply,
        "remedies": remedies_clause,
    }
