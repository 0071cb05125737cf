"""The periods and rule sets: how periods are counted (civil law, applied by analogy), the reply
periods by receipt date (``RuleSet``, ``rules_for``), the statutory periods in working days
(``PERIODS``), and why the reply period pauses (``PauseReason``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from caseflow.law.basis import (
    CIVIL_CODE,
    REGULATION,
    REGULATION_2007_IN_FORCE,
    REGULATION_2019_IN_FORCE,
    Basis,
)
from caseflow.law.fees import FEE_NOTICE_BASIS

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


# --- The reply periods by receipt date -------------------------------------------------------


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
