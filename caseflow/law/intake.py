"""Intake (Art. 29, 31): the applicant types, the channels and their receipt-date rules, the
identity documents, and the forms of provision."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from caseflow.law.basis import REGULATION, Basis


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
