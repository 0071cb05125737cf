"""The records of a request's steps beside its state: consultations (Art. 32, 34), fee assessments,
the Art. 35 request for reasons, and review and litigation (行政复议, 行政诉讼).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class Consultation(SQLModel, table=True):
    """A consultation of a third party (Art. 32), a co-producing agency (Art. 34) or another agency.

    ``party_kind``: "third_party", "co_producer" (silence is consent) or "agency" (another agency
    that did not co-produce the information; silence is no opinion)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    party_kind: str = Field(max_length=20)
    party_name: str = Field(max_length=200)
    letter_date: dt.date
    #: The last day to answer: None until the letter's delivery is recorded (Art. 32, 34: the period
    #: runs from the day after the recipient received it).
    window_end: dt.date | None = None
    opinion_date: dt.date | None = None
    opinion: str | None = Field(default=None, max_length=20)
    opinion_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: The consultation letter (``letter.id``): its delivery starts this consultation's window. Several
    #: consultations may be open at once, each with its own letter (migration 0016 links the old rows).
    letter_id: int | None = Field(default=None, index=True)
    #: Art. 32, disclosure over this third party's objection: the 公开决定告知书 (``letter.id``), the
    #: working days it says the office waits after the third party receives it, and the last day of
    #: that wait (None until the notice's delivery is recorded). Disclosure only after that day.
    decision_letter_id: int | None = Field(default=None, index=True)
    decision_wait_days: int | None = None
    decision_wait_end: dt.date | None = None


class FeeAssessment(SQLModel, table=True):
    __tablename__ = "fee_assessment"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    method: str = Field(max_length=20)
    units: int
    #: Per application: the number of applications (件) the request counts as, where the agency
    #: split it by the 一事一申请 principle (Fee Measures Art. 4); 1 otherwise. Counted in the
    #: applicant's monthly ordinal of every later request.
    items_split: int = 1
    gross_yuan: int
    reduction_yuan: int = 0
    reduction_reason: str = Field(default="", max_length=500)
    amount_yuan: int
    notice_date: dt.date
    #: The last day to pay: None until the notice's delivery is recorded (Fee Measures: from the day
    #: after the applicant received it).
    pay_by: dt.date | None = None
    paid_on: dt.date | None = None
    status: str = Field(default="pending", max_length=20)


class Art35Step(SQLModel, table=True):
    """Art. 35: the applicant was asked to explain an excessive request (要求说明理由), and answered
    (``given``, with the reasons and the day they arrived) or let the period pass (``not_given``).
    The period runs in working days from the day after the applicant received the notice."""

    __tablename__ = "art35_step"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    notice_date: dt.date
    period_days: int
    asked: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=20)  # pending | given | not_given
    reasons: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    reasons_on: dt.date | None = None
    recorded_on: dt.date | None = None


class RemedyRecord(SQLModel, table=True):
    """Administrative review (行政复议) or litigation (行政诉讼), at any time after registration."""

    __tablename__ = "remedy_record"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    kind: str = Field(max_length=20)  # review | litigation
    path: str = Field(default="", max_length=20)  # litigation: direct | after_review
    subject: str = Field(default="decision", max_length=20)  # law.REMEDY_SUBJECTS: decision | no_reply
    filed_on: dt.date
    body: str = Field(max_length=200)
    reference_no: str = Field(default="", max_length=100)
    result: str | None = Field(default=None, max_length=20)  # maintained | corrected | other
    concluded_on: dt.date | None = None
