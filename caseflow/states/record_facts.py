"""The facts of the actions beside the path to a reply: what is only recorded (a document viewed,
a letter's PDF, an applicant's download, a declined online submission), deliveries that start a
period and the lapses proposed after it, review and litigation, and the handling of a request
(complexity, joint opinion, reassignment, notes, exports). The base is ``caseflow.states.facts``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator

from caseflow import law
from caseflow.states.facts import Facts
from caseflow.texts import Line, Text


class ViewDocumentFacts(Facts):
    """Which uploaded file of the request is opened (its ``case_document`` id)."""

    document_id: int = Field(ge=1, le=2_147_483_647)


class LetterPdfFacts(Facts):
    """The PDF/A rendered after commit from an issued letter's stored HTML (``letter_pdf``, system)."""

    letter_no: Line = Field(min_length=1, max_length=80, description="The issued letter's number")
    pdf_sha256: str = Field(pattern="^[0-9a-f]{64}$", description="SHA-256 of the rendered PDF")


class ApplicantDownloadFacts(Facts):
    """A letter to the applicant downloaded on the request page (``applicant_download``, system): the
    bytes served, by their hash, and the address they went to. The first download is its delivery."""

    letter_no: Line = Field(min_length=1, max_length=80, description="The downloaded letter's number")
    format: Literal["html", "pdf"] = Field(description="Which file of the letter was served")
    sha256: str = Field(pattern="^[0-9a-f]{64}$", description="SHA-256 of the bytes served")
    client_address: Line = Field(min_length=1, max_length=100, description="The downloader's address")


class DeclineApplicantSubmissionFacts(Facts):
    """An applicant's online supplement or withdrawal not recorded (``decline_applicant_submission``):
    which one, and why (the applicant sees the note). The engine adds the submission's hash, arrival
    moment and address from its row."""

    submission_id: int = Field(ge=1, le=2_147_483_647, description="The applicant submission's id")
    note: Text = Field(min_length=1, max_length=2000, description="Why it is not recorded")


class RecordNoticeDeliveryFacts(Facts):
    """The delivery (送达) of a letter that starts a period for its recipient: how, the proof, and
    the day the recipient received it (by post the signed-for day; electronic: the day it reached
    the recipient's system). The period runs from the next day."""

    document: Line = Field(
        min_length=1, max_length=40, description="The letter's document type, e.g. fee_notice"
    )
    method: law.DeliveryMethod
    proof: Text = Field(
        min_length=1, max_length=2000, description="EMS tracking number and signed-for record, receipt, ..."
    )
    received_on: dt.date = Field(description="The day the recipient received it")
    #: A consultation letter or an Art. 32 decision notice: whose (required when several of that
    #: type await their delivery).
    consultation_id: int | None = Field(default=None, ge=1)

    @field_validator("document")
    @classmethod
    def _starts_a_period(cls, code: str) -> str:
        if code not in law.PERIOD_FROM_DELIVERY:
            names = "、".join(law.DOCUMENT_TYPES_BY_CODE[c].name for c in law.PERIOD_FROM_DELIVERY)
            raise ValueError(f"该文书不启动收件人的期限，无须在此登记送达（须登记送达的文书：{names}）")
        return code


class ProposeLapseFacts(Facts):
    """The sweep's proposal that the applicant's period ran out (the clerk confirms or waits)."""

    kind: law.LapseKind


class KeepWaitingFacts(Facts):
    """The clerk's reason not to confirm a proposed lapse yet (e.g. the letter may still be in the
    post), and optionally the day until which to wait before the sweep proposes it again."""

    reason: Text = Field(min_length=1, max_length=4000)
    until: dt.date | None = Field(default=None, description="Wait until this day (empty: until you act)")


#: What a review or litigation challenges (law.REMEDY_SUBJECTS); omitted: the decision where the
#: request has one, otherwise the failure to reply in time.
RemedySubject = Literal["decision", "no_reply"]


class RecordReviewFacts(Facts):
    body: Line = Field(min_length=1, max_length=200)
    reference_no: Line = Field(default="", max_length=100)
    filed_on: dt.date
    subject: RemedySubject | None = None


class RecordLitigationFacts(Facts):
    court: Line = Field(min_length=1, max_length=200)
    path: Literal["direct", "after_review"]
    reference_no: Line = Field(default="", max_length=100)
    filed_on: dt.date
    subject: RemedySubject | None = None


class ConcludeRemedyFacts(Facts):
    record_id: int = Field(ge=1, le=2_147_483_647)
    result: Literal["maintained", "corrected", "other"]
    concluded_on: dt.date


class MarkComplexFacts(Facts):
    reason: Text = Field(min_length=1, max_length=4000)


class JointOpinionFacts(Facts):
    participants: Line = Field(min_length=1, max_length=1000)
    opinion: Text = Field(min_length=1, max_length=8000)


class ReassignFacts(Facts):
    handler: Line = Field(min_length=1, max_length=80, description="The new handler's username")


class NoteFacts(Facts):
    text: Text = Field(min_length=1, max_length=8000)


class ExportFacts(Facts):
    scope: Line = Field(
        min_length=1, max_length=300, description="What was exported (one case, an agency...)"
    )
    package_sha256: str | None = Field(
        default=None, pattern="^[0-9a-f]{64}$", description="SHA-256 of the package as written (zip)"
    )
    masked: bool = Field(
        default=False, description="The masked variant for external auditors (no full ID numbers)"
    )
    include_originals: bool = Field(
        default=False,
        description="With the originals of released records (internal: for the auditor only)",
    )
