"""The applicant's side (``caseflow.portal``): online applications and their files, files chosen on
the public form and not submitted yet, what applicants send on their request page, the messages
sent to them, and the shared rate-limit counts of the public endpoints.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

from caseflow.models.columns import AwareDateTime, moment_field


class OnlineApplication(SQLModel, table=True):
    """An application submitted on the public portal (网上申请), awaiting a clerk's confirmation
    (Art. 31(3): the day both sides confirm is the receipt date). ``content`` holds the Art. 29 content
    as submitted, less the ID number (sealed in ``id_number_enc`` like an applicant's); the access
    code is kept only as its SHA-256. Confirmed: ``case_id`` is the registered request; returned:
    ``return_reasons`` says why it is not an application (``caseflow.portal``)."""

    __tablename__ = "online_application"
    __table_args__ = (Index("ix_online_application_inbox", "agency_id", "status", "submitted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_no: str = Field(max_length=40, unique=True, index=True)
    access_code_hash: str = Field(max_length=64)
    agency_id: int = Field(foreign_key="agency.id")
    status: str = Field(max_length=30)  # awaiting_confirmation | confirmed | returned
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    id_number_enc: str = Field(sa_column=Column(Text, nullable=False))
    id_number_masked: str = Field(max_length=80)
    content_sha256: str = Field(max_length=64)
    client_address: str = Field(default="", max_length=100)
    submitted_at: dt.datetime = moment_field()
    decided_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))
    decided_by: str = Field(default="", max_length=80)
    case_id: int | None = Field(default=None, foreign_key="request.id")
    return_reasons: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: Returned: the return notice (退回告知书, HTML) in ``document`` (issue 18 / B, migration 0026).
    return_notice_sha256: str | None = Field(default=None, max_length=64)


class OnlineApplicationFile(SQLModel, table=True):
    """A file uploaded with an online application (``caseflow.portal.uploads``): the ID document scan
    (``id_scan``) or an attachment, its bytes in the document store by SHA-256, stored in the
    submission's transaction; its hash, name and size are also in the application's hashed content."""

    __tablename__ = "online_application_file"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="online_application.id", index=True)
    kind: str = Field(max_length=20)  # id_scan | attachment
    sha256: str = Field(foreign_key="document.sha256", max_length=64, index=True)
    filename: str = Field(default="", max_length=300)
    media_type: str = Field(max_length=100)
    size: int


class PortalPendingUpload(SQLModel, table=True):
    """A file chosen on the public application form that was not submitted yet (a refused post):
    bound to the form by the SHA-256 of a random token the form carries, never to a person; kept
    ``caseflow.portal.uploads.PENDING_MAX_AGE`` and discarded by the ``pending`` job after that."""

    __tablename__ = "portal_pending_upload"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=20)  # id_scan | attachment
    sha256: str = Field(max_length=64, index=True)
    filename: str = Field(default="", max_length=300)
    media_type: str = Field(max_length=100)
    size: int
    created_at: dt.datetime = moment_field(index=True)


class ApplicantSubmission(SQLModel, table=True):
    """What an applicant sent on their request page (``caseflow.portal.followups``): an online
    supplement (补正, ``kind`` "supplement") or a withdrawal (``kind`` "withdrawal"). It waits
    (``status`` "pending") until a clerk records it through the engine ("recorded") or declines it
    ("declined", with a note the applicant sees). ``files``: [{sha256, filename, media_type, size}],
    the bytes in ``document``; ``content_sha256``: SHA-256 of the canonical JSON of kind, text, files."""

    __tablename__ = "applicant_submission"
    __table_args__ = (Index("ix_applicant_submission_case", "case_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id")
    kind: str = Field(max_length=20)  # supplement | withdrawal
    text: str = Field(sa_column=Column(Text, nullable=False))
    files: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    content_sha256: str = Field(max_length=64)
    submitted_at: dt.datetime = moment_field()
    client_address: str = Field(default="", max_length=100)
    status: str = Field(default="pending", max_length=20)  # pending | recorded | declined
    decided_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))
    decided_by: str = Field(default="", max_length=80)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ApplicantMessage(SQLModel, table=True):
    """A message to an applicant by e-mail or SMS text (``caseflow.portal.messages``): the receipt,
    a letter issued to them, or what the office awaits from them and until when. ``dedupe_key`` is
    unique, so a message is created once however often the job runs; it is sent at most once:
    ``claimed_at`` is committed before it is handed over and ``sent_at`` after (a crash in between
    leaves it claimed and unsent: never resent). ``recipient`` is only the masked address or number
    (the full one is read from the applicant at sending time); the signed link to the applicant's
    page is added at sending time too, never stored."""

    __tablename__ = "applicant_message"
    __table_args__ = (Index("ix_applicant_message_pending", "claimed_at", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=120, unique=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    kind: str = Field(max_length=20)  # receipt | letter | awaited
    letter_id: int | None = Field(default=None, foreign_key="letter.id")
    channel: str = Field(max_length=10)  # email | sms
    recipient: str = Field(max_length=120)
    subject: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = moment_field()
    claimed_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))
    sent_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))
    #: The Message-ID of the mail, or the id the SMS gateway answered with.
    provider_ref: str = Field(default="", max_length=200)
    error: str = Field(default="", max_length=500)


class RateLimitCount(SQLModel, table=True):
    """Calls counted in one fixed window of one scope (``submit``, ``lookup``, ``lookup_fail``), per
    key (a client address, ``*`` for everyone, or ``no:<number>`` for a looked-up number); shared
    by every process through the database (``caseflow.ratelimit``). ``window_start`` is the window's
    first second (Unix time); rows of past windows are pruned."""

    __tablename__ = "rate_limit"

    scope: str = Field(max_length=20, primary_key=True)
    key: str = Field(max_length=120, primary_key=True)
    window_start: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    count: int = Field(default=0)
