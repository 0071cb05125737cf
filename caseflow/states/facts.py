"""The facts each action needs, as pydantic models: a missing or malformed fact names its field.

Dates are legal dates (``date``); when a date is omitted it is today in Asia/Shanghai (filled in
by the engine). No date may lie in the future.

This module holds the base (``Facts``) and the facts of the path to a reply: supplement,
consultation, fee, extension, Art. 35, the draft, its review and issue, its delivery, withdrawal.
The facts of the actions beside that path are in ``caseflow.states.record_facts``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from caseflow import law
from caseflow.dates import zh
from caseflow.fees import FeeMethod
from caseflow.texts import Line, Text, refuse_controls

#: Dates the working-day calendar can answer for (the Regulation's start to the table's end).
EARLIEST = dt.date(2008, 5, 1)
LATEST = dt.date(2045, 12, 31)


#: At most this many things to supplement, each at most this long (one notice, Art. 30).
MAX_SUPPLEMENT_ITEMS = 50
MAX_ITEM_LENGTH = 500


class Facts(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _sane(cls, value: object) -> object:
        if isinstance(value, dt.date) and not EARLIEST <= value <= LATEST:
            raise ValueError(f"日期{zh(value)}超出可处理的范围（{zh(EARLIEST)}至{zh(LATEST)}）")
        return refuse_controls(value)  # every string of every action's facts

    def dates(self) -> list[tuple[str, dt.date]]:
        """The facts that are legal dates of things that happened (checked not to be in the future)."""
        return [(name, value) for name, value in self if isinstance(value, dt.date) and name in PAST_DATES]


#: Facts that record something that has happened (so cannot be in the future).
PAST_DATES = frozenset(
    {
        "notice_date",
        "received_on",
        "letter_date",
        "opinion_date",
        "paid_on",
        "decided_on",
        "issued_on",
        "delivered_on",
        "withdrawn_on",
        "filed_on",
        "concluded_on",
    }
)


class NoFacts(Facts):
    pass


class RequestSupplementFacts(Facts):
    items: list[Annotated[Line, Field(max_length=MAX_ITEM_LENGTH)]] = Field(
        min_length=1,
        max_length=MAX_SUPPLEMENT_ITEMS,
        description="Everything the applicant must supplement, once (one line each)",
    )
    period_days: int | None = Field(default=None, ge=1, le=60, description="Working days to supplement")
    notice_date: dt.date | None = None

    @field_validator("items")
    @classmethod
    def _items_not_blank(cls, items: list[str]) -> list[str]:
        cleaned = [i.strip() for i in items]
        if any(not i for i in cleaned):
            raise ValueError("每一项补正事项都须写明需要补正的内容")
        return cleaned


class ReceiveSupplementFacts(Facts):
    received_on: dt.date | None = None
    summary: Text = Field(default="", max_length=4000)


class StartConsultationFacts(Facts):
    #: third_party (Art. 32), co_producer (共同制作, Art. 34: silence is consent), agency (another
    #: agency that did not co-produce the information: silence is no opinion).
    party_kind: Literal["third_party", "co_producer", "agency"]
    party_name: Line = Field(min_length=1, max_length=200)
    matters: Text = Field(min_length=1, max_length=4000)
    letter_date: dt.date | None = None


class ReceiveOpinionFacts(Facts):
    opinion: Literal["consent", "object", "partial"]
    opinion_text: Text = Field(default="", max_length=8000)
    opinion_date: dt.date | None = None
    #: Which consultation answered (required when more than one is open).
    consultation_id: int | None = Field(default=None, ge=1)


class LapseConsultationFacts(Facts):
    #: Which consultation's window ended (required when more than one is open).
    consultation_id: int | None = Field(default=None, ge=1)


class NotifyThirdPartyDecisionFacts(Facts):
    """Art. 32: the office decided to disclose over a third party's objection; it tells the third
    party in writing what it will disclose and why, and waits before disclosing."""

    #: The third party's consultation (required when more than one third party objected).
    consultation_id: int | None = Field(default=None, ge=1)
    content: Text = Field(min_length=1, max_length=4000, description="The information to be disclosed")
    reasons: Text = Field(min_length=1, max_length=8000, description="Why the office discloses it")
    wait_days: int | None = Field(
        default=None, ge=1, le=60, description="Working days from receipt before disclosure (default 15)"
    )
    notice_date: dt.date | None = None


class AssessFeeFacts(Facts):
    method: FeeMethod
    pages: int | None = Field(default=None, ge=1, le=10_000_000, description="Per page: the number of pages")
    reduction_yuan: int = Field(default=0, ge=0, le=1_000_000_000)
    reduction_reason: Line = Field(default="", max_length=500)
    notice_date: dt.date | None = None
    items_split: int = Field(
        default=1,
        ge=1,
        le=1000,
        description="Per application: the number of applications (件) the request is split into (一事一申请)",
    )

    @model_validator(mode="after")
    def _pages_for_per_page(self) -> AssessFeeFacts:
        if self.method is FeeMethod.PER_PAGE and self.pages is None:
            raise ValueError(f"pages: 按页计收的，须填写页数（{law.FEE_PER_PAGE_BASIS.label}）")
        if self.method is FeeMethod.PER_APPLICATION and self.pages is not None:
            raise ValueError(
                f"pages: 仅按页计收时填写页数；同一申请只适用一种计收方式（{law.FEE_METHOD_BASIS.label}）"
            )
        if self.method is FeeMethod.PER_PAGE and self.items_split != 1:
            raise ValueError(
                "items_split: a request is split into several applications (一事一申请) only when charging "
                "per application (《政府信息公开信息处理费管理办法》第四条)"
            )
        return self


class RecordPaymentFacts(Facts):
    paid_on: dt.date | None = None
    payment_ref: Line = Field(default="", max_length=200)


class ExtendFacts(Facts):
    reason: Text = Field(min_length=1, max_length=4000)
    days: int | None = Field(default=None, ge=1, le=60, description="Working days (default: the maximum)")
    decided_on: dt.date | None = None


class SetDelayedDateFacts(Facts):
    due: dt.date
    reason: Text = Field(min_length=1, max_length=4000)
    decided_on: dt.date | None = None


class RequestArt35ReasonsFacts(Facts):
    """Art. 35: ask the applicant to explain an excessive request, within a period the office sets."""

    asked: Text = Field(min_length=1, max_length=4000, description="What the applicant is asked to explain")
    period_days: int = Field(
        ge=1, le=60, description="Working days, from the day after the applicant receives the notice"
    )
    notice_date: dt.date | None = None


class RecordArt35ReasonsFacts(Facts):
    """The applicant's reasons (given, with the day they arrived), or none within the period."""

    answer: Literal["given", "not_given"]
    reasons: Text = Field(default="", max_length=8000, description="The reasons the applicant gave")
    #: The day the reasons arrived (given; default today); not a fact when none were given.
    reasons_on: dt.date | None = None

    @model_validator(mode="after")
    def _reasons_when_given(self) -> RecordArt35ReasonsFacts:
        if self.answer == "given" and not self.reasons:
            raise ValueError("reasons: 须填写申请人说明的理由")
        if self.answer == "not_given" and (self.reasons or self.reasons_on is not None):
            raise ValueError("reasons: 申请人未说明理由的，理由及收到日期应留空")
        return self


class DraftReplyFacts(Facts):
    outcome: Line = Field(max_length=40)
    reasons: Text = Field(default="", max_length=8000)
    where_to_obtain: Text = Field(default="", max_length=2000)
    responsible_agency: Line = Field(default="", max_length=200)
    #: Art. 36(5): the responsible agency's contact details, where it can be determined.
    responsible_contact: Line = Field(default="", max_length=500)
    #: Art. 36(4): where and how the information was searched for.
    search_description: Text = Field(default="", max_length=4000)
    #: Art. 36(7): the law or regulation that governs the query, and where to apply.
    query_law: Line = Field(default="", max_length=500)
    query_where: Text = Field(default="", max_length=2000)
    provided: Text = Field(default="", max_length=8000, description="What is provided, and how")
    #: disclosed.provided and partial (Art. 40, 36(2)): the form actually used (default: the form
    #: asked for), the reason when it differs from the form asked for, and for inspection or pick-up
    #: the place and the time (the letter states the 方式、途径和时间 of provision).
    provided_form: law.ProvisionForm | None = None
    provided_form_reason: Text = Field(default="", max_length=2000)
    provision_place: Line = Field(default="", max_length=300)
    provision_time: Line = Field(default="", max_length=300)

    @model_validator(mode="after")
    def _provision(self) -> DraftReplyFacts:
        given = [
            name
            for name in ("provided_form", "provided_form_reason", "provision_place", "provision_time")
            if getattr(self, name)
        ]
        if self.outcome not in law.PROVISION_OUTCOMES and given:
            names = "、".join(law.OUTCOMES_BY_CODE[c].name for c in law.PROVISION_OUTCOMES)
            raise ValueError(f"{given[0]}: 仅{names}的答复填写提供形式（{law.PROVISION_FORM_BASIS.label}）")
        if self.provided_form in law.PROVISION_FORMS_AT_OFFICE:
            for name in ("provision_place", "provision_time"):
                if not getattr(self, name):
                    raise ValueError(
                        f"{name}: 当场查阅或者自行领取的，答复应当告知获取信息的地点和时间"
                        f"（{law.PROVISION_NOTICE_BASIS.label}）"
                    )
        return self

    #: rejected.duplicate (Art. 36(6)): the earlier request of the same applicant, already answered.
    earlier_tracking_no: Line = Field(default="", max_length=60)
    #: partial (Art. 37): the ground(s) of the withheld part, withheld.* codes (their articles are cited).
    withheld_grounds: list[Annotated[Line, Field(max_length=40)]] = Field(
        default_factory=list, max_length=len(law.WITHHOLDING_GROUNDS)
    )

    @field_validator("withheld_grounds")
    @classmethod
    def _known_grounds(cls, grounds: list[str]) -> list[str]:
        unknown = [g for g in grounds if g not in law.WITHHOLDING_GROUNDS]
        if unknown:
            names = "、".join(law.OUTCOMES_BY_CODE[g].name for g in law.WITHHOLDING_GROUNDS)
            raise ValueError(f"{'、'.join(unknown)}不是不予公开的理由类别（可选：{names}）")
        return list(dict.fromkeys(grounds))

    @field_validator("outcome")
    @classmethod
    def _known_outcome(cls, code: str) -> str:
        out = law.outcome(code)
        if out.without_reply:
            raise ValueError(f"「{out.name}」不是答复类型，应以逾期或撤回登记")
        return code

    @model_validator(mode="after")
    def _content_the_law_requires(self) -> DraftReplyFacts:
        out = law.OUTCOMES_BY_CODE[self.outcome]
        if (out.refuses_disclosure or out.group in ("unable", "rejected")) and not self.reasons:
            raise ValueError(f"reasons: 「{out.name}」的答复须写明理由（{out.basis_label}）")
        if self.outcome in ("disclosed.public", "rejected.publication") and not self.where_to_obtain:
            raise ValueError(f"where_to_obtain: 「{out.name}」的答复须写明获取途径（{out.basis_label}）")
        for name, message in law.REPLY_REQUIRED_FACTS.get(self.outcome, ()):
            if not getattr(self, name):
                raise ValueError(f"{name}: {message}")
        if self.responsible_contact and not self.responsible_agency:
            raise ValueError(f"responsible_agency: {law.NOT_OURS_CONTACT_WITHOUT_AGENCY}")
        if self.outcome == "partial" and not self.withheld_grounds:
            raise ValueError(
                f"withheld_grounds: 部分公开的，须写明不予公开部分的理由类别（{out.basis_label}）"
            )
        if self.outcome != "partial" and self.withheld_grounds:
            raise ValueError("withheld_grounds: 仅部分公开的答复填写不予公开部分的理由类别")
        if self.outcome == "rejected.duplicate" and not self.earlier_tracking_no:
            raise ValueError(
                f"earlier_tracking_no: 重复申请的，须填写此前已答复的申请的受理编号（{out.basis_label}）"
            )
        if self.outcome != "rejected.duplicate" and self.earlier_tracking_no:
            raise ValueError("earlier_tracking_no: 仅重复申请的答复填写此前申请的受理编号")
        return self


class ReviewCommentFacts(Facts):
    comments: Text = Field(default="", max_length=8000)


class ReturnReplyFacts(Facts):
    comments: Text = Field(min_length=1, max_length=8000)


class DisclosureReviewFacts(Facts):
    """The review before disclosure (保密审查, Art. 17): its conclusion, and the comments (required
    when it does not agree: the draft goes back to the handler with them)."""

    conclusion: Literal["agree", "disagree"]
    comments: Text = Field(default="", max_length=8000)

    @model_validator(mode="after")
    def _reasons_for_disagreeing(self) -> DisclosureReviewFacts:
        if self.conclusion == "disagree" and not self.comments:
            raise ValueError("comments: 不同意公开的，应当写明审查意见")
        return self


class IssueReplyFacts(Facts):
    issued_on: dt.date | None = None


class RecordDeliveryFacts(Facts):
    method: Literal["in_person", "post", "email", "online", "fax"]
    proof: Line = Field(min_length=1, max_length=1000, description="Signed receipt, tracking number, ...")
    delivered_on: dt.date | None = None


class WithdrawFacts(Facts):
    reason: Text = Field(min_length=1, max_length=4000)
    withdrawn_on: dt.date | None = None
