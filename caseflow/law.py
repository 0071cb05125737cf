"""The law as data: the one home of every period, article, outcome and document type.

Everything else in caseflow (the clock, the state machine, letters, statistics) reads the rules
from here. Sources (see docs/domain.md):

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

import datetime as dt
from collections.abc import Iterable
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
#: The Fee Measures came into force on this day (Fee Measures Art. 10): no fee for a request
#: received before it.
FEE_MEASURES_IN_FORCE = dt.date(2021, 1, 1)


@dataclass(frozen=True, slots=True)
class Basis:
    """A legal basis: the instrument and the article (with paragraph or item where it matters)."""

    instrument: str
    article: str
    label: str = field(init=False, compare=False)
    #: Words cited before the instrument: "参照" where a rule of civil law is applied by analogy.
    prefix: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"{self.prefix}{self.instrument}{self.article}")


def cite(bases: Iterable[Basis]) -> str:
    """Several bases as a letter cites them: each instrument's title once, its articles after it in
    the order given (a repeated article once), the instruments in order of first mention:
    《中华人民共和国政府信息公开条例》第十五条、第三十二条、第三十六条第三项; two instruments are joined
    by 和 (《条例》第四十二条和《办法》第三条、第七条)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for basis in bases:
        articles = groups.setdefault((basis.prefix, basis.instrument), [])
        if basis.article not in articles:
            articles.append(basis.article)
    parts = [f"{prefix}{instrument}{'、'.join(arts)}" for (prefix, instrument), arts in groups.items()]
    if len(parts) <= 2:
        return "和".join(parts)
    return "、".join(parts[:-1]) + "和" + parts[-1]


# --- How periods are counted (civil law, applied by analogy: 参照) -----------------------------

GENERAL_PRINCIPLES = "《中华人民共和国民法通则》"
GENERAL_PROVISIONS = "《中华人民共和国民法总则》"
#: 《民法总则》 came into force on this day (its Art. 201-204 replaced 《民法通则》 Art. 154 for periods).
GENERAL_PROVISIONS_IN_FORCE = dt.date(2017, 10, 1)
#: 《民法典》 came into force on this day (and repealed 《民法总则》 and 《民法通则》).
CIVIL_CODE_IN_FORCE = dt.date(2021, 1, 1)

#: The starting day does not count, day one is the next (《民法典》/《民法总则》 Art. 201, before
#: 2017-10-01 《民法通则》 Art. 154), newest first: (in force from, basis).
_COUNTING_BASES: tuple[tuple[dt.date, Basis], ...] = (
    (CIVIL_CODE_IN_FORCE, Basis(CIVIL_CODE, "第二百零一条", prefix="参照")),
    (GENERAL_PROVISIONS_IN_FORCE, Basis(GENERAL_PROVISIONS, "第二百零一条", prefix="参照")),
    (REGULATION_2007_IN_FORCE, Basis(GENERAL_PRINCIPLES, "第一百五十四条", prefix="参照")),
)
#: The last day of a period runs to its end, 24:00 (《民法典》/《民法总则》 Art. 203, before
#: 2017-10-01 《民法通则》 Art. 154): a pause that starts on the deadline day still stops the period.
_LAST_DAY_BASES: tuple[tuple[dt.date, Basis], ...] = (
    (CIVIL_CODE_IN_FORCE, Basis(CIVIL_CODE, "第二百零三条", prefix="参照")),
    (GENERAL_PROVISIONS_IN_FORCE, Basis(GENERAL_PROVISIONS, "第二百零三条", prefix="参照")),
    (REGULATION_2007_IN_FORCE, Basis(GENERAL_PRINCIPLES, "第一百五十四条", prefix="参照")),
)


def _in_force(bases: tuple[tuple[dt.date, Basis], ...], day: dt.date) -> Basis:
    for since, basis in bases:
        if day >= since:
            return basis
    return bases[-1][1]  # no request predates the Regulation (2008): the oldest text


def counting_basis(start: dt.date) -> Basis:
    """How a period that starts on ``start`` is counted: the civil-law text in force that day."""
    return _in_force(_COUNTING_BASES, start)


def last_day_basis(day: dt.date) -> Basis:
    """Why a period's last day (``day``) runs to its end: the civil-law text in force that day."""
    return _in_force(_LAST_DAY_BASES, day)


#: The counting rule in force today (《民法典》 Art. 201); dated periods use ``counting_basis``.
COUNTING_BASIS = counting_basis(CIVIL_CODE_IN_FORCE)
#: The last-day rule in force today (《民法典》 Art. 203); dated periods use ``last_day_basis``.
LAST_DAY_BASIS = last_day_basis(CIVIL_CODE_IN_FORCE)


# --- Information processing fees: the articles (Regulation Art. 42; Fee Measures) -------------

#: Regulation Art. 42: information is provided on request free of charge; where the quantity or the
#: frequency of requests clearly exceeds a reasonable range, a processing fee may be charged.
FEE_BASIS_REGULATION = Basis(REGULATION, "第四十二条")
#: Fee Measures Art. 3: per application (按件) or per amount (按量), both progressive; one method
#: per request, never both.
FEE_METHOD_BASIS = Basis(FEE_MEASURES, "第三条")
#: Art. 4: per application, for every kind of decision; a request with several items may be split
#: into several applications (件) by the 一事一申请 principle at the smallest reasonable unit; the
#: bands per applicant and calendar month.
FEE_PER_APPLICATION_BASIS = Basis(FEE_MEASURES, "第四条")
#: Art. 5: per amount (pages), where the applicant asks for paper copies, e-mail or copied electronic
#: data; information already proactively published whose access is told: no per-page fee.
FEE_PER_PAGE_BASIS = Basis(FEE_MEASURES, "第五条")
#: Art. 7: the fee notice is sent within the reply period and states the basis, standard, amount
#: and how to pay; the applicant pays within 20 working days from the day after receiving it,
#: otherwise the request is deemed abandoned.
FEE_NOTICE_BASIS = Basis(FEE_MEASURES, "第七条")
#: Art. 10: in force from 2021-01-01 (``FEE_MEASURES_IN_FORCE``).
FEE_IN_FORCE_BASIS = Basis(FEE_MEASURES, "第十条")


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
    #: The consultations whose time does not count in the reply period (``pause_basis``): 2019
    #: Art. 33 para. 3 third parties and other agencies (co-producers or not); 2007 Art. 24
    #: para. 3 third parties only.
    pausing_consultations: tuple[str, ...] = ("third_party", "co_producer", "agency")
    #: Whether a fee notice may pause the reply period: the Fee Measures (Regulation Art. 42 of 2019,
    #: in force 2021-01-01) do not apply under the 2007 text, whose Art. 24 para. 3 pauses for third
    #: parties only.
    fees_allowed: bool = True
    #: Where the letter consulting a third party finds its basis (2019 Art. 32; 2007 Art. 23), and
    #: what that article says follows from the third party's answer (the letter quotes it).
    third_party_basis: Basis = Basis(REGULATION, "第三十二条")
    third_party_rule: str = (
        "逾期未提出意见的，由本机关依照《中华人民共和国政府信息公开条例》的规定决定是否公开。"
        "第三方不同意公开且有合理理由的，本机关不予公开；本机关认为不公开可能对公共利益造成重大影响的，"
        "可以决定予以公开，并将决定公开的内容和理由书面告知贵方。"
    )


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
    # Art. 24 para. 3 of 2007: only the time to consult a third party (Art. 23) does not count.
    pausing_consultations=("third_party",),
    fees_allowed=False,
    third_party_basis=Basis(f"{REGULATION}（2007年）", "第二十三条"),
    # Art. 23 of 2007: the third party's refusal binds, unless the public interest requires disclosure.
    third_party_rule=(
        "第三方不同意公开的，本机关不予公开；但是，本机关认为不公开可能对公共利益造成重大影响的，"
        "应当予以公开，并将决定公开的政府信息内容和理由书面通知贵方。"
    ),
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
#: The applicant's supplement period is set in the notice; this is the default (configurable). It
#: runs from the day after the applicant received the notice (its recorded delivery).
APPLICANT_SUPPLEMENT = Period("applicant_supplement", "申请人补正期限", 15, Basis(REGULATION, "第三十条"))
#: A third party gives its opinion within 15 working days of receiving the letter (Art. 32).
THIRD_PARTY_OPINION = Period("third_party_opinion", "第三方答复期限", 15, Basis(REGULATION, "第三十二条"))
#: A co-producing agency (共同制作, Art. 34) gives its opinion within 15 working days of receiving
#: the letter; silence is consent (逾期未提出意见的视为同意公开).
CO_PRODUCER_OPINION = Period(
    "co_producer_opinion", "共同制作机关答复期限", 15, Basis(REGULATION, "第三十四条")
)
#: Another agency that did not co-produce the information: the Regulation sets it no period and gives
#: its silence no meaning (Art. 33 para. 3 only keeps the time out of the reply period). caseflow
#: asks within 15 working days of receipt as a matter of practice (as for a co-producer); a lapse
#: records "no opinion" and the office decides.
AGENCY_OPINION = Period("agency_opinion", "其他机关答复期限", 15, Basis(REGULATION, "第三十三条第三款"))
#: Art. 32: disclosing over a third party's objection, the office first tells the third party in
#: writing what it will disclose and why (公开决定告知书, with the remedies), and discloses only after
#: the period that notice states, counted in working days from the day after the third party
#: received it. The Regulation names no length: 15 working days is caseflow's default, as practice
#: (time for the third party to seek review or sue before the disclosure), set by the office per notice.
THIRD_PARTY_DECISION_WAIT = Period(
    "third_party_decision_wait", "决定公开前的等待期限", 15, Basis(REGULATION, "第三十二条")
)
#: The fee is paid within 20 working days from the day after the applicant received the notice
#: (Fee Measures Art. 7): counted from the notice's recorded delivery (``PERIOD_FROM_DELIVERY``).
FEE_PAYMENT = Period("fee_payment", "缴费期限", 20, FEE_NOTICE_BASIS)
#: Art. 35: a reasonable date set by the agency, with reasons, for excessive requests.
ART35_DELAY = Period("art35_delay", "延迟答复期限", None, Basis(REGULATION, "第三十五条"))
#: The Art. 35 date delays a reply that cannot be given within the Art. 33 period: it is decided on
#: or before the reply deadline in force and is later than it (the clock refuses any other).
ART35_DATE_RULE = "延迟答复的合理期限应当在答复期限届满之日或者之前确定，且应当晚于该答复期限"
#: Art. 35: before it decides on an excessive request the agency may ask the applicant for reasons,
#: within a period it sets (working days from the day after the applicant receives the notice).
ART35_REASONS = Period("art35_reasons", "说明理由期限", None, Basis(REGULATION, "第三十五条"))
#: Art. 33 para. 2: an extension is approved by the head of the deciding agency's own office
#: (政府信息公开工作机构负责人); caseflow applies the same to the Art. 35 date.
OWN_AGENCY_APPROVAL = Basis(REGULATION, "第三十三条第二款")
#: Art. 17: before information is disclosed it is reviewed under the State Secrets Law and other
#: laws, regulations and rules (保密审查), by a procedure with set responsibilities. caseflow records
#: the review (who, when, conclusion) of every draft of the outcome groups below before its issue.
DISCLOSURE_REVIEW = Basis(REGULATION, "第十七条")
DISCLOSURE_REVIEW_NAME = "保密审查"
DISCLOSURE_REVIEW_RULE = (
    f"公开政府信息前，应当依照《中华人民共和国保守国家秘密法》以及其他法律、法规和国家有关规定"
    f"对拟公开的政府信息进行审查（{DISCLOSURE_REVIEW.label}）"
)
#: The outcome groups that disclose information (予以公开, 部分公开): their drafts are reviewed.
DISCLOSURE_REVIEW_GROUPS = frozenset({"disclosed", "partial"})
#: The review's conclusions.
DISCLOSURE_REVIEW_CONCLUSIONS: dict[str, str] = {"agree": "同意公开", "disagree": "不同意公开"}
#: Where the office so sets (``Agency.handler_confirms_published``), the handler's own confirmation
#: suffices for these outcomes (information already published: nothing new is disclosed).
HANDLER_CONFIRMS_OUTCOMES = frozenset({"disclosed.public"})

PERIODS: dict[str, Period] = {
    p.code: p
    for p in (
        SUPPLEMENT_NOTICE,
        APPLICANT_SUPPLEMENT,
        THIRD_PARTY_OPINION,
        CO_PRODUCER_OPINION,
        AGENCY_OPINION,
        THIRD_PARTY_DECISION_WAIT,
        FEE_PAYMENT,
        ART35_DELAY,
        ART35_REASONS,
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
    PauseReason.FEE: FEE_NOTICE_BASIS,
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
RECEIPT_DATE_BASIS = Basis(REGULATION, "第三十一条")


class LaterReceipt(StrEnum):
    """May the receipt date (Art. 31) be later than the day the application arrived?"""

    #: No: the day it arrives is the receipt date (in person: the day submitted; an ordinary letter:
    #: the office confirms with the applicant on the day it arrives).
    NEVER = "never"
    #: Yes, as the postal record shows: the day the agency signed for it.
    SIGNED_FOR = "signed_for"
    #: Only with the reason recorded (in the evidence) and stated on the receipt letter (登记回执).
    WITH_REASON = "with_reason"


@dataclass(frozen=True, slots=True)
class ReceiptDateRule:
    """One channel's receipt-date rule (Art. 31): which day counts, and whether it may follow the arrival."""

    text: str
    basis: Basis
    later: LaterReceipt


RECEIPT_RULES: dict[Channel, ReceiptDateRule] = {
    Channel.IN_PERSON: ReceiptDateRule(
        "以提交之日为收到申请之日", Basis(REGULATION, "第三十一条第一项"), LaterReceipt.NEVER
    ),
    Channel.POST: ReceiptDateRule(
        "以行政机关签收之日为收到申请之日", Basis(REGULATION, "第三十一条第二项"), LaterReceipt.SIGNED_FOR
    ),
    Channel.LETTER: ReceiptDateRule(
        "应当于收到申请的当日与申请人确认，确认之日为收到申请之日",
        Basis(REGULATION, "第三十一条第二项"),
        LaterReceipt.NEVER,
    ),
    Channel.INTERNET: ReceiptDateRule(
        "以双方确认之日为收到申请之日", Basis(REGULATION, "第三十一条第三项"), LaterReceipt.WITH_REASON
    ),
    Channel.FAX: ReceiptDateRule(
        "以双方确认之日为收到申请之日", Basis(REGULATION, "第三十一条第三项"), LaterReceipt.WITH_REASON
    ),
}
RECEIPT_DATE_RULES: dict[Channel, str] = {channel: rule.text for channel, rule in RECEIPT_RULES.items()}
APPLICATION_CONTENT_BASIS = Basis(REGULATION, "第二十九条")
#: An online application that is not one (信访、投诉、举报 …) is returned, not registered (issue 18 / B):
#: the applicant is told it is not handled as an application and, where fitting, the proper channel.
NOT_AN_APPLICATION_BASIS = Basis(REGULATION, "第三十九条第一款")


class IdType(StrEnum):
    """The applicant's identity document (Art. 29 para. 2 item 1: 申请人的姓名或者名称、身份证明)."""

    RESIDENT_ID = "resident_id"
    CREDIT_CODE = "credit_code"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    FOREIGN_PERMANENT_RESIDENCE = "foreign_permanent_residence"
    OTHER = "other"


#: The names the office uses; the stored applicant row keeps the name (so the keyed commitment over
#: (document type, number) of an earlier row still matches the same person's new request).
ID_TYPE_NAMES: dict[IdType, str] = {
    IdType.RESIDENT_ID: "居民身份证",
    IdType.CREDIT_CODE: "统一社会信用代码",
    IdType.PASSPORT: "护照",
    IdType.HK_MACAO_PERMIT: "港澳居民来往内地通行证",
    IdType.TAIWAN_PERMIT: "台湾居民来往大陆通行证",
    IdType.FOREIGN_PERMANENT_RESIDENCE: "外国人永久居留身份证",
    IdType.OTHER: "其他",
}
#: The national standards whose check characters a number must satisfy: 《公民身份号码》 and
#: 《法人和其他组织统一社会信用代码编码规则》.
RESIDENT_ID_STANDARD = "GB 11643-1999"
CREDIT_CODE_STANDARD = "GB 32100-2015"
#: A natural person proves identity with a personal document; a legal person or other organisation with
#: its 统一社会信用代码. 其他 is open to both (an organisation without a code, such as one abroad).
PERSONAL_ID_TYPES = frozenset(
    {
        IdType.RESIDENT_ID,
        IdType.PASSPORT,
        IdType.HK_MACAO_PERMIT,
        IdType.TAIWAN_PERMIT,
        IdType.FOREIGN_PERMANENT_RESIDENCE,
        IdType.OTHER,
    }
)
ORGANISATION_ID_TYPES = frozenset({IdType.CREDIT_CODE, IdType.OTHER})


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
#: The outcomes that supply information, whose reply states how it is provided (Art. 36(2), 37, 40).
PROVISION_OUTCOMES: tuple[str, ...] = ("disclosed.provided", "partial")
#: Art. 40: the form follows the applicant's request and how the information is kept; where the form
#: asked for would endanger the carrier or cost too much, another suitable form, or inspection and
#: copying: a form other than the one asked for needs its reason.
PROVISION_FORM_BASIS = Basis(REGULATION, "第四十条")
#: Art. 36(2): the reply tells the applicant the manner, route and time (方式、途径和时间) of obtaining it.
PROVISION_NOTICE_BASIS = Basis(REGULATION, "第三十六条第二项")
#: The forms for which the applicant comes to the office: the letter states the place and the time.
PROVISION_FORMS_AT_OFFICE: frozenset[ProvisionForm] = frozenset(
    {ProvisionForm.INSPECTION, ProvisionForm.PICK_UP}
)
#: The forms sent to the applicant's contact in the applicant record (Art. 29): the field and its name.
PROVISION_FORM_CONTACT: dict[ProvisionForm, tuple[str, str]] = {
    ProvisionForm.POST: ("address", "通信地址"),
    ProvisionForm.EMAIL: ("email", "电子邮箱"),
}


# --- Correction requests (Art. 41) ---------------------------------------------------------


class RequestKind(StrEnum):
    """What a request asks for: disclosure (Art. 27 ff.) or the correction of a record (Art. 41)."""

    DISCLOSURE = "disclosure"
    CORRECTION = "correction"


REQUEST_KIND_NAMES: dict[RequestKind, str] = {
    RequestKind.DISCLOSURE: "政府信息公开申请",
    RequestKind.CORRECTION: "更正申请（第四十一条）",
}
#: Art. 41: a person with evidence that government information about themselves that an agency
#: provided is recorded inaccurately may ask for its correction; the competent agency corrects it
#: and tells the applicant, or (not its function) refers it or tells the applicant where to apply.
CORRECTION_BASIS = Basis(REGULATION, "第四十一条")
#: The outcomes of a correction request share this code prefix (their group).
CORRECTION_GROUP = "correction"
#: Art. 41 is an article of the 2019 text: a correction request received before it is refused.
CORRECTION_IN_FORCE = REGULATION_2019_IN_FORCE
#: The Regulation sets no period for a correction request. caseflow applies the reply period of a
#: disclosure request (20 working days, extension and pauses as the clock counts them) as the
#: office's own practice, never as a statutory rule: its letters say so and cite no article for it.
CORRECTION_PERIOD_PRACTICE = (
    "《中华人民共和国政府信息公开条例》未规定更正申请的办理期限，"
    "本机关按照工作惯例，参照政府信息公开申请的答复期限办理"
)
#: Where a counted correction request goes in table 三 when the office counts them (三(六)3 其他).
CORRECTION_REPORT_ROW = "other.other"
#: The titles of a correction request's receipt and reply.
CORRECTION_RECEIPT_TITLE = "政府信息更正申请登记回执"
CORRECTION_REPLY_TITLE = "政府信息更正申请答复书"


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
    def kind(self) -> RequestKind:
        """The kind of request the outcome decides: a correction (Art. 41) or a disclosure request."""
        return RequestKind.CORRECTION if self.group == CORRECTION_GROUP else RequestKind.DISCLOSURE

    @property
    def template(self) -> str:
        return f"reply_{self.code.replace('.', '_')}"

    @property
    def basis_label(self) -> str:
        return cite(self.basis)


def _r(article: str) -> Basis:
    return Basis(REGULATION, article)


#: Art. 36(3): a decision not to disclose tells the applicant so and gives the reasons; every refusal
#: on a ground of Art. 14, 15 or 16 cites it after its ground.
WITHHOLDING_BASIS = _W = _r("第三十六条第三项")


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("disclosed.public", "三(一)", "予以公开（已主动公开）", (_r("第三十六条第一项"),), False),
    Outcome("disclosed.provided", "三(一)", "予以公开", (_r("第三十六条第二项"), _r("第四十条")), False),
    Outcome("partial", "三(二)", "部分公开", (_r("第三十七条"),), True, refuses_disclosure=True),
    Outcome("withheld.state_secret", "三(三)1", "属于国家秘密", (_r("第十四条"), _W), True, True),
    Outcome(
        "withheld.law_prohibited", "三(三)2", "其他法律行政法规禁止公开", (_r("第十四条"), _W), True, True
    ),
    Outcome("withheld.security_stability", "三(三)3", "危及“三安全一稳定”", (_r("第十四条"), _W), True, True),
    Outcome(
        "withheld.third_party",
        "三(三)4",
        "保护第三方合法权益",
        (_r("第十五条"), _r("第三十二条"), _W),
        True,
        True,
    ),
    Outcome(
        "withheld.internal_affairs", "三(三)5", "属于三类内部事务信息", (_r("第十六条第一款"), _W), True, True
    ),
    Outcome("withheld.process_info", "三(三)6", "属于四类过程性信息", (_r("第十六条第二款"), _W), True, True),
    Outcome(
        "withheld.enforcement_file", "三(三)7", "属于行政执法案卷", (_r("第十六条第二款"), _W), True, True
    ),
    Outcome("withheld.query_matter", "三(三)8", "属于行政查询事项", (_r("第三十六条第七项"),), True, True),
    # Art. 36(4) and 36(5) are two decisions counted in one row of table 三 (三(四)1): the
    # information does not exist (after a search), or another agency is responsible for it.
    Outcome("unable.not_held", "三(四)1", "经检索政府信息不存在", (_r("第三十六条第四项"),), True),
    Outcome("unable.not_ours", "三(四)1", "不属于本机关负责公开", (_r("第三十六条第五项"),), True),
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
        (FEE_BASIS_REGULATION, FEE_NOTICE_BASIS),
        False,
        without_reply=True,
    ),
    # A withdrawal ends the request by the applicant's own act: no article of the Regulation decides it.
    Outcome("other.other", "三(六)3", "其他处理", (), False, without_reply=True, remedies=False),
    # Correction requests (Art. 41): not counted in table 三 (report_row ""), unless the installation
    # counts them as 其他处理 (``CORRECTION_REPORT_ROW``, setting ``count_corrections_in_report``).
    Outcome("correction.corrected", "", "审核属实，予以更正", (CORRECTION_BASIS,), False, remedies=False),
    Outcome(
        "correction.referred", "", "转送有权更正的行政机关处理", (CORRECTION_BASIS,), False, remedies=False
    ),
    Outcome("correction.elsewhere", "", "告知向有权更正的行政机关提出", (CORRECTION_BASIS,), True),
    Outcome(
        "correction.refused_evidence", "", "不予更正（证据不足以证明记载不准确）", (CORRECTION_BASIS,), True
    ),
    Outcome(
        "correction.refused_not_own",
        "",
        "不予更正（不属于与申请人自身相关的政府信息）",
        (CORRECTION_BASIS,),
        True,
    ),
    Outcome("correction.refused_accurate", "", "不予更正（经审核记载准确）", (CORRECTION_BASIS,), True),
)
OUTCOMES_BY_CODE: dict[str, Outcome] = {o.code: o for o in OUTCOMES}

#: The grounds of withholding (Art. 14, 15, 16, each cited with Art. 36(3)): what a partial reply
#: (Art. 37) names for the part it withholds.
WITHHOLDING_GROUNDS: tuple[str, ...] = tuple(
    o.code for o in OUTCOMES if o.group == "withheld" and WITHHOLDING_BASIS in o.basis
)


# --- Releasing records (区分处理, Art. 37) ----------------------------------------------------

#: The replies that hand records over (Art. 36(2), 37): the records released with them.
RELEASE_OUTCOMES: tuple[str, ...] = ("disclosed.provided", "partial")
#: The short label printed in a redaction box: the article and the ground, for each withholding ground
#: (Art. 37: the part that may not be disclosed is withheld, the rest provided; each box names why).
REDACTION_LABELS: dict[str, str] = {
    "withheld.state_secret": "第十四条 国家秘密",
    "withheld.law_prohibited": "第十四条 法律禁止公开",
    "withheld.security_stability": "第十四条 三安全一稳定",
    "withheld.third_party": "第十五条 第三方权益",
    "withheld.internal_affairs": "第十六条 内部事务",
    "withheld.process_info": "第十六条 过程性信息",
    "withheld.enforcement_file": "第十六条 行政执法案卷",
}
#: The ground of suggested boxes (identity numbers, phone numbers, names of natural persons: personal
#: privacy, Art. 15).
SUGGESTION_GROUND = "withheld.third_party"


def partial_basis(grounds: Iterable[str]) -> tuple[Basis, ...]:
    """A partial reply's basis at letter time: Art. 37 and the articles of its withheld part's grounds."""
    bases = list(OUTCOMES_BY_CODE["partial"].basis)
    for code in grounds:
        bases.extend(b for b in OUTCOMES_BY_CODE[code].basis if b not in bases)
    return tuple(sorted(bases, key=lambda b: (_article_number(b.article), b.article)))


_DIGITS = {d: i for i, d in enumerate("零一二三四五六七八九")}


def _article_number(article: str) -> int:
    """第三十六条第三项 -> 36 (an article's number, for citing articles in their order)."""
    numeral = article.removeprefix("第").split("条", 1)[0]
    tens, _, units = numeral.rpartition("十")
    if "十" not in numeral:
        return _DIGITS.get(numeral, 0)
    return (_DIGITS.get(tens, 1) if tens else 1) * 10 + _DIGITS.get(units, 0)


#: The report groups of table 三 in order, with their row labels.
OUTCOME_GROUPS: dict[str, str] = {
    "disclosed": "（一）予以公开",
    "partial": "（二）部分公开",
    "withheld": "（三）不予公开",
    "unable": "（四）无法提供",
    "rejected": "（五）不予处理",
    "other": "（六）其他处理",
}


def outcomes_for(kind: str) -> tuple[Outcome, ...]:
    """The outcomes a request of this kind (``RequestKind``) may take."""
    return tuple(o for o in OUTCOMES if o.kind == kind)


def outcome(code: str) -> Outcome:
    """The outcome with this code, or a clear error naming the valid codes."""
    try:
        return OUTCOMES_BY_CODE[code]
    except KeyError:
        raise ValueError(f"没有此答复类型：{code}（可选：{'、'.join(o.name for o in OUTCOMES)}）") from None


#: The draft facts a reply of an outcome must carry (content the law requires), with the refusal
#: naming the rule and its article.
REPLY_REQUIRED_FACTS: dict[str, tuple[tuple[str, str], ...]] = {
    "unable.not_held": (
        (
            "search_description",
            "经检索没有所申请公开信息的，告知申请人该政府信息不存在（《中华人民共和国政府信息公开条例》"
            "第三十六条第四项）：请说明在何处、以何种方式检索",
        ),
    ),
    "withheld.query_matter": (
        (
            "query_law",
            "告知申请人依照有关法律、行政法规的规定办理（《中华人民共和国政府信息公开条例》第三十六条第七项）："
            "请写明规定该查询事项的法律、行政法规",
        ),
        (
            "query_where",
            "告知申请人依照有关法律、行政法规的规定办理（《中华人民共和国政府信息公开条例》第三十六条第七项）："
            "请写明办理查询的机关或场所",
        ),
    ),
}
#: Art. 36(5): contact details are those of the responsible agency, which must then be named.
NOT_OURS_CONTACT_WITHOUT_AGENCY = (
    "能够确定负责公开该政府信息的行政机关的，告知申请人该行政机关的名称、联系方式"
    "（《中华人民共和国政府信息公开条例》第三十六条第五项）：填写了联系方式，请同时写明该机关的名称"
)


# --- Documents (DOMAIN.md section 6) ---------------------------------------------------------


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
#: An applicant's download of a letter on the request page is its electronic delivery (电子送达):
#: the day it reached the applicant's system is the day received (``DELIVERY_DATE_RULES``).
ONLINE_DOWNLOAD_PROOF = "申请人通过申请查询页面在线下载"


# --- Delivery (送达) of the notices that start a period for their recipient -------------------


class DeliveryMethod(StrEnum):
    """How a notice reached its recipient; each has its rule of which day counts as received."""

    POST = "post"
    ELECTRONIC = "electronic"
    IN_PERSON = "in_person"
    FAX = "fax"
    OTHER = "other"


DELIVERY_METHOD_NAMES: dict[DeliveryMethod, str] = {
    DeliveryMethod.POST: "邮寄送达",
    DeliveryMethod.ELECTRONIC: "电子送达",
    DeliveryMethod.IN_PERSON: "直接送达",
    DeliveryMethod.FAX: "传真送达",
    DeliveryMethod.OTHER: "其他方式送达",
}
#: Which day is the recipient's receipt (the day the period runs from; it starts on the next day).
DELIVERY_DATE_RULES: dict[DeliveryMethod, str] = {
    DeliveryMethod.POST: "以收件人签收之日（邮件回执或查询记录上的签收日）为收到之日",
    DeliveryMethod.ELECTRONIC: "以送达内容到达收件人特定系统（电子邮箱、申请平台账户）之日为收到之日",
    DeliveryMethod.IN_PERSON: "以收件人在送达回证上签收之日为收到之日",
    DeliveryMethod.FAX: "以传真到达收件人之日为收到之日",
    DeliveryMethod.OTHER: "以有证据证明的收件人实际收到之日为收到之日",
}


@dataclass(frozen=True, slots=True)
class PeriodFromDelivery:
    """A document whose delivery starts a period for its recipient (counted from the next day)."""

    doc_code: str
    #: Who receives it, and so whose period runs: 申请人, 第三方, 被征求意见机关.
    recipient: str
    #: The period's code in ``PERIODS`` (looked up there, so a period added later plugs in).
    period_code: str


#: The documents whose recipient's period runs from the day after the recorded delivery.
PERIOD_FROM_DELIVERY: dict[str, PeriodFromDelivery] = {
    d.doc_code: d
    for d in (
        PeriodFromDelivery("supplement_notice", "申请人", APPLICANT_SUPPLEMENT.code),
        PeriodFromDelivery("consultation_third_party", "第三方", THIRD_PARTY_OPINION.code),
        PeriodFromDelivery("consultation_co_producer", "被征求意见机关", CO_PRODUCER_OPINION.code),
        PeriodFromDelivery("consultation_agency", "被征求意见机关", AGENCY_OPINION.code),
        PeriodFromDelivery("third_party_decision_notice", "第三方", THIRD_PARTY_DECISION_WAIT.code),
        PeriodFromDelivery("fee_notice", "申请人", FEE_PAYMENT.code),
        # Art. 35: the applicant's reasons, within the period the agency sets (its letter and period
        # are defined with the Art. 35 step).
        PeriodFromDelivery("art35_reasons_notice", "申请人", "art35_reasons"),
    )
}


def period_from_delivery(doc_code: str) -> Period | None:
    """The period that the delivery of ``doc_code`` starts (None: none, or not defined yet)."""
    entry = PERIOD_FROM_DELIVERY.get(doc_code)
    return PERIODS.get(entry.period_code) if entry else None


class LapseKind(StrEnum):
    """A period of the applicant's whose end the sweep proposes as a lapse (the clerk confirms)."""

    SUPPLEMENT = "supplement"
    FEE = "fee"


#: What the request shows while a lapse awaits the clerk's confirmation.
LAPSE_PROPOSED_NAMES: dict[LapseKind, str] = {
    LapseKind.SUPPLEMENT: "补正期限已过，待确认",
    LapseKind.FEE: "缴费期限已过，待确认",
}
#: The period whose end each lapse needs (counted from the delivery of its notice).
LAPSE_PERIODS: dict[LapseKind, Period] = {
    LapseKind.SUPPLEMENT: APPLICANT_SUPPLEMENT,
    LapseKind.FEE: FEE_PAYMENT,
}
#: Shown where a notice's delivery is not recorded (its period has not started to run).
NOT_DELIVERED = "尚未登记送达"


# --- Remedies (DOMAIN.md section 6) ----------------------------------------------------------

REVIEW_DAYS = 60
REVIEW_BASIS = Basis(REVIEW_LAW, "第二十条")
REVIEW_FIRST_BASIS = Basis(REVIEW_LAW, "第二十三条第一款第四项")
REVIEW_FIRST_NOTICE_BASIS = Basis(REVIEW_LAW, "第二十三条第二款")
LITIGATION_MONTHS = 6
LITIGATION_BASIS = Basis(LITIGATION_LAW, "第四十六条")
#: After review, the applicant may sue within 15 days of receiving the review decision (Litigation Law
#: Art. 45: 不服复议决定的，可以在收到复议决定书之日起十五日内向人民法院提起诉讼).
LITIGATION_AFTER_REVIEW_DAYS = 15
LITIGATION_AFTER_REVIEW_BASIS = Basis(LITIGATION_LAW, "第四十五条")
#: Where no court is configured, the letter names none: 依法向人民法院提起行政诉讼.
COURT_UNNAMED = "依法向人民法院"


class AgencyKind(StrEnum):
    """What an agency is, for the remedies against it: a people's government or a department."""

    #: A department of a people's government (工作部门), or another agency under one.
    DEPARTMENT = "department"
    #: A local people's government at county level or above (县级以上地方人民政府).
    GOVERNMENT = "government"
    #: A township or town government (乡、镇人民政府): a government, but below county level.
    TOWNSHIP = "township"


AGENCY_KIND_NAMES: dict[AgencyKind, str] = {
    AgencyKind.DEPARTMENT: "人民政府工作部门（或其他行政机关）",
    AgencyKind.GOVERNMENT: "县级以上地方人民政府",
    AgencyKind.TOWNSHIP: "乡、镇人民政府",
}
#: The kinds that are people's governments (人民政府): a department's review body is the nearest.
GOVERNMENT_KINDS: frozenset[AgencyKind] = frozenset({AgencyKind.GOVERNMENT, AgencyKind.TOWNSHIP})
#: Review Law 2023 Art. 24: 县级以上地方各级人民政府管辖对本级人民政府工作部门作出的行政行为不服的、
#: 对下一级人民政府作出的行政行为不服的行政复议案件: a department's review body is its own people's
#: government, a government's the government at the next level up (derived from the agency tree).
REVIEW_BODY_BASIS = Basis(REVIEW_LAW, "第二十四条")
#: Review Law 2023 Art. 27: 对海关、金融、外汇管理等实行垂直领导的行政机关、税务和国家安全机关的
#: 行政行为不服的，向上一级主管部门申请行政复议: set per agency (its review_body setting overrides
#: the derivation).
REVIEW_VERTICAL_BASIS = Basis(REVIEW_LAW, "第二十七条")
#: Litigation Law Art. 14: basic courts try first-instance cases (a department's, a township's);
#: Art. 15(1): intermediate courts try cases against a local government at county level or above.
COURT_LEVELS: dict[AgencyKind, tuple[str, Basis]] = {
    AgencyKind.DEPARTMENT: ("基层人民法院", Basis(LITIGATION_LAW, "第十四条")),
    AgencyKind.GOVERNMENT: ("中级人民法院", Basis(LITIGATION_LAW, "第十五条第一项")),
    AgencyKind.TOWNSHIP: ("基层人民法院", Basis(LITIGATION_LAW, "第十四条")),
}
#: What a review or litigation record challenges. Either may be filed at any time after the
#: request was registered: a failure to reply in time (逾期不答复) is challenged while the request is
#: still open (Regulation Art. 51: 认为行政机关在政府信息公开工作中侵犯其合法权益的，
#: 可以依法申请行政复议或者提起行政诉讼).
REMEDY_SUBJECTS: dict[str, str] = {"decision": "答复或告知", "no_reply": "逾期不答复"}
REMEDY_ANY_TIME_BASIS = Basis(REGULATION, "第五十一条")


def review_required_first(outcome_code: str, issue_date: dt.date) -> bool:
    """A refusal to disclose issued since 2024-01-01 must go to review before litigation."""
    return OUTCOMES_BY_CODE[outcome_code].refuses_disclosure and issue_date >= REVIEW_FIRST_IN_FORCE


# --- Fees (Fee Measures; the articles are above, before ``RuleSet``) -------------------------

#: The forms of provision a per-page fee may be charged for (Fee Measures Art. 5: paper copies,
#: e-mail, copied electronic data; paper copies sent by post or collected are paper copies). Not
#: inspection on the spot, which supplies no copy.
FEE_PER_PAGE_FORMS: frozenset[ProvisionForm] = frozenset(
    {
        ProvisionForm.PAPER,
        ProvisionForm.ELECTRONIC,
        ProvisionForm.EMAIL,
        ProvisionForm.POST,
        ProvisionForm.PICK_UP,
    }
)
#: The outcomes that supply the information; a per-page fee is charged only for them (Art. 5:
#: information already published, whose access is told, is not charged per page).
FEE_PER_PAGE_OUTCOMES: tuple[str, ...] = ("disclosed.provided", "partial")
#: Every fee letter cites these: the Regulation's permission, the method, the scale (per
#: application, per page), the notice and payment period.
FEE_LETTER_BASES: tuple[Basis, ...] = (
    FEE_BASIS_REGULATION,
    FEE_METHOD_BASIS,
    FEE_PER_APPLICATION_BASIS,
    FEE_PER_PAGE_BASIS,
    FEE_NOTICE_BASIS,
)
#: How the fee letters cite them: 《条例》第四十二条和《办法》第三条、第四条、第五条、第七条.
FEE_LETTER_BASIS_LABEL = cite(FEE_LETTER_BASES)
#: The names of the consulted parties (for letters and refusals). Before issue 15 "agency" meant a
#: co-producer (silence = consent); migration 0016 renamed those rows "co_producer", and "agency" is
#: now another agency that did not co-produce the information.
CONSULTATION_PARTY_NAMES: dict[str, str] = {
    "third_party": "第三方",
    "co_producer": "共同制作机关",
    "agency": "其他机关",
}
#: The period each consulted party answers within (from the day after it received the letter).
CONSULTATION_PERIODS: dict[str, Period] = {
    "third_party": THIRD_PARTY_OPINION,
    "co_producer": CO_PRODUCER_OPINION,
    "agency": AGENCY_OPINION,
}
#: The letter each party is consulted by (its ``DocumentType`` code).
CONSULTATION_LETTERS: dict[str, str] = {k: f"consultation_{k}" for k in CONSULTATION_PARTY_NAMES}
#: What a party's silence at the end of its window means: only a co-producer's is consent (Art. 34);
#: a third party's (Art. 32) or another agency's is no opinion, and the office decides.
CONSULTATION_SILENCE: dict[str, str] = {"third_party": "none", "co_producer": "consent", "agency": "none"}
#: The opinions of a third party that require the Art. 32 decision notice before disclosure, by the
#: outcomes they block: an objection blocks every disclosing outcome (disclosed.* and partial); a
#: partial consent blocks a full disclosure (a partial reply may withhold what was objected to).
OBJECTION_BLOCKS: dict[str, tuple[str, ...]] = {
    "object": ("disclosed.", "partial"),
    "partial": ("disclosed.",),
}
#: Art. 32: "第三方不同意公开且有合理理由的，行政机关不予公开": a partial reply that withholds on this
#: ground (Art. 15) withholds what the third party objected to and discloses only the rest, so it
#: honours a whole objection and needs no decision notice (that notice is for disclosing over it).
OBJECTION_HONOURED_BY = "withheld.third_party"

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
    "unable.not_ours": "1.本机关不掌握相关政府信息",
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
#: Outcomes that count in another outcome's numbered row of table 三: Art. 36(5) counts with 36(4)
#: in 三(四)1 (本机关不掌握相关政府信息); the office figures show them apart.
REPORT_ROW_SHARED: dict[str, str] = {"unable.not_ours": "unable.not_held"}
#: The row of table 三 (its JSON key) each outcome counts in.
REPORT_ROW_KEYS: dict[str, str] = {o.code: REPORT_ROW_SHARED.get(o.code, o.code) for o in OUTCOMES}
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
                if o.group == group and REPORT_ROW_KEYS[o.code] == o.code
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
