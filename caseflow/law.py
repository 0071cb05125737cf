"""The law as data: the one home of every period, article, outcome and document type.

Everything else in caseflow (the clock, the state machine, letters, statistics) reads the rules
from here. Sources (see docs/domain.md):

- Regulation: 《中华人民共和国政府信息公开条例》 (State Council Decree No. 711, revised 2019-04-03,
  in force 2019-05-15); Regulation 2007: the earlier text, in force 2008-05-01 to 2019-05-14.
- Fee Measures: 《政府信息公开信息处理费管理办法》 (国办函〔2020〕109号).
- Report Format: 国办公开办函〔2021〕30号, tables 三 and 四.
- Review Law: 《中华人民共和国行政复议法》 (2023 revision, in force 2024-01-01).
- Litigation Law: 《中华人民共和国行政诉讼法》. Civil Code: 《中华人民共和国民法典》 Art. 201-204.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

REGULATION = "《中华人民共和国政府信息公开条例》"
FEE_MEASURES = "《政府信息公开信息处理费管理办法》"
REVIEW_LAW = "《中华人民共和国行政复议法》"
LITIGATION_LAW = "《中华人民共和国行政诉讼法》"
CIVIL_CODE = "《中华人民共和国民法典》"

#: The Regulation first came into force on this day; no request can be received before it.
REGULATION_2007_IN_FORCE = dt.date(2008, 5, 1)
#: The revised Regulation applies to requests received on or after this day.
REGULATION_2019_IN_FORCE = dt.date(2019, 5, 15)
#: Since this day a refusal to disclose must first go to administrative review (Review Law Art. 23).
REVIEW_FIRST_IN_FORCE = dt.date(2024, 1, 1)


@dataclass(frozen=True, slots=True)
class Basis:
    """A legal basis: the instrument and the article (with paragraph or item where it matters)."""

    instrument: str
    article: str
    label: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"{self.instrument}{self.article}")


#: How periods are counted: the starting day does not count (Civil Code Art. 201).
COUNTING_BASIS = Basis(CIVIL_CODE, "第二百零一条")


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The reply periods that apply to a request, chosen by its receipt date."""

    code: str
    name: str
    in_force_from: dt.date
    in_force_until: dt.date | None
    reply_days: int
    extension_max_days: int
    reply_basis: Basis
    extension_basis: Basis
    pause_basis: Basis
    #: Working days after receipt within which a supplement notice must be sent (None: no limit),
    #: and where the law says so.
    supplement_notice_days: int | None
    supplement_notice_basis: Basis


RULES_2019 = RuleSet(
    code="2019",
    name="2019年修订的条例",
    in_force_from=REGULATION_2019_IN_FORCE,
    in_force_until=None,
    reply_days=20,
    extension_max_days=20,
    reply_basis=Basis(REGULATION, "第三十三条第二款"),
    extension_basis=Basis(REGULATION, "第三十三条第二款"),
    pause_basis=Basis(REGULATION, "第三十三条第三款"),
    supplement_notice_days=7,
    supplement_notice_basis=Basis(REGULATION, "第三十条"),
)

RULES_2007 = RuleSet(
    code="2007",
    name="2007年公布的条例",
    in_force_from=REGULATION_2007_IN_FORCE,
    in_force_until=REGULATION_2019_IN_FORCE - dt.timedelta(days=1),
    reply_days=15,
    extension_max_days=15,
    reply_basis=Basis(f"{REGULATION}（2007年）", "第二十四条第二款"),
    extension_basis=Basis(f"{REGULATION}（2007年）", "第二十四条第二款"),
    pause_basis=Basis(f"{REGULATION}（2007年）", "第二十四条第三款"),
    # Art. 21(4) of 2007: an unclear application is to be changed or supplemented, with no period
    # for the agency's notice (the 7 working days are Art. 30 of 2019).
    supplement_notice_days=None,
    supplement_notice_basis=Basis(f"{REGULATION}（2007年）", "第二十一条第（四）项"),
)

RULE_SETS: dict[str, RuleSet] = {RULES_2019.code: RULES_2019, RULES_2007.code: RULES_2007}


class RuleChoiceError(ValueError):
    """No rule set applies (receipt before the Regulation, or an unknown rule-set code)."""


def rules_for(receipt_date: dt.date, choice: str = "auto") -> RuleSet:
    """The rule set for a request: by receipt date (``auto``) or named explicitly."""
    if receipt_date < REGULATION_2007_IN_FORCE:
        raise RuleChoiceError(
            f"receipt date {receipt_date.isoformat()} is before the Regulation came into force "
            f"({REGULATION_2007_IN_FORCE.isoformat()})"
        )
    if choice == "auto":
        return RULES_2019 if receipt_date >= REGULATION_2019_IN_FORCE else RULES_2007
    try:
        return RULE_SETS[choice]
    except KeyError:
        raise RuleChoiceError(
            f"unknown rules {choice!r}: use 'auto', {', '.join(repr(c) for c in RULE_SETS)}"
        ) from None


@dataclass(frozen=True, slots=True)
class Period:
    """A statutory period in working days (``days`` is None where the agency sets it)."""

    code: str
    name: str
    days: int | None
    basis: Basis


#: The agency must send the supplement notice within 7 working days of receipt, once (Art. 30).
SUPPLEMENT_NOTICE = Period("supplement_notice", "补正告知期限", 7, Basis(REGULATION, "第三十条"))
#: The applicant's supplement period is set in the notice; this is the default (configurable).
APPLICANT_SUPPLEMENT = Period("applicant_supplement", "申请人补正期限", 15, Basis(REGULATION, "第三十条"))
#: A third party gives its opinion within 15 working days of receiving the letter (Art. 32).
THIRD_PARTY_OPINION = Period("third_party_opinion", "第三方答复期限", 15, Basis(REGULATION, "第三十二条"))
#: A co-producing agency gives its opinion within 15 working days; silence is consent (Art. 34).
AGENCY_OPINION = Period("agency_opinion", "其他机关答复期限", 15, Basis(REGULATION, "第三十四条"))
#: The fee is paid within 20 working days from the day after the fee notice (Fee Measures).
FEE_PAYMENT = Period("fee_payment", "缴费期限", 20, Basis(FEE_MEASURES, ""))
#: Art. 35: a reasonable date set by the agency, with reasons, for excessive requests.
ART35_DELAY = Period("art35_delay", "延迟答复期限", None, Basis(REGULATION, "第三十五条"))

PERIODS: dict[str, Period] = {
    p.code: p
    for p in (
        SUPPLEMENT_NOTICE,
        APPLICANT_SUPPLEMENT,
        THIRD_PARTY_OPINION,
        AGENCY_OPINION,
        FEE_PAYMENT,
        ART35_DELAY,
    )
}


class PauseReason(StrEnum):
    """Why the reply period does not run (Art. 33 para. 3; Fee Measures)."""

    CONSULTATION = "consultation"
    FEE = "fee"


PAUSE_REASON_NAMES: dict[PauseReason, str] = {
    PauseReason.CONSULTATION: "征求第三方或者其他机关意见",
    PauseReason.FEE: "收取信息处理费",
}
PAUSE_REASON_BASIS: dict[PauseReason, Basis] = {
    PauseReason.CONSULTATION: Basis(REGULATION, "第三十三条第三款"),
    PauseReason.FEE: Basis(FEE_MEASURES, ""),
}


# --- Intake (Art. 29, 31) -------------------------------------------------------------------


class ApplicantType(StrEnum):
    """The applicant types: the columns of the annual report (Report Format, table 三)."""

    NATURAL_PERSON = "natural_person"
    COMMERCIAL = "commercial"
    RESEARCH = "research"
    PUBLIC_INTEREST = "public_interest"
    LEGAL_SERVICES = "legal_services"
    OTHER_ORG = "other_org"


APPLICANT_TYPE_NAMES: dict[ApplicantType, str] = {
    ApplicantType.NATURAL_PERSON: "自然人",
    ApplicantType.COMMERCIAL: "商业企业",
    ApplicantType.RESEARCH: "科研机构",
    ApplicantType.PUBLIC_INTEREST: "社会公益组织",
    ApplicantType.LEGAL_SERVICES: "法律服务机构",
    ApplicantType.OTHER_ORG: "其他",
}


class Channel(StrEnum):
    """How an application arrives; each has its own receipt-date rule (Art. 31)."""

    IN_PERSON = "in_person"
    POST = "post"
    LETTER = "letter"
    INTERNET = "internet"
    FAX = "fax"


CHANNEL_NAMES: dict[Channel, str] = {
    Channel.IN_PERSON: "当面提交",
    Channel.POST: "邮寄（需签收）",
    Channel.LETTER: "平常信函",
    Channel.INTERNET: "网络",
    Channel.FAX: "传真",
}
#: The annual report's channel column each channel counts in (当面, 网络, 信函, 传真, 其他).
CHANNEL_REPORT_COLUMN: dict[Channel, str] = {
    Channel.IN_PERSON: "当面",
    Channel.POST: "信函",
    Channel.LETTER: "信函",
    Channel.INTERNET: "网络",
    Channel.FAX: "传真",
}
RECEIPT_DATE_RULES: dict[Channel, str] = {
    Channel.IN_PERSON: "以提交之日为收到申请之日",
    Channel.POST: "以行政机关签收之日为收到申请之日",
    Channel.LETTER: "以行政机关与申请人确认之日为收到申请之日",
    Channel.INTERNET: "以双方确认之日为收到申请之日",
    Channel.FAX: "以双方确认之日为收到申请之日",
}
RECEIPT_DATE_BASIS = Basis(REGULATION, "第三十一条")
APPLICATION_CONTENT_BASIS = Basis(REGULATION, "第二十九条")


class ProvisionForm(StrEnum):
    """The requested form of provision (Art. 29 para. 2 item 3; Art. 40)."""

    PAPER = "paper"
    ELECTRONIC = "electronic"
    EMAIL = "email"
    POST = "post"
    PICK_UP = "pick_up"
    INSPECTION = "inspection"


PROVISION_FORM_NAMES: dict[ProvisionForm, str] = {
    ProvisionForm.PAPER: "纸质文本",
    ProvisionForm.ELECTRONIC: "电子数据",
    ProvisionForm.EMAIL: "电子邮件",
    ProvisionForm.POST: "邮寄",
    ProvisionForm.PICK_UP: "自行领取",
    ProvisionForm.INSPECTION: "当场查阅",
}


# --- Outcomes: the closed list (DOMAIN.md section 5) ----------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """One legal reply type: what drives the letter, its basis, remedies and report row."""

    code: str
    report_row: str
    name: str
    basis: tuple[Basis, ...]
    needs_review: bool
    #: A refusal to disclose (不予公开): since 2024 review must come before litigation.
    refuses_disclosure: bool = False
    #: Concluded without a reply on the merits (deemed abandoned, withdrawn).
    without_reply: bool = False
    #: Whether its letter carries the remedies clause (a withdrawal is the applicant's own act).
    remedies: bool = True

    @property
    def group(self) -> str:
        """The report group (三(一)-(六)): disclosed, partial, withheld, unable, rejected, other."""
        return self.code.split(".", 1)[0]

    @property
    def template(self) -> str:
        return f"reply_{self.code.replace('.', '_')}"

    @property
    def basis_label(self) -> str:
        return "、".join(b.label for b in self.basis)


def _r(article: str) -> Basis:
    return Basis(REGULATION, article)


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("disclosed.public", "三(一)", "予以公开（已主动公开）", (_r("第三十六条第一项"),), False),
    Outcome("disclosed.provided", "三(一)", "予以公开", (_r("第三十六条第二项"), _r("第四十条")), False),
    Outcome("partial", "三(二)", "部分公开", (_r("第三十七条"),), True, refuses_disclosure=True),
    Outcome("withheld.state_secret", "三(三)1", "属于国家秘密", (_r("第十四条"),), True, True),
    Outcome("withheld.law_prohibited", "三(三)2", "其他法律行政法规禁止公开", (_r("第十四条"),), True, True),
    Outcome("withheld.security_stability", "三(三)3", "危及“三安全一稳定”", (_r("第十四条"),), True, True),
    Outcome(
        "withheld.third_party",
        "三(三)4",
        "保护第三方合法权益",
        (_r("第十五条"), _r("第三十二条")),
        True,
        True,
    ),
    Outcome(
        "withheld.internal_affairs", "三(三)5", "属于三类内部事务信息", (_r("第十六条第一款"),), True, True
    ),
    Outcome("withheld.process_info", "三(三)6", "属于四类过程性信息", (_r("第十六条第二款"),), True, True),
    Outcome("withheld.enforcement_file", "三(三)7", "属于行政执法案卷", (_r("第十六条第二款"),), True, True),
    Outcome("withheld.query_matter", "三(三)8", "属于行政查询事项", (_r("第三十六条第七项"),), True, True),
    Outcome(
        "unable.not_held",
        "三(四)1",
        "本机关不掌握相关政府信息",
        (_r("第三十六条第四项"), _r("第三十六条第五项")),
        True,
    ),
    Outcome("unable.needs_creation", "三(四)2", "没有现成信息需要另行制作", (_r("第三十八条"),), True),
    Outcome("unable.still_unclear", "三(四)3", "补正后申请内容仍不明确", (_r("第三十条"),), True),
    Outcome("rejected.petition", "三(五)1", "信访举报投诉类申请", (_r("第三十九条第一款"),), True),
    Outcome("rejected.duplicate", "三(五)2", "重复申请", (_r("第三十六条第六项"),), True),
    Outcome("rejected.publication", "三(五)3", "要求提供公开出版物", (_r("第三十九条第二款"),), True),
    Outcome("rejected.excessive", "三(五)4", "无正当理由大量反复申请", (_r("第三十五条"),), True),
    Outcome(
        "rejected.confirmation",
        "三(五)5",
        "要求行政机关确认或重新出具已获取信息",
        (_r("第二条"),),
        True,
    ),
    Outcome(
        "other.no_supplement", "三(六)1", "申请人逾期不补正", (_r("第三十条"),), False, without_reply=True
    ),
    Outcome(
        "other.fee_unpaid",
        "三(六)2",
        "申请人逾期未按收费通知要求缴纳费用",
        (Basis(FEE_MEASURES, ""),),
        False,
        without_reply=True,
    ),
    # A withdrawal ends the request by the applicant's own act: no article of the Regulation decides it.
    Outcome("other.other", "三(六)3", "其他处理", (), False, without_reply=True, remedies=False),
)
OUTCOMES_BY_CODE: dict[str, Outcome] = {o.code: o for o in OUTCOMES}

#: The report groups of table 三 in order, with their row labels.
OUTCOME_GROUPS: dict[str, str] = {
    "disclosed": "（一）予以公开",
    "partial": "（二）部分公开",
    "withheld": "（三）不予公开",
    "unable": "（四）无法提供",
    "rejected": "（五）不予处理",
    "other": "（六）其他处理",
}


def outcome(code: str) -> Outcome:
    """The outcome with this code, or a clear error naming the valid codes."""
    try:
        return OUTCOMES_BY_CODE[code]
    except KeyError:
        raise ValueError(f"unknown outcome {code!r}; valid outcomes: {', '.join(OUTCOMES_BY_CODE)}") from None


# --- Documents (DOMAIN.md section 6) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentType:
    code: str
    name: str
    basis: Basis | None
    #: The letter series its 文号 is numbered in (per agency, per year) and the series' mark in the
    #: number: 某政办公开收〔2026〕第3号 for receipts, 某政办公开〔2026〕第12号 for replies.
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
    DocumentType("consultation_agency", "征求意见函", AGENCY_OPINION.basis, "consultation", "征"),
    DocumentType("fee_notice", "收费通知书", Basis(FEE_MEASURES, ""), "notice", "告", remedies=True),
    DocumentType("art35_notice", "延迟答复告知书", ART35_DELAY.basis, "notice", "告"),
    DocumentType("reply", "政府信息公开申请答复书", None, "reply", "", remedies=True),
)
DOCUMENT_TYPES_BY_CODE: dict[str, DocumentType] = {d.code: d for d in DOCUMENT_TYPES}


# --- Remedies (DOMAIN.md section 6) ----------------------------------------------------------

REVIEW_DAYS = 60
REVIEW_BASIS = Basis(REVIEW_LAW, "第二十条")
REVIEW_FIRST_BASIS = Basis(REVIEW_LAW, "第二十三条第一款第四项")
REVIEW_FIRST_NOTICE_BASIS = Basis(REVIEW_LAW, "第二十三条第二款")
LITIGATION_MONTHS = 6
LITIGATION_BASIS = Basis(LITIGATION_LAW, "第四十六条")


def review_required_first(outcome_code: str, issue_date: dt.date) -> bool:
    """A refusal to disclose issued since 2024-01-01 must go to review before litigation."""
    return OUTCOMES_BY_CODE[outcome_code].refuses_disclosure and issue_date >= REVIEW_FIRST_IN_FORCE


# --- Fees (Fee Measures) ---------------------------------------------------------------------

#: Per application, counted per applicant per calendar month per agency: (from, to, yuan each).
FEE_PER_APPLICATION_FREE = 10
FEE_PER_APPLICATION_FIRST_BAND = (11, 30, 100)
FEE_PER_APPLICATION_BAND_SIZE = 10
FEE_PER_APPLICATION_BAND_STEP = 100
#: Per page: bands of (first page, last page or None, yuan per page).
FEE_PER_PAGE_BANDS: tuple[tuple[int, int | None, int], ...] = (
    (1, 30, 0),
    (31, 100, 10),
    (101, 200, 20),
    (201, None, 40),
)


# --- The annual report (Report Format 国办公开办函〔2021〕30号, tables 三 and 四) -------------------

REPORT_FORMAT = "国办公开办函〔2021〕30号"
REPORT_FORMAT_TITLE = "《中华人民共和国政府信息公开工作年度报告格式》"

#: Table 三's columns in order (JSON keys of the report): the applicant types, then the total.
REPORT_COLUMNS: tuple[str, ...] = (*(t.value for t in ApplicantType), "total")
REPORT_COLUMN_NAMES: dict[str, str] = {
    **{t.value: APPLICANT_TYPE_NAMES[t] for t in ApplicantType},
    "total": "总计",
}
#: The header over the organisation columns (商业企业 … 其他) and over all applicant columns.
REPORT_ORG_HEADER = "法人或其他组织"
REPORT_APPLICANT_HEADER = "申请人情况"
#: The check the format prints in the table's corner (一 + 二 = 三(七) + 四, per column).
REPORT_BALANCE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

TABLE3_TITLE = "三、收到和处理政府信息公开申请情况"
TABLE4_TITLE = "四、政府信息公开行政复议、行政诉讼情况"


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One row of table 三: its JSON key, its label in the format, and where it sits.

    ``section`` is 一, 二, 三 or 四; ``group`` the 三(一)-(七) group a sub-row belongs to; a row is
    either a whole row (一, 二, 四, and 三's (一), (二), (七)) or a numbered sub-row of a group.
    """

    key: str
    label: str
    section: str
    group: str | None = None


#: The official labels of table 三's numbered sub-rows (the wording of the format, which is longer
#: than the outcome's name in letters for 三(六)1 and 2).
OUTCOME_REPORT_LABELS: dict[str, str] = {
    "withheld.state_secret": "1.属于国家秘密",
    "withheld.law_prohibited": "2.其他法律行政法规禁止公开",
    "withheld.security_stability": "3.危及“三安全一稳定”",
    "withheld.third_party": "4.保护第三方合法权益",
    "withheld.internal_affairs": "5.属于三类内部事务信息",
    "withheld.process_info": "6.属于四类过程性信息",
    "withheld.enforcement_file": "7.属于行政执法案卷",
    "withheld.query_matter": "8.属于行政查询事项",
    "unable.not_held": "1.本机关不掌握相关政府信息",
    "unable.needs_creation": "2.没有现成信息需要另行制作",
    "unable.still_unclear": "3.补正后申请内容仍不明确",
    "rejected.petition": "1.信访举报投诉类申请",
    "rejected.duplicate": "2.重复申请",
    "rejected.publication": "3.要求提供公开出版物",
    "rejected.excessive": "4.无正当理由大量反复申请",
    "rejected.confirmation": "5.要求行政机关确认或重新出具已获取信息",
    "other.no_supplement": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other.fee_unpaid": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other.other": "3.其他",
}
#: The groups' labels as the format prints them ((二) with its counting rule).
REPORT_GROUP_LABELS: dict[str, str] = {
    **OUTCOME_GROUPS,
    "partial": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
}
#: Groups the format prints as one row with figures; the others only label their numbered sub-rows.
REPORT_SINGLE_ROW_GROUPS = frozenset({"disclosed", "partial"})

TABLE3_ROWS: tuple[ReportRow, ...] = (
    ReportRow("received", "一、本年新收政府信息公开申请数量", "一"),
    ReportRow("carried_over", "二、上年结转政府信息公开申请数量", "二"),
    *(
        row
        for group in OUTCOME_GROUPS
        for row in (
            (ReportRow(group, REPORT_GROUP_LABELS[group], "三", group),)
            if group in REPORT_SINGLE_ROW_GROUPS
            else tuple(
                ReportRow(o.code, OUTCOME_REPORT_LABELS[o.code], "三", group)
                for o in OUTCOMES
                if o.group == group
            )
        )
    ),
    ReportRow("total", "（七）总计", "三", "total"),
    ReportRow("carried_forward", "四、结转下年度继续办理", "四"),
)
TABLE3_RESULTS_LABEL = "三、本年度办理结果"
TABLE3_TOTAL_LABEL = "（七）总计"

#: Table 四: 行政复议, and 行政诉讼 without review first and after review, each with these columns.
TABLE4_SECTIONS: dict[str, str] = {
    "review": "行政复议",
    "litigation_direct": "未经复议直接起诉",
    "litigation_after_review": "复议后起诉",
}
TABLE4_LITIGATION_HEADER = "行政诉讼"
TABLE4_COLUMNS: dict[str, str] = {
    "maintained": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
    "total": "总计",
}
#: The result a concluded review or litigation record carries -> its table 四 column.
REMEDY_RESULTS = ("maintained", "corrected", "other")

#: The channels offices report (当面, 网络, 信函, 传真, 其他), in that order.
REPORT_CHANNEL_COLUMNS: tuple[str, ...] = ("当面", "网络", "信函", "传真", "其他")

#: Information that several applicants asked the same agency for, and that can be disclosed, may be
#: made proactively public (Art. 44); offices review recurring requests for it (seeds 003, 004).
PROACTIVE_DISCLOSURE_BASIS = Basis(REGULATION, "第四十四条")
