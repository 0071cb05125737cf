"""The facts each action needs, as pydantic models: a missing or malformed fact names its field.

Dates are legal dates (``date``); when a date is omitted it is today in Asia/Shanghai (filled in
by the engine). No date may lie in the future.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from caseflow import law
from caseflow.fees import FeeMethod

#: Dates the working-day calendar can answer for (the Regulation's start to the table's end).
EARLIEST = dt.date(2008, 5, 1)
LATEST = dt.date(2045, 12, 31)


def no_nul(value: object) -> object:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if isinstance(value, list):
        for item in value:
            no_nul(item)
    return value


class Facts(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _sane(cls, value: object) -> object:
        if isinstance(value, dt.date) and not EARLIEST <= value <= LATEST:
            raise ValueError(
                f"{value.isoformat()} is outside the dates caseflow handles "
                f"({EARLIEST.isoformat()} to {LATEST.isoformat()})"
            )
        return no_nul(value)

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
    items: list[str] = Field(min_length=1, description="Everything the applicant must supplement, once")
    period_days: int | None = Field(default=None, ge=1, le=60, description="Working days to supplement")
    notice_date: dt.date | None = None

    @field_validator("items")
    @classmethod
    def _items_not_blank(cls, items: list[str]) -> list[str]:
        cleaned = [i.strip() for i in items]
        if any(not i for i in cleaned):
            raise ValueError("every item to supplement must say what is missing")
        return cleaned


class ReceiveSupplementFacts(Facts):
    received_on: dt.date | None = None
    summary: str = Field(default="", max_length=4000)


class StartConsultationFacts(Facts):
    party_kind: Literal["third_party", "agency"]
    party_name: str = Field(min_length=1, max_length=200)
    matters: str = Field(min_length=1, max_length=4000)
    letter_date: dt.date | None = None


class ReceiveOpinionFacts(Facts):
    opinion: Literal["consent", "object", "partial"]
    opinion_text: str = Field(default="", max_length=8000)
    opinion_date: dt.date | None = None


class AssessFeeFacts(Facts):
    method: FeeMethod
    pages: int | None = Field(default=None, ge=1, le=10_000_000, description="Per page: the number of pages")
    reduction_yuan: int = Field(default=0, ge=0, le=1_000_000_000)
    reduction_reason: str = Field(default="", max_length=500)
    notice_date: dt.date | None = None

    @model_validator(mode="after")
    def _pages_for_per_page(self) -> AssessFeeFacts:
        if self.method is FeeMethod.PER_PAGE and self.pages is None:
            raise ValueError("pages: required when charging per page")
        if self.method is FeeMethod.PER_APPLICATION and self.pages is not None:
            raise ValueError("pages: only for per-page charging (one method per request)")
        return self


class RecordPaymentFacts(Facts):
    paid_on: dt.date | None = None
    payment_ref: str = Field(default="", max_length=200)


class ExtendFacts(Facts):
    reason: str = Field(min_length=1, max_length=4000)
    days: int | None = Field(default=None, ge=1, le=60, description="Working days (default: the maximum)")
    decided_on: dt.date | None = None


class SetDelayedDateFacts(Facts):
    due: dt.date
    reason: str = Field(min_length=1, max_length=4000)
    decided_on: dt.date | None = None


class DraftReplyFacts(Facts):
    outcome: str
    reasons: str = Field(default="", max_length=8000)
    where_to_obtain: str = Field(default="", max_length=2000)
    responsible_agency: str = Field(default="", max_length=200)
    provided: str = Field(default="", max_length=8000, description="What is provided, and how")

    @field_validator("outcome")
    @classmethod
    def _known_outcome(cls, code: str) -> str:
        out = law.outcome(code)
        if out.without_reply:
            raise ValueError(f"{code} is not a reply; it is recorded by lapse or withdrawal")
        return code

    @model_validator(mode="after")
    def _content_the_law_requires(self) -> DraftReplyFacts:
        out = law.OUTCOMES_BY_CODE[self.outcome]
        if (out.refuses_disclosure or out.group in ("unable", "rejected")) and not self.reasons:
            raise ValueError(f"reasons: a {self.outcome} reply must give its reasons")
        if self.outcome in ("disclosed.public", "rejected.publication") and not self.where_to_obtain:
            raise ValueError(f"where_to_obtain: a {self.outcome} reply must say where to obtain it")
        return self


class ReviewCommentFacts(Facts):
    comments: str = Field(default="", max_length=8000)


class ReturnReplyFacts(Facts):
    comments: str = Field(min_length=1, max_length=8000)


class IssueReplyFacts(Facts):
    issued_on: dt.date | None = None


class RecordDeliveryFacts(Facts):
    method: Literal["in_person", "post", "email", "online", "fax"]
    proof: str = Field(min_length=1, max_length=1000, description="Signed receipt, tracking number, ...")
    delivered_on: dt.date | None = None


class WithdrawFacts(Facts):
    reason: str = Field(min_length=1, max_length=4000)
    withdrawn_on: dt.date | None = None


class RecordReviewFacts(Facts):
    body: str = Field(min_length=1, max_length=200)
    reference_no: str = Field(default="", max_length=100)
    filed_on: dt.date


class RecordLitigationFacts(Facts):
    court: str = Field(min_length=1, max_length=200)
    path: Literal["direct", "after_review"]
    reference_no: str = Field(default="", max_length=100)
    filed_on: dt.date


class ConcludeRemedyFacts(Facts):
    record_id: int = Field(ge=1, le=2_147_483_647)
    result: Literal["maintained", "corrected", "other"]
    concluded_on: dt.date


class MarkComplexFacts(Facts):
    reason: str = Field(min_length=1, max_length=4000)


class JointOpinionFacts(Facts):
    participants: str = Field(min_length=1, max_length=1000)
    opinion: str = Field(min_length=1, max_length=8000)


class ReassignFacts(Facts):
    handler: str = Field(min_length=1, max_length=80, description="The new handler's username")


class NoteFacts(Facts):
    text: str = Field(min_length=1, max_length=8000)


class ExportFacts(Facts):
    scope: str = Field(min_length=1, max_length=300, description="What was exported (one case, an agency...)")
