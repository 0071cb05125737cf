"""Delivery (送达) of the notices that start a period for their recipient, and the lapses of the
applicant's periods that the sweep proposes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from caseflow.law.periods import (
    AGENCY_OPINION,
    APPLICANT_SUPPLEMENT,
    CO_PRODUCER_OPINION,
    FEE_PAYMENT,
    PERIODS,
    THIRD_PARTY_DECISION_WAIT,
    THIRD_PARTY_OPINION,
    Period,
)

#: An applicant's download of a letter on the request page is its electronic delivery (电子送达):
#: the day it reached the applicant's system is the day received (``DELIVERY_DATE_RULES``).
ONLINE_DOWNLOAD_PROOF = "申请人通过申请查询页面在线下载"


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
