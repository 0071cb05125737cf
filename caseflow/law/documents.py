"""Documents (DOMAIN.md section 6): the letter types with their basis and letter series, and the
letters addressed to the applicant."""

from __future__ import annotations

from dataclasses import dataclass

from caseflow.law.basis import Basis
from caseflow.law.fees import FEE_NOTICE_BASIS
from caseflow.law.intake import RECEIPT_DATE_BASIS
from caseflow.law.periods import (
    AGENCY_OPINION,
    ART35_DELAY,
    ART35_REASONS,
    CO_PRODUCER_OPINION,
    RULES_2019,
    SUPPLEMENT_NOTICE,
    THIRD_PARTY_DECISION_WAIT,
    THIRD_PARTY_OPINION,
)


@dataclass(frozen=True, slots=True)
class DocumentType:
    code: str
    name: str
    basis: Basis | None
    #: The letter series its 文号 is numbered in (per agency, per year) and the series' mark in the
    #: number: 某政办公开收〔2026〕3号 for receipts, 某政办公开〔2026〕12号 for replies.
    series: str
    series_mark: str = ""
    #: Whether the letter carries the remedies clause (replies: by outcome).
    remedies: bool = False


DOCUMENT_TYPES: tuple[DocumentType, ...] = (
    DocumentType("receipt", "政府信息公开申请登记回执", RECEIPT_DATE_BASIS, "receipt", "收"),
    DocumentType("supplement_notice", "补正申请告知书", SUPPLEMENT_NOTICE.basis, "notice", "告"),
    DocumentType("extension_notice", "延期答复告知书", RULES_2019.extension_basis, "notice", "告"),
    DocumentType(
        "consultation_third_party", "征求第三方意见书", THIRD_PARTY_OPINION.basis, "consultation", "征"
    ),
    DocumentType(
        "consultation_co_producer", "征求共同制作机关意见函", CO_PRODUCER_OPINION.basis, "consultation", "征"
    ),
    DocumentType("consultation_agency", "征求意见函", AGENCY_OPINION.basis, "consultation", "征"),
    DocumentType(
        "third_party_decision_notice",
        "公开决定告知书",
        THIRD_PARTY_DECISION_WAIT.basis,
        "notice",
        "告",
        remedies=True,
    ),
    DocumentType("fee_notice", "收费通知书", FEE_NOTICE_BASIS, "notice", "告", remedies=True),
    DocumentType("art35_notice", "延迟答复告知书", ART35_DELAY.basis, "notice", "告"),
    DocumentType("art35_reasons_notice", "要求说明理由告知书", ART35_REASONS.basis, "notice", "告"),
    DocumentType("reply", "政府信息公开申请答复书", None, "reply", "", remedies=True),
)
DOCUMENT_TYPES_BY_CODE: dict[str, DocumentType] = {d.code: d for d in DOCUMENT_TYPES}
#: The letters addressed to the applicant (shown and downloadable on the applicant's request page):
#: not the consultation letters, nor the Art. 32 decision notice, which go to third parties and agencies.
#: A correction request's replies are ``reply`` letters too.
APPLICANT_DOCUMENTS: frozenset[str] = frozenset(
    {
        "receipt",
        "supplement_notice",
        "extension_notice",
        "fee_notice",
        "art35_notice",
        "art35_reasons_notice",
        "reply",
    }
)
