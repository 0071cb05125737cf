"""The law as data: the one home of every period, article, outcome and document type.

Everything else in caseflow (the clock, the state machine, letters, statistics) reads the rules
from here, as ``from caseflow import law`` then ``law.X``, or ``from caseflow.law import X``: this
package re-exports every public name of its modules, which hold the law along its seams:

- ``basis``: the instruments, the days their texts came into force, ``Basis`` and ``cite``.
- ``periods``: how periods are counted, the rule sets by receipt date, the statutory periods in
  working days, the pauses of the reply period.
- ``intake``: applicant types, channels and receipt dates (Art. 29, 31), identity documents, forms
  of provision.
- ``corrections``: correction requests (Art. 41).
- ``outcomes``: the closed list of reply types, the review before disclosure (Art. 17), releasing
  records (Art. 37), the facts a reply must carry.
- ``documents``: the letter types and their series.
- ``delivery``: delivery (送达) of the notices that start a period, and the lapses of the
  applicant's periods.
- ``consultation``: consulting third parties and other agencies (Art. 32-34).
- ``fees``: information processing fees (Regulation Art. 42; Fee Measures).
- ``remedies``: administrative review and litigation.
- ``annual_report``: the annual report's tables 三 and 四.

The modules import one another directly (never this package), lower ones first: ``basis``;
``intake``, ``corrections``; ``fees``; ``periods``, ``outcomes``; the rest.

Sources (see docs/domain.md):

- Regulation: 《中华人民共和国政府信息公开条例》 (State Council Decree No. 711, revised 2019-04-03,
  in force 2019-05-15); Regulation 2007: the earlier text, in force 2008-05-01 to 2019-05-14.
- Fee Measures: 《政府信息公开信息处理费管理办法》 (国办函〔2020〕109号).
- Report Format: 国办公开办函〔2021〕30号, tables 三 and 四.
- Review Law: 《中华人民共和国行政复议法》 (2023 revision, in force 2024-01-01).
- Litigation Law: 《中华人民共和国行政诉讼法》. Civil Code: 《中华人民共和国民法典》 Art. 201-204
  (from 2021-01-01; before: 《中华人民共和国民法总则》 Art. 201-204 from 2017-10-01, before that
  《中华人民共和国民法通则》 Art. 154).
"""

from __future__ import annotations

from caseflow.law.annual_report import (
    OUTCOME_REPORT_LABELS,
    PROACTIVE_DISCLOSURE_BASIS,
    REMEDY_RESULTS,
    REPORT_APPLICANT_HEADER,
    REPORT_BALANCE_NOTE,
    REPORT_CHANNEL_COLUMNS,
    REPORT_COLUMN_NAMES,
    REPORT_COLUMNS,
    REPORT_FORMAT,
    REPORT_FORMAT_TITLE,
    REPORT_GROUP_LABELS,
    REPORT_ORG_HEADER,
    REPORT_ROW_KEYS,
    REPORT_ROW_SHARED,
    REPORT_SINGLE_ROW_GROUPS,
    TABLE3_RESULTS_LABEL,
    TABLE3_ROWS,
    TABLE3_TITLE,
    TABLE3_TOTAL_LABEL,
    TABLE4_COLUMNS,
    TABLE4_LITIGATION_HEADER,
    TABLE4_SECTIONS,
    TABLE4_TITLE,
    ReportRow,
)
from caseflow.law.basis import (
    CIVIL_CODE,
    FEE_MEASURES,
    FEE_MEASURES_IN_FORCE,
    LITIGATION_LAW,
    REGULATION,
    REGULATION_2007_IN_FORCE,
    REGULATION_2019_IN_FORCE,
    REVIEW_FIRST_IN_FORCE,
    REVIEW_LAW,
    Basis,
    cite,
)
from caseflow.law.consultation import (
    CONSULTATION_LETTERS,
    CONSULTATION_PARTY_NAMES,
    CONSULTATION_PERIODS,
    CONSULTATION_SILENCE,
    OBJECTION_BLOCKS,
    OBJECTION_HONOURED_BY,
)
from caseflow.law.corrections import (
    CORRECTION_BASIS,
    CORRECTION_GROUP,
    CORRECTION_IN_FORCE,
    CORRECTION_PERIOD_PRACTICE,
    CORRECTION_RECEIPT_TITLE,
    CORRECTION_REPLY_TITLE,
    CORRECTION_REPORT_ROW,
    REQUEST_KIND_NAMES,
    RequestKind,
)
from caseflow.law.delivery import (
    DELIVERY_DATE_RULES,
    DELIVERY_METHOD_NAMES,
    LAPSE_PERIODS,
    LAPSE_PROPOSED_NAMES,
    NOT_DELIVERED,
    ONLINE_DOWNLOAD_PROOF,
    PERIOD_FROM_DELIVERY,
    DeliveryMethod,
    LapseKind,
    PeriodFromDelivery,
    period_from_delivery,
)
from caseflow.law.documents import (
    APPLICANT_DOCUMENTS,
    DOCUMENT_TYPES,
    DOCUMENT_TYPES_BY_CODE,
    DocumentType,
)
from caseflow.law.fees import (
    FEE_BASIS_REGULATION,
    FEE_IN_FORCE_BASIS,
    FEE_LETTER_BASES,
    FEE_LETTER_BASIS_LABEL,
    FEE_METHOD_BASIS,
    FEE_NOTICE_BASIS,
    FEE_PER_APPLICATION_BAND_SIZE,
    FEE_PER_APPLICATION_BAND_STEP,
    FEE_PER_APPLICATION_BASIS,
    FEE_PER_APPLICATION_FIRST_BAND,
    FEE_PER_APPLICATION_FREE,
    FEE_PER_PAGE_BANDS,
    FEE_PER_PAGE_BASIS,
    FEE_PER_PAGE_FORMS,
    FEE_PER_PAGE_OUTCOMES,
)
from caseflow.law.intake import (
    APPLICANT_TYPE_NAMES,
    APPLICATION_CONTENT_BASIS,
    CHANNEL_NAMES,
    CHANNEL_REPORT_COLUMN,
    CREDIT_CODE_STANDARD,
    ID_TYPE_NAMES,
    NOT_AN_APPLICATION_BASIS,
    ORGANISATION_ID_TYPES,
    PERSONAL_ID_TYPES,
    PROVISION_FORM_BASIS,
    PROVISION_FORM_CONTACT,
    PROVISION_FORM_NAMES,
    PROVISION_FORMS_AT_OFFICE,
    PROVISION_NOTICE_BASIS,
    PROVISION_OUTCOMES,
    RECEIPT_DATE_BASIS,
    RECEIPT_DATE_RULES,
    RECEIPT_RULES,
    RESIDENT_ID_STANDARD,
    ApplicantType,
    Channel,
    IdType,
    LaterReceipt,
    ProvisionForm,
    ReceiptDateRule,
)
from caseflow.law.outcomes import (
    DISCLOSURE_REVIEW,
    DISCLOSURE_REVIEW_CONCLUSIONS,
    DISCLOSURE_REVIEW_GROUPS,
    DISCLOSURE_REVIEW_NAME,
    DISCLOSURE_REVIEW_RULE,
    HANDLER_CONFIRMS_OUTCOMES,
    NOT_OURS_CONTACT_WITHOUT_AGENCY,
    OUTCOME_GROUPS,
    OUTCOMES,
    OUTCOMES_BY_CODE,
    REDACTION_LABELS,
    RELEASE_OUTCOMES,
    REPLY_REQUIRED_FACTS,
    SUGGESTION_GROUND,
    WITHHOLDING_BASIS,
    WITHHOLDING_GROUNDS,
    Outcome,
    outcome,
    outcomes_for,
    partial_basis,
)
from caseflow.law.periods import (
    AGENCY_OPINION,
    APPLICANT_SUPPLEMENT,
    ART35_DATE_RULE,
    ART35_DELAY,
    ART35_REASONS,
    CIVIL_CODE_IN_FORCE,
    CO_PRODUCER_OPINION,
    COUNTING_BASIS,
    FEE_PAYMENT,
    GENERAL_PRINCIPLES,
    GENERAL_PROVISIONS,
    GENERAL_PROVISIONS_IN_FORCE,
    LAST_DAY_BASIS,
    OWN_AGENCY_APPROVAL,
    PAUSE_REASON_BASIS,
    PAUSE_REASON_NAMES,
    PERIODS,
    RULE_SETS,
    RULES_2007,
    RULES_2019,
    SUPPLEMENT_NOTICE,
    THIRD_PARTY_DECISION_WAIT,
    THIRD_PARTY_OPINION,
    PauseReason,
    Period,
    RuleChoiceError,
    RuleSet,
    counting_basis,
    last_day_basis,
    rules_for,
)
from caseflow.law.remedies import (
    AGENCY_KIND_NAMES,
    COURT_LEVELS,
    COURT_UNNAMED,
    GOVERNMENT_KINDS,
    LITIGATION_AFTER_REVIEW_BASIS,
    LITIGATION_AFTER_REVIEW_DAYS,
    LITIGATION_BASIS,
    LITIGATION_MONTHS,
    REMEDY_ANY_TIME_BASIS,
    REMEDY_SUBJECTS,
    REVIEW_BASIS,
    REVIEW_BODY_BASIS,
    REVIEW_DAYS,
    REVIEW_FIRST_BASIS,
    REVIEW_FIRST_NOTICE_BASIS,
    REVIEW_VERTICAL_BASIS,
    AgencyKind,
    review_required_first,
)

# Every public name of the modules, grouped by module (packed: ruff format would put each name on
# a line of its own).
# fmt: off
__all__ = [
    # basis
    "REGULATION", "FEE_MEASURES", "REVIEW_LAW", "LITIGATION_LAW", "CIVIL_CODE",
    "REGULATION_2007_IN_FORCE", "REGULATION_2019_IN_FORCE", "REVIEW_FIRST_IN_FORCE",
    "FEE_MEASURES_IN_FORCE", "Basis", "cite",
    # periods
    "GENERAL_PRINCIPLES", "GENERAL_PROVISIONS", "GENERAL_PROVISIONS_IN_FORCE", "CIVIL_CODE_IN_FORCE",
    "counting_basis", "last_day_basis", "COUNTING_BASIS", "LAST_DAY_BASIS", "RuleSet", "RULES_2019",
    "RULES_2007", "RULE_SETS", "RuleChoiceError", "rules_for", "Period", "SUPPLEMENT_NOTICE",
    "APPLICANT_SUPPLEMENT", "THIRD_PARTY_OPINION", "CO_PRODUCER_OPINION", "AGENCY_OPINION",
    "THIRD_PARTY_DECISION_WAIT", "FEE_PAYMENT", "ART35_DELAY", "ART35_DATE_RULE", "ART35_REASONS",
    "OWN_AGENCY_APPROVAL", "PERIODS", "PauseReason", "PAUSE_REASON_NAMES", "PAUSE_REASON_BASIS",
    # intake
    "ApplicantType", "APPLICANT_TYPE_NAMES", "Channel", "CHANNEL_NAMES", "CHANNEL_REPORT_COLUMN",
    "RECEIPT_DATE_BASIS", "LaterReceipt", "ReceiptDateRule", "RECEIPT_RULES", "RECEIPT_DATE_RULES",
    "APPLICATION_CONTENT_BASIS", "NOT_AN_APPLICATION_BASIS", "IdType", "ID_TYPE_NAMES",
    "RESIDENT_ID_STANDARD", "CREDIT_CODE_STANDARD", "PERSONAL_ID_TYPES", "ORGANISATION_ID_TYPES",
    "ProvisionForm", "PROVISION_FORM_NAMES", "PROVISION_OUTCOMES", "PROVISION_FORM_BASIS",
    "PROVISION_NOTICE_BASIS", "PROVISION_FORMS_AT_OFFICE", "PROVISION_FORM_CONTACT",
    # corrections
    "RequestKind", "REQUEST_KIND_NAMES", "CORRECTION_BASIS", "CORRECTION_GROUP", "CORRECTION_IN_FORCE",
    "CORRECTION_PERIOD_PRACTICE", "CORRECTION_REPORT_ROW", "CORRECTION_RECEIPT_TITLE",
    "CORRECTION_REPLY_TITLE",
    # outcomes
    "DISCLOSURE_REVIEW", "DISCLOSURE_REVIEW_NAME", "DISCLOSURE_REVIEW_RULE", "DISCLOSURE_REVIEW_GROUPS",
    "DISCLOSURE_REVIEW_CONCLUSIONS", "HANDLER_CONFIRMS_OUTCOMES", "Outcome", "WITHHOLDING_BASIS",
    "OUTCOMES", "OUTCOMES_BY_CODE", "WITHHOLDING_GROUNDS", "RELEASE_OUTCOMES", "REDACTION_LABELS",
    "SUGGESTION_GROUND", "partial_basis", "OUTCOME_GROUPS", "outcomes_for", "outcome",
    "REPLY_REQUIRED_FACTS", "NOT_OURS_CONTACT_WITHOUT_AGENCY",
    # documents
    "DocumentType", "DOCUMENT_TYPES", "DOCUMENT_TYPES_BY_CODE", "APPLICANT_DOCUMENTS",
    # delivery
    "ONLINE_DOWNLOAD_PROOF", "DeliveryMethod", "DELIVERY_METHOD_NAMES", "DELIVERY_DATE_RULES",
    "PeriodFromDelivery", "PERIOD_FROM_DELIVERY", "period_from_delivery", "LapseKind",
    "LAPSE_PROPOSED_NAMES", "LAPSE_PERIODS", "NOT_DELIVERED",
    # consultation
    "CONSULTATION_PARTY_NAMES", "CONSULTATION_PERIODS", "CONSULTATION_LETTERS", "CONSULTATION_SILENCE",
    "OBJECTION_BLOCKS", "OBJECTION_HONOURED_BY",
    # fees
    "FEE_BASIS_REGULATION", "FEE_METHOD_BASIS", "FEE_PER_APPLICATION_BASIS", "FEE_PER_PAGE_BASIS",
    "FEE_NOTICE_BASIS", "FEE_IN_FORCE_BASIS", "FEE_PER_PAGE_FORMS", "FEE_PER_PAGE_OUTCOMES",
    "FEE_LETTER_BASES", "FEE_LETTER_BASIS_LABEL", "FEE_PER_APPLICATION_FREE",
    "FEE_PER_APPLICATION_FIRST_BAND", "FEE_PER_APPLICATION_BAND_SIZE", "FEE_PER_APPLICATION_BAND_STEP",
    "FEE_PER_PAGE_BANDS",
    # remedies
    "REVIEW_DAYS", "REVIEW_BASIS", "REVIEW_FIRST_BASIS", "REVIEW_FIRST_NOTICE_BASIS",
    "LITIGATION_MONTHS", "LITIGATION_BASIS", "LITIGATION_AFTER_REVIEW_DAYS",
    "LITIGATION_AFTER_REVIEW_BASIS", "COURT_UNNAMED", "AgencyKind", "AGENCY_KIND_NAMES",
    "GOVERNMENT_KINDS", "REVIEW_BODY_BASIS", "REVIEW_VERTICAL_BASIS", "COURT_LEVELS", "REMEDY_SUBJECTS",
    "REMEDY_ANY_TIME_BASIS", "review_required_first",
    # annual_report
    "REPORT_FORMAT", "REPORT_FORMAT_TITLE", "REPORT_COLUMNS", "REPORT_COLUMN_NAMES", "REPORT_ORG_HEADER",
    "REPORT_APPLICANT_HEADER", "REPORT_BALANCE_NOTE", "TABLE3_TITLE", "TABLE4_TITLE", "ReportRow",
    "OUTCOME_REPORT_LABELS", "REPORT_ROW_SHARED", "REPORT_ROW_KEYS", "REPORT_GROUP_LABELS",
    "REPORT_SINGLE_ROW_GROUPS", "TABLE3_ROWS", "TABLE3_RESULTS_LABEL", "TABLE3_TOTAL_LABEL",
    "TABLE4_SECTIONS", "TABLE4_LITIGATION_HEADER", "TABLE4_COLUMNS", "REMEDY_RESULTS",
    "REPORT_CHANNEL_COLUMNS", "PROACTIVE_DISCLOSURE_BASIS",
]
# fmt: on
